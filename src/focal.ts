// The `focal` option of crossEntropy, sigmoidCrossEntropy and linearCrossEntropy (docs/spec.md
// "focal"): reading it (readFocal, the one place that does), and crossEntropy's focal call: placing
// what its kernel needs, writing its parameter block (FOC of src/abi.ts, mirroring assembly/params.ts)
// and running it as a job (row blocks, on the pool where there is one: docs/spec.md "Threads").
// sigmoidCrossEntropy and linearCrossEntropy carry the option in their own blocks.

import { FOC, FOCAL_SCHEDULE, JOB, PARAMS } from "./abi.js";
import type { Heap } from "./memory.js";
import { paramWriter } from "./stage.js";
import { runJob } from "./threads/run.js";
import { describe, fail, failType } from "./validate.js";

/** A validated `focal` option. */
export interface FocalSpec {
  gamma: number;
  flsd: boolean;
  /** Scalar α (softmax: default 1; sigmoid: the α of α-balancing, used when `balance`). */
  alpha: number;
  /** Softmax: α per class (a private copy), or null. */
  alphaVec: Float32Array | null;
  /** Sigmoid: α was given (α-balancing applies). */
  balance: boolean;
}

const FOCAL_KEYS = new Set(["gamma", "alpha"]);
/** The largest γ accepted: u^γ for u ∈ [½, 1] is then still a normal f32 (2^-126). */
export const MAX_GAMMA = 100;

/**
 * Reads and validates options.focal once (a snapshot: `alpha`'s values are copied here). `k`: the
 * class count for a per-class α (softmax); `sigmoid`: the sigmoid form (numeric γ, α ∈ [0, 1]).
 */
export function readFocal(fn: string, value: unknown, k: number, sigmoid: boolean): FocalSpec | null {
  if (value === undefined) return null;
  const shape = sigmoid ? "{ gamma: 2, alpha: 0.25 }" : "{ gamma: 3 } or { gamma: 'flsd-53', alpha: 0.25 }";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    failType(fn, `options.focal must be an object like ${shape}; received ${describe(value)}`);
  }
  const o: Record<string, unknown> = { ...value };
  for (const key in value) {
    if (!FOCAL_KEYS.has(key)) fail(fn, `unknown option 'focal.${key}'; expected gamma, alpha`);
    if (!Object.hasOwn(o, key)) o[key] = (value as Record<string, unknown>)[key];
  }
  const g = o.gamma;
  let gamma = 0;
  let flsd = false;
  if (g === "flsd-53" && !sigmoid) {
    flsd = true;
    gamma = 3;
  } else if (typeof g !== "number") {
    const what = sigmoid ? "a number ≥ 0" : "a number ≥ 0 or 'flsd-53'";
    (typeof g === "string" ? fail : failType)(fn, `options.focal.gamma must be ${what}; received ${describe(g)}`);
  } else if (!(g >= 0 && g <= MAX_GAMMA)) {
    fail(fn, `options.focal.gamma must be in [0, ${MAX_GAMMA}]; received ${g}`);
  } else gamma = g;

  const a = o.alpha;
  let alpha = 1;
  let alphaVec: Float32Array | null = null;
  if (sigmoid) {
    if (a !== undefined) {
      if (typeof a !== "number")
        failType(fn, `options.focal.alpha must be a number in [0, 1] (α for positives, 1 − α for negatives); received ${describe(a)}`);
      if (!(a >= 0 && a <= 1)) fail(fn, `options.focal.alpha must be in [0, 1] (α for positives, 1 − α for negatives); received ${a}`);
      alpha = a;
    }
    return { gamma, flsd, alpha, alphaVec, balance: a !== undefined };
  }
  if (typeof a === "number") {
    if (!(a >= 0 && a <= 1e30)) fail(fn, `options.focal.alpha must be finite and ≥ 0; received ${a}`);
    alpha = a;
  } else if (a !== undefined) {
    if (!(a instanceof Float32Array) && !Array.isArray(a)) {
      failType(fn, `options.focal.alpha must be a number or one weight per class (a Float32Array of ${k}); received ${describe(a)}`);
    }
    const src = a as ArrayLike<unknown>;
    if (src.length !== k) fail(fn, `options.focal.alpha.length must be ${k} (one α per class); received ${src.length}`);
    alphaVec = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      const v = src[j];
      if (typeof v !== "number" || !(v >= 0 && v <= 1e30))
        fail(fn, `options.focal.alpha[${j}] = ${String(v)}; each α must be finite and ≥ 0`);
      alphaVec[j] = v;
    }
  }
  return { gamma, flsd, alpha, alphaVec, balance: false };
}

