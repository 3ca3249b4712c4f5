// fitTemperature: temperature scaling (Guo et al. 2017), the T ∈ [0.01, 100] that minimises the mean
// NLL of softmax(z/T) In β = 1/T the mean NLL f(β) = mean_i [log Σ_j exp(β z_ij) − β z_iy]
// is convex (f'' = mean variance of z under p ≥ 0), so the minimiser is the root of the increasing f'.
// Search: safeguarded Newton on β — a Newton step when it lands inside the current bracket and shrinks
// fast enough, else a geometric bisection of the bracket — with one wasm pass per step giving f, f'
// and f'' together (a parameter block run over the pool: row blocks, sums added in block order,
// docs/spec.md "Threads"). β stays on the f32 grid the kernel computes with, so what is evaluated is
// exactly the β reported. (docs/spec.md "fitTemperature")

import { JOB, MOM, MOM_SLOT_BYTES, MOMENTS_RESULT, PARAMS } from "./abi.js";
import { runJob } from "./threads/run.js";
import { enter, leave } from "./guard.js";
import { heap, type Heap } from "./memory.js";
import type { FitTemperatureOptions, FitTemperatureResult, Float32Input, Int32Input } from "./types.js";
import { badLabel, checkOptions, classesOf, expectLength, f32Operand, i32Operand, integer, rowsOf } from "./validate.js";
import { copyIn, paramWriter, place } from "./stage.js";

const FN = "fitTemperature";
const KEYS: ReadonlySet<string> = new Set(["classes", "ignoreIndex"]);
export const MIN_TEMPERATURE = 0.01;
export const MAX_TEMPERATURE = 100;
const MAX_ITERATIONS = 50;
/** Stop after a Newton step that moved β by less than this, relatively (a few f32 ulps; Newton converges quadratically). */
const STEP_TOL = 2e-7;

interface Point {
  beta: number;
  f: number;
  d1: number;
  d2: number;
}

/**
 * The temperature T ∈ [0.01, 100] minimising the mean negative log-likelihood of softmax(logits / T)
 * over the rows not labelled `ignoreIndex`, with the NLL before (T = 1) and after.
 */
export function fitTemperature(logits: Float32Input, labels: Int32Input, options: FitTemperatureOptions): FitTemperatureResult {
  heap(FN);
  const o = checkOptions(FN, options, KEYS, true);
  enter(FN);
  try {
    return compute(logits, labels, o);
  } finally {
    leave();
  }
}

function compute(logits: Float32Input, labels: Int32Input, o: Record<string, unknown>): FitTemperatureResult {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  const z = f32Operand(FN, "logits", logits, h);
  const n = rowsOf(FN, "logits", z.length, k);
  const y = i32Operand(FN, "labels", labels, h);
  expectLength(FN, "labels", y.length, n, `one label per row: logits.length / classes = ${n}`);

  const zPtr = place(h, z, "a");
  const yPtr = place(h, y, "b");
  const slots = h.scratchPtr("mom.slots", MOM_SLOT_BYTES * Math.min(65535, Math.max(1, n))); // one per row block
  const block = h.scratchPtr("mom.params", PARAMS.bytes); // the evaluations' parameter block (assembly/params.ts)
  copyIn(h, z, zPtr);
  copyIn(h, y, yPtr);
  const w = paramWriter(h, block);
  w.int(PARAMS.job, JOB.moments);
  w.int(MOM.z, zPtr);
  w.int(MOM.y, yPtr);
  w.int(MOM.n, n);
  w.int(MOM.k, k);
  w.int(MOM.ignore, ignoreIndex);
  w.int(MOM.slots, slots);
  // The first evaluation (β = 1; it checks the labels) also finds the largest finite |logit|, with
  // the blocks' own reads. Logits beyond ±1e12: the kernel's f32 exp has a floor (~1e-38) that,
  // multiplied by gaps z − m that large, swamps the moments (the fit then lands on the wrong bound).
  // Such inputs are evaluated here in f64 instead, exactly as the kernel's scalar path does (one JS
  // pass per step), from β = 1 again.
  w.int(MOM.scan, 1);
  let start = evaluate(h, block, yPtr, n, k, ignoreIndex, 1);
  paramWriter(h, block).int(MOM.scan, 0);
  const exact = h.f64[(h.results >>> 3) + MOMENTS_RESULT.maxAbs]! > LARGE_LOGIT;
  let counted = -1;
  const at = (beta: number): Point => {
    if (!exact) return evaluate(h, block, yPtr, n, k, ignoreIndex, beta);
    const p = moments64(h.f32, zPtr >>> 2, h.i32, yPtr >>> 2, n, k, ignoreIndex, beta);
    counted = p.count;
    return p;
  };
  if (exact) start = at(1);

  if ((exact ? counted : h.f64[(h.results >>> 3) + MOMENTS_RESULT.count]) === 0) {
    return { temperature: 1, nllBefore: 0, nllAfter: 0, iterations: 0, atBound: false };
  }
  const nllBefore = start.f;
  if (Number.isNaN(start.f) || Number.isNaN(start.d1)) {
    return { temperature: NaN, nllBefore: NaN, nllAfter: NaN, iterations: 0, atBound: false };
  }
  const done = (p: Point, iterations: number, atBound: boolean): FitTemperatureResult => ({
    temperature: atBound ? (p.beta < 1 ? MAX_TEMPERATURE : MIN_TEMPERATURE) : 1 / p.beta,
    nllBefore,
    nllAfter: p.f,
    iterations,
    atBound,
  });
  if (start.d1 === 0) {
    // f' = f'' = 0 at β = 1 means every row's classes are all equal (or K = 1): the NLL is flat in T.
    // Then, as the reference chooses, the largest temperature.
    if (start.d2 === 0) return done(at(Math.fround(1 / MAX_TEMPERATURE)), 0, true);
    return done(start, 0, false);
  }

  // Bracket [lo, hi] with f'(lo) < 0 < f'(hi): β = 1 is one end; check the bound on the other side.
  let lo = Math.fround(1 / MAX_TEMPERATURE),
    hi = Math.fround(1 / MIN_TEMPERATURE);
  let iterations = 1;
  // The evaluated points at the bracket's ends: when the bracket closes, the answer is whichever
  // evaluated point has the smallest |f'| (not simply the last one evaluated).
  let loP: Point, hiP: Point;
  if (start.d1 > 0) {
    const b = at(lo);
    if (!(b.d1 < 0)) return done(b, iterations, true);
    hi = 1;
    loP = b;
    hiP = start;
  } else {
    const b = at(hi);
    if (!(b.d1 > 0)) return done(b, iterations, true);
    lo = 1;
    loP = start;
    hiP = b;
  }

  let cur = start;
  let prevStep = hi - lo,
    step = prevStep;
  while (iterations < MAX_ITERATIONS) {
    let next = cur.beta - cur.d1 / cur.d2;
    // Newton only inside the bracket and only while it at least halves the step every other iteration.
    const newton = cur.d2 > 0 && next > lo && next < hi && Math.abs(next - cur.beta) < 0.5 * Math.abs(prevStep);
    if (!newton) next = Math.sqrt(lo * hi);
    next = Math.fround(next);
    if (next <= lo || next >= hi) break; // the bracket holds no f32 strictly inside: converged
    prevStep = step;
    step = next - cur.beta;
    cur = at(next);
    iterations++;
    if (Number.isNaN(cur.d1)) return { temperature: NaN, nllBefore, nllAfter: NaN, iterations, atBound: false };
    if (cur.d1 === 0) break;
    if (cur.d1 < 0) {
      lo = next;
      loP = cur;
    } else {
      hi = next;
      hiP = cur;
    }
    if (newton && Math.abs(step) <= STEP_TOL * next) break;
  }
  // A bracket that closed on a point evaluated earlier (found by fuzzing: Newton's next step landed
  // on lo, the true minimiser, while the last point evaluated was 3.8e-4 away) answers with that point.
  let best = cur;
  for (const p of [loP, hiP]) if (Math.abs(p.d1) < Math.abs(best.d1)) best = p;
  return done(best, iterations, false);
}

