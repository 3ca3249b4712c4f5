/**
 * A random crossEntropy case for the property suites: shape, logits, targets (index or probability),
 * every option, and how the operands are passed (plain arrays, gradOut, in place, wasm-resident).
 * `runCrossEntropy` runs one case through the public API and `referenceOf` through the f64 oracle.
 */
import fc from "fast-check";
import { allocFloat32, allocInt32, crossEntropy, type WasmBuffer } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import {
  classesArb,
  flatten,
  probabilityArb,
  profileArb,
  reductionArb,
  rowsArb,
  smoothingArb,
  smoothingModeArb,
  weightArb,
  zLossArb,
  logitRowArb,
  type Profile,
} from "./fuzz.js";

/**
 * How operands reach the library:
 * - copy: plain typed arrays, gradient returned in a new array
 * - gradOut: plain arrays, gradient written into a caller's Float32Array
 * - inPlace: plain arrays, gradOut = logits
 * - resident: logits, targets, weights and gradOut all WasmBuffers
 * - residentInPlace: resident logits and targets, gradOut = the logits buffer
 */
export type Io = "copy" | "gradOut" | "inPlace" | "resident" | "residentInPlace";
export const ioArb = fc.constantFrom<Io>("copy", "gradOut", "inPlace", "resident", "residentInPlace");

export interface CeRow {
  z: number[];
  /** Index label (ignored for probability targets). */
  label: number;
  /** Probability targets (empty for index targets). */
  t: number[];
}

export interface CeCase {
  k: number;
  profile: Profile;
  kind: "index" | "prob";
  rows: CeRow[];
  smoothing: number;
  smoothingMode: "uniform" | "others";
  reduction: "mean" | "sum" | "none";
  /** undefined: the default (−100). */
  ignoreIndex: number | undefined;
  weights: number[] | null;
  weightMode: "pytorch" | "target";
  zLoss: number;
  grad: boolean;
  io: Io;
}

export interface CeHeaderOverrides {
  profile?: fc.Arbitrary<Profile>;
  kind?: fc.Arbitrary<"index" | "prob">;
  weights?: boolean;
  zLoss?: boolean;
  io?: fc.Arbitrary<Io>;
}

/** Random crossEntropy cases; `over` narrows parts of the space (for the invariant properties). */
export function ceCaseArb(over: CeHeaderOverrides = {}): fc.Arbitrary<CeCase> {
  const header = fc.record({
    k: classesArb,
    profile: over.profile ?? profileArb,
    kind: over.kind ?? fc.constantFrom<"index" | "prob">("index", "prob"),
    ignoreIndex: fc.option(fc.integer({ min: -3, max: 12 }), { nil: undefined, freq: 3 }),
    allIgnored: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    io: over.io ?? ioArb,
    grad: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
  return header.chain((h) => {
    const ig = h.ignoreIndex ?? -100;
    const label = h.allIgnored
      ? fc.constant(ig)
      : fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: h.k - 1 }) }, { weight: 1, arbitrary: fc.constant(ig) });
    const target = h.kind === "prob" ? fc.array(probabilityArb, { minLength: h.k, maxLength: h.k }) : fc.constant<number[]>([]);
    const row = fc.record({ z: logitRowArb(h.k, h.profile), label: h.kind === "index" ? label : fc.constant(0), t: target });
    return fc
      .record({
        rows: rowsArb(h.k, row),
        smoothing: smoothingArb,
        smoothingMode: h.kind === "index" ? smoothingModeArb : fc.constant("uniform" as const),
        reduction: reductionArb,
        weights:
          over.weights === false ? fc.constant(null) : fc.option(fc.array(weightArb, { minLength: h.k, maxLength: h.k }), { nil: null }),
        weightMode: h.kind === "index" ? fc.constantFrom("pytorch" as const, "target" as const) : fc.constant("pytorch" as const),
        zLoss: over.zLoss === false ? fc.constant(0) : zLossArb,
      })
      .map((b) => ({
        k: h.k,
        profile: h.profile,
        kind: h.kind,
        ignoreIndex: h.kind === "index" ? h.ignoreIndex : undefined,
        io: h.io,
        grad: h.grad,
        ...b,
      }));
  });
}

export function logitsOf(c: CeCase): Float32Array {
  return flatten(
    c.rows.map((r) => r.z),
    c.k,
  );
}

export function targetOf(c: CeCase): Int32Array | Float32Array {
  return c.kind === "index"
    ? Int32Array.from(c.rows.map((r) => r.label))
    : flatten(
        c.rows.map((r) => r.t),
        c.k,
      );
}