/** Scalars of a focal call, beside the spec. */
export interface FocalScalars {
  smoothing: number;
  zLoss: number;
  ignoreIndex: number;
  others: boolean;
  weightMode: number;
  reduction: number;
  grad: boolean;
}

/** Scratch of a softmax focal call: its place in the staging order (with the other place() calls). */
export interface FocalPlaced {
  params: number;
  scratch: number;
  alpha: number;
  cw: number;
  slots: number;
}

export function focalPlace(h: Heap, spec: FocalSpec, n: number, k: number): FocalPlaced {
  const ex = h.exports;
  return {
    params: h.scratchPtr("focal.params", PARAMS.bytes), // the call's parameter block (assembly/params.ts)
    // one row of exponentials per thread of the pool (none for an empty batch, whose K may be anything)
    scratch: h.scratchPtr("focal", n === 0 ? 0 : h.threads * ex.focalScratchBytes(k)),
    alpha: spec.alphaVec ? h.scratchPtr("focal.alpha", k * 4) : 0,
    cw: h.scratchPtr("focal.cw", n === 0 ? 0 : k * 4),
    slots: h.scratchPtr("focal.slots", 16 * Math.max(1, ex.ceBlocks(n, k))),
  };
}

/**
 * The softmax focal kernel (a parameter-block job: row blocks on the pool or the calling thread), after
 * the operands were copied in. Returns the first bad label row or −1.
 */
export function focalCrossEntropyCall(
  h: Heap,
  fn: string,
  spec: FocalSpec,
  placed: FocalPlaced,
  c: FocalScalars,
  index: boolean,
  z: number,
  t: number,
  n: number,
  k: number,
  w: number,
  g: number,
  rowLoss: number,
): number {
  if (spec.alphaVec) h.f32.set(spec.alphaVec, placed.alpha >>> 2);
  const p = placed.params;
  const pw = paramWriter(h, p);
  const set = pw.int;
  set(PARAMS.job, JOB.focal);
  set(FOC.z, z);
  set(FOC.t, t);
  set(FOC.n, n);
  set(FOC.k, k);
  set(FOC.index, index ? 1 : 0);
  set(FOC.w, w);
  set(FOC.wMode, c.weightMode);
  set(FOC.alphaV, placed.alpha);
  pw.f64(FOC.alpha, spec.alpha);
  pw.f64(FOC.gamma, spec.gamma);
  set(FOC.schedule, spec.flsd ? FOCAL_SCHEDULE.flsd53 : FOCAL_SCHEDULE.fixed);
  pw.f64(FOC.eps, c.smoothing);
  set(FOC.others, c.others ? 1 : 0);
  set(FOC.ignore, c.ignoreIndex);
  pw.f64(FOC.lambda, c.zLoss);
  set(FOC.reduction, c.reduction);
  set(FOC.g, g);
  set(FOC.grad, c.grad ? 1 : 0);
  set(FOC.rowLoss, rowLoss);
  set(FOC.cw, placed.cw);
  set(FOC.scratch, placed.scratch);
  set(FOC.slots, placed.slots);
  return runJob(h, fn, p, n * k);
}