/**
 * |logits| beyond this get their moments in f64 here (the kernel's exp floor, ~1e-38, times gaps below
 * it stays < 1e-14); the kernel's first evaluation reports the largest finite |logit|.
 */
const LARGE_LOGIT = 1e12;

/**
 * The mean NLL f(β) and f′, f″ in f64, as assembly/calibration.ts temperatureMoments' scalar path
 * computes them (β rounded to f32 as the kernel does; exp underflows to exactly 0). Labels are
 * already checked.
 */
function moments64(
  f32: Float32Array,
  z: number,
  i32: Int32Array,
  y: number,
  n: number,
  k: number,
  ignoreIndex: number,
  beta: number,
): Point & { count: number } {
  const b = Math.fround(beta);
  let count = 0,
    F = 0,
    F1 = 0,
    F2 = 0;
  for (let i = 0; i < n; i++) {
    const yi = i32[y + i]!;
    if (yi === ignoreIndex) continue;
    count++;
    const row = z + i * k;
    let m = -Infinity,
      bad = false;
    for (let j = 0; j < k; j++) {
      const v = f32[row + j]!;
      if (v !== v || v === Infinity) bad = true;
      else if (v > m) m = v;
    }
    if (bad || m === -Infinity) {
      F = F1 = F2 = NaN;
      continue;
    }
    let S = 0,
      M1 = 0,
      M2 = 0;
    for (let j = 0; j < k; j++) {
      const v = f32[row + j]!;
      if (v === -Infinity) continue;
      const d = v - m,
        e = Math.exp(b * d);
      if (e === 0) continue; // 0·d² would be NaN for |d| beyond 1e154; its true contribution is 0
      S += e;
      M1 += e * d;
      M2 += e * d * d;
    }
    const e1 = M1 / S,
      dy = f32[row + yi]! - m;
    F += Math.log(S) - b * dy;
    F1 += e1 - dy;
    F2 += M2 / S - e1 * e1;
  }
  const inv = count > 0 ? 1 / count : 0;
  return { beta, f: F * inv, d1: F1 * inv, d2: F2 * inv, count };
}

/** One evaluation at β: the block at p (written once per call) with its β, run over the pool. */
function evaluate(h: Heap, p: number, yPtr: number, n: number, k: number, ignoreIndex: number, beta: number): Point {
  paramWriter(h, p).f64(MOM.beta, beta);
  const bad = runJob(h, FN, p, n * k);
  if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);
  const r = h.results >>> 3;
  return { beta, f: h.f64[r + MOMENTS_RESULT.f]!, d1: h.f64[r + MOMENTS_RESULT.d1]!, d2: h.f64[r + MOMENTS_RESULT.d2]! };
}