/** The options of a case, as a caller would write them (gradOut added by the runner). */
export function optionsOf(c: CeCase): Record<string, unknown> {
  const o: Record<string, unknown> = { classes: c.k, smoothing: c.smoothing, reduction: c.reduction, zLoss: c.zLoss };
  if (c.kind === "index") {
    o.smoothingMode = c.smoothingMode;
    if (c.ignoreIndex !== undefined) o.ignoreIndex = c.ignoreIndex;
  }
  if (c.weights) {
    o.classWeights = Float32Array.from(c.weights);
    if (c.kind === "index") o.classWeightMode = c.weightMode;
  }
  if (!c.grad) o.grad = false;
  return o;
}

export interface Outcome {
  loss: number | Float32Array;
  grad: Float32Array | null;
}

/** Runs a case through the public API, honouring its io mode; returns copies of the results. */
export function runCrossEntropy(c: CeCase): Outcome {
  const z = logitsOf(c);
  const t = targetOf(c);
  const options = optionsOf(c);
  const buffers: WasmBuffer<Float32Array | Int32Array>[] = [];
  const resident = <T extends Float32Array | Int32Array>(src: T): WasmBuffer<T> => {
    const b = (src instanceof Int32Array ? allocInt32(src.length) : allocFloat32(src.length)) as WasmBuffer<T>;
    buffers.push(b);
    b.view.set(src);
    return b;
  };
  try {
    const io = c.grad ? c.io : c.io.startsWith("resident") ? "resident" : "copy";
    if (io === "copy") {
      const r = crossEntropy(z, t, options as never);
      return { loss: r.loss, grad: r.grad };
    }
    if (io === "gradOut" || io === "inPlace") {
      const out = io === "inPlace" ? z : new Float32Array(z.length).fill(12345);
      const r = crossEntropy(z, t, { ...options, gradOut: out } as never);
      if (r.grad !== out) throw new Error(`gradOut (${io}): result.grad is not the array passed as gradOut`);
      return { loss: r.loss, grad: out.slice() };
    }
    const zb = resident(z);
    const tb = resident(t);
    const o = { ...options };
    if (c.weights) o.classWeights = resident(options.classWeights as Float32Array);
    if (!c.grad) {
      const r = crossEntropy(zb, tb, o as never);
      return { loss: r.loss, grad: r.grad };
    }
    const gb = io === "residentInPlace" ? zb : resident(new Float32Array(z.length).fill(12345));
    // The library may allocate scratch (and so grow memory) during the call: read .view afterwards.
    const r = crossEntropy(zb, tb, { ...o, gradOut: gb } as never);
    if (r.grad !== gb.view) throw new Error(`gradOut (${io}): result.grad is not the buffer's view`);
    return { loss: r.loss, grad: gb.view.slice() };
  } finally {
    for (const b of buffers) b.release();
  }
}

export function referenceOf(c: CeCase): ref.LossResult {
  const o = optionsOf(c);
  if (c.weights) o.classWeights = c.weights;
  return ref.crossEntropy(logitsOf(c), targetOf(c), o as unknown as ref.CrossEntropyOptions);
}

/** The gradient's reduction factor (docs/spec.md "Accuracy" 'sum' bound, rescaled): 1/D or 1/N under 'mean', else 1. */
export function gradScale(c: CeCase): number {
  if (c.reduction !== "mean") return 1;
  if (c.kind === "prob") return c.rows.length > 0 ? 1 / c.rows.length : 1;
  const ig = c.ignoreIndex ?? -100;
  let d = 0;
  for (const r of c.rows) if (r.label !== ig) d += c.weights ? f32(c.weights[r.label]!) : 1;
  return d > 0 ? 1 / d : 1;
}

/**
 * The scale of the gradient bound: gradScale, and for weighted probability targets also the largest
 * weight — their gradient s·((Σr)·p_j − r_j) cancels terms of size w·s, which f32 rounds at that
 * size (README "Accuracy").
 */
export function gradBoundScale(c: CeCase): number {
  const wmax = c.kind === "prob" && c.weights ? Math.max(1, ...Array.from(c.weights, f32)) : 1;
  return wmax * gradScale(c);
}

const f32 = Math.fround;

/** Printable summary of a case for assertion messages (fast-check prints the whole case too). */
export function tag(c: CeCase): string {
  return (
    `${c.kind} N=${c.rows.length} K=${c.k} ${c.profile} ${c.reduction} ε=${c.smoothing} ${c.smoothingMode} ` +
    `w=${c.weights ? c.weightMode : "none"} λ=${c.zLoss} ignore=${c.ignoreIndex ?? "default"} io=${c.io} grad=${c.grad}`
  );
}
