/**
 * Temperature scaling (Guo et al. 2017) in double precision: the T in [0.01, 100] that minimises
 * the mean NLL of softmax(z/T) over the rows not labelled ignoreIndex.
 *
 * With β = 1/T the mean NLL f(β) = (1/n)·Σ_i [log Σ_j exp(β·z_ij) − β·z_{i,y_i}] is convex, and
 *   f'(β) = (1/n)·Σ_i [Σ_j p_ij(β)·z_ij − z_{i,y_i}],  p_i(β) = softmax(β·z_i).
 * The reference bisects the sign of f' over β ∈ [0.01, 100], geometrically (in log β), until
 * hi/lo − 1 ≤ 1e-13; `iterations` counts those bisection steps (47 at most).
 * If f'(0.01) ≥ 0 the minimiser is β = 0.01 (T = 100, atBound); if f'(100) ≤ 0 it is β = 100
 * (T = 0.01, atBound). A flat NLL (f' = 0 everywhere) therefore returns T = 100 — chosen.
 * With no row left (all ignored, or N = 0): T = 1, both NLLs 0, iterations 0, atBound false — chosen.
 * Masked classes (−Infinity) are skipped in the sums; a masked label makes the NLL +Infinity.
 * A NaN or +Infinity logit (or a fully masked row) leaves no answer: T, both NLLs NaN, atBound false.
 */
import { rowCount, rowSoftmax } from "./softmax.js";
import { checkLabel } from "./smooth.js";
import type { FitTemperatureOptions, FitTemperatureResult, NumericArray } from "./types.js";

export const MIN_TEMPERATURE = 0.01;
export const MAX_TEMPERATURE = 100;

/** Mean NLL of softmax(z/T) over the given rows. */
export function meanNll(logits: NumericArray, rows: { index: number; label: number }[], K: number, T: number): number {
  let sum = 0;
  for (const { index, label } of rows) {
    sum += -rowSoftmax(logits, index, K, T).logp[label]!;
  }
  return sum / rows.length;
}

/**
 * f'(β) at β = 1/T: mean over rows of E_p[z] − z_y with p = softmax(z/T), summed as
 * Σ_{j≠y} p_j·(z_j − z_y): the form without cancellation, so that a row whose label is the clear
 * argmax gives a slope that is small but negative (E_p[z] − z_y would round to 0 once p_y rounds to 1).
 */
function nllSlopeInBeta(logits: NumericArray, rows: { index: number; label: number }[], K: number, T: number): number {
  let sum = 0;
  for (const { index, label } of rows) {
    const row = rowSoftmax(logits, index, K, T);
    const zy = Number(logits[index * K + label]);
    for (let j = 0; j < K; j++) {
      if (row.masked[j] || j === label) continue;
      sum += row.p[j]! * (Number(logits[index * K + j]) - zy);
    }
  }
  return sum / rows.length;
}

export function fitTemperature(logits: NumericArray, labels: NumericArray, options: FitTemperatureOptions): FitTemperatureResult {
  const K = options.classes;
  const N = rowCount(logits.length, K);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (labels.length !== N) throw new RangeError(`expected ${N} labels, received ${labels.length}`);
  const rows: { index: number; label: number }[] = [];
  for (let i = 0; i < N; i++) {
    const y = Number(labels[i]);
    checkLabel(y, i, K, ignoreIndex);
    if (y !== ignoreIndex) rows.push({ index: i, label: y });
  }
  if (rows.length === 0) {
    return { temperature: 1, nllBefore: 0, nllAfter: 0, iterations: 0, atBound: false };
  }
  const nllBefore = meanNll(logits, rows, K, 1);
  for (const { index } of rows) {
    let unmasked = 0;
    for (let j = 0; j < K; j++) {
      const v = Number(logits[index * K + j]);
      if (Number.isNaN(v) || v === Infinity) unmasked = -1;
      if (unmasked >= 0 && v !== -Infinity) unmasked++;
    }
    if (unmasked <= 0) return { temperature: NaN, nllBefore: NaN, nllAfter: NaN, iterations: 0, atBound: false };
  }
  const slope = (beta: number): number => nllSlopeInBeta(logits, rows, K, 1 / beta);
  const done = (temperature: number, iterations: number, atBound: boolean): FitTemperatureResult => ({
    temperature,
    nllBefore,
    nllAfter: meanNll(logits, rows, K, temperature),
    iterations,
    atBound,
  });

  let lo = 1 / MAX_TEMPERATURE; // β = 0.01
  let hi = 1 / MIN_TEMPERATURE; // β = 100
  if (slope(lo) >= 0) return done(MAX_TEMPERATURE, 0, true);
  if (slope(hi) <= 0) return done(MIN_TEMPERATURE, 0, true);
  // invariant: slope(lo) < 0 < slope(hi)
  let iterations = 0;
  while (hi / lo - 1 > 1e-13) {
    const mid = Math.sqrt(lo * hi);
    if (mid <= lo || mid >= hi) break; // no representable midpoint left
    iterations += 1;
    const g = slope(mid);
    if (g === 0) {
      lo = hi = mid;
      break;
    }
    if (g < 0) lo = mid;
    else hi = mid;
  }
  return done(1 / Math.sqrt(lo * hi), iterations, false);
}
