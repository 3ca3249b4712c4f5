// fitTemperature: temperature scaling (Guo et al. 2017), the T ∈ [0.01, 100] that minimises the mean
// NLL of softmax(z/T) In β = 1/T the mean NLL f(β) = mean_i [log Σ_j exp(β z_ij) − β z_iy]
// is convex (f'' = mean variance of z under p ≥ 0), so the minimiser is the root of the increasing f'.
// Search: safeguarded Newton on β — a Newton step when it lands inside the current bracket and shrinks
// fast enough, else a geometric bisection of the bracket — with one wasm pass per step giving f, f'
// and f'' together. β stays on the f32 grid the kernel computes with, so what is evaluated is exactly
// the β reported. (docs/spec.md "fitTemperature")

import { MOMENTS_RESULT } from "./abi.js";
import { heap, type Heap } from "./memory.js";
import type { FitTemperatureOptions, FitTemperatureResult, Float32Input, Int32Input } from "./types.js";
import { badLabel, checkOptions, classesOf, expectLength, f32Operand, i32Operand, integer, rowsOf } from "./validate.js";
import { copyIn, place } from "./stage.js";

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
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  const z = f32Operand(FN, "logits", logits, h);
  const n = rowsOf(FN, "logits", z.length, k);
  const y = i32Operand(FN, "labels", labels, h);
  expectLength(FN, "labels", y.length, n, `one label per row: logits.length / classes = ${n}`);

  const zPtr = place(h, z, "a");
  const yPtr = place(h, y, "b");
  copyIn(h, z, zPtr);
  copyIn(h, y, yPtr);
  const at = (beta: number): Point => evaluate(h, zPtr, yPtr, n, k, ignoreIndex, beta);

  const start = at(1);
  if (h.f64[(h.results >>> 3) + MOMENTS_RESULT.count] === 0) {
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
  let lo = Math.fround(1 / MAX_TEMPERATURE), hi = Math.fround(1 / MIN_TEMPERATURE);
  let iterations = 1;
  // The evaluated points at the bracket's ends: when the bracket closes, the answer is whichever
  // evaluated point has the smallest |f'| (not simply the last one evaluated).
  let loP: Point, hiP: Point;
  if (start.d1 > 0) {
    const b = at(lo);
    if (!(b.d1 < 0)) return done(b, iterations, true);
    hi = 1;
    loP = b; hiP = start;
  } else {
    const b = at(hi);
    if (!(b.d1 > 0)) return done(b, iterations, true);
    lo = 1;
    loP = start; hiP = b;
  }

  let cur = start;
  let prevStep = hi - lo, step = prevStep;
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
    if (cur.d1 < 0) { lo = next; loP = cur; }
    else { hi = next; hiP = cur; }
    if (newton && Math.abs(step) <= STEP_TOL * next) break;
  }
  // A bracket that closed on a point evaluated earlier (found by fuzzing: Newton's next step landed
  // on lo, the true minimiser, while the last point evaluated was 3.8e-4 away) answers with that point.
  let best = cur;
  for (const p of [loP, hiP]) if (Math.abs(p.d1) < Math.abs(best.d1)) best = p;
  return done(best, iterations, false);
}

function evaluate(h: Heap, zPtr: number, yPtr: number, n: number, k: number, ignoreIndex: number, beta: number): Point {
  const bad = h.exports.temperatureMoments(zPtr, yPtr, n, k, ignoreIndex, beta);
  if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);
  const r = h.results >>> 3;
  return { beta, f: h.f64[r + MOMENTS_RESULT.f]!, d1: h.f64[r + MOMENTS_RESULT.d1]!, d2: h.f64[r + MOMENTS_RESULT.d2]! };
}
