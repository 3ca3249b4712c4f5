// Calibration metrics and temperature fitting (docs/spec.md "calibration", "fitTemperature").
//
// calibrationRows: per row softmax(z/T) (or given probabilities), top-label confidence c = max p,
// prediction = first argmax, Brier term, NLL. For a finite row of logits one exp pass suffices:
// with e_j = exp((z_j − m)/T), S = Σ e, Q = Σ e²,
//   c = 1/S (e = 1 at the max),  nll = log S − (z_y − m)/T,
//   brier = Σ_{j≠y} p_j² + (1 − p_y)² = (Q − e_y²)/S² + ((S − e_y)/S)²,
// where (1 − p_y) is formed from S − e_y, not from 1 − p_y (which loses all digits as p_y → 1).
// Binning (and the sort for quantile bins) is done by the facade from the per-row outputs.
//
// temperatureMoments: one pass for the mean NLL f(β) of softmax(β·z) and its derivatives in β:
//   f_i = log Σ exp(β d_j) − β d_y,  f'_i = E_p[d] − d_y,  f''_i = Var_p[d],  d_j = z_j − m.

import { rowMax, rowFinite } from "./rows";
import { rowExpSumSq, rowMoments, extraB, extraC } from "./calibration_rows";
import { softmax64, hasNaNOrInf } from "./softmax_f64";
import { labelScan } from "./ce_labels";
import { expNeg } from "./math/exp";
import { at } from "./math/vec";
import {
  RESULTS, RESULT_BRIER, RESULT_CONFIDENCE, RESULT_COUNT, RESULT_D1, RESULT_D2, RESULT_F, RESULT_HITS, RESULT_NLL,
} from "./common";

/** Index of the first maximum of z (a finite row whose max is m). */
function firstMax(z: usize, k: i32, m: f32): i32 {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    for (; j + 4 <= k; j += 4) if (v128.any_true(f32x4.eq(v128.load(at(z, j)), mv))) break;
  }
  for (; j < k; j++) if (load<f32>(at(z, j)) == m) return j;
  return 0;
}

let rowConf: f64 = 0;
let rowPred: i32 = 0;
let rowBrier: f64 = 0;

/** From f64 probabilities p (K f64): first argmax, confidence and Brier term, as the reference reads them. */
function fromProbs64(p: usize, k: i32, y: i32): void {
  let pred = 0;
  let best = load<f64>(p);
  for (let j = 1; j < k; j++) {
    const v = load<f64>(p + (<usize>j << 3));
    if (v > best) { best = v; pred = j; }
  }
  let b: f64 = 0;
  for (let j = 0; j < k; j++) {
    const d = load<f64>(p + (<usize>j << 3)) - (j == y ? 1.0 : 0.0);
    b += d * d;
  }
  rowConf = best; rowPred = pred; rowBrier = b;
}

/**
 * z: N×K logits (or probabilities when fromProb); y: N labels. conf (N f64) and correct (N i32) receive
 * the rows not ignored, in order. w64: 2·K f64 scratch. Returns −1, or the first bad label's row.
 * RESULTS[1] = rows counted, [2] Σ brier, [3] Σ nll, [4] Σ confidence, [5] correct count.
 */
export function calibrationRows(
  z: usize, y: usize, n: i32, k: i32, T: f64, fromProb: bool, ignoreIndex: i32,
  conf: usize, correct: usize, w64: usize,
): i32 {
  const bad = labelScan(y, n, k, ignoreIndex, 0);
  if (bad >= 0) return bad;
  const c = <f32>(1 / T);
  const stride: usize = <usize>k << 2;
  const p = w64, lp = w64 + (<usize>k << 3);
  let cnt = 0, hits = 0;
  let brierSum: f64 = 0, nllSum: f64 = 0, confSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
    const zi = z + <usize>i * stride;
    let nll: f64;
    if (fromProb) {
      for (let j = 0; j < k; j++) store<f64>(p + (<usize>j << 3), <f64>load<f32>(at(zi, j)));
      fromProbs64(p, k, yi);
      nll = -Math.log(load<f64>(p + (<usize>yi << 3)));
    } else {
      const m = rowMax(zi, k);
      if (rowFinite) {
        const S = rowExpSumSq(zi, k, m, c);
        const dy = load<f32>(at(zi, yi)) - m;
        const ey = <f64>expNeg(dy * c);
        const r = (S - ey) / S;
        rowBrier = (extraB - ey * ey) / (S * S) + r * r;
        rowConf = 1 / S;
        rowPred = firstMax(zi, k, m);
        nll = Math.log(S) - <f64>dy * <f64>c;
      } else if (hasNaNOrInf(zi, k) || softmax64(zi, k, T, p, lp) == 0) {
        rowConf = NaN; rowPred = 0; rowBrier = NaN; nll = NaN;
      } else {
        fromProbs64(p, k, yi);
        nll = -load<f64>(lp + (<usize>yi << 3));
      }
    }
    const hit = rowPred == yi;
    store<f64>(conf + (<usize>cnt << 3), rowConf);
    store<i32>(at(correct, cnt), hit ? 1 : 0);
    cnt++;
    if (hit) hits++;
    brierSum += rowBrier; nllSum += nll; confSum += rowConf;
  }
  store<f64>(RESULTS + RESULT_COUNT, <f64>cnt);
  store<f64>(RESULTS + RESULT_BRIER, brierSum);
  store<f64>(RESULTS + RESULT_NLL, nllSum);
  store<f64>(RESULTS + RESULT_CONFIDENCE, confSum);
  store<f64>(RESULTS + RESULT_HITS, <f64>hits);
  return -1;
}

/**
 * z: N×K logits, y: N labels. β = 1/T, used as f32 (the facade keeps β on the f32 grid so that what is
 * evaluated is exactly the β it reports). Returns −1, or the first bad label's row.
 * RESULTS[1] = rows counted, [2] mean f, [3] mean f', [4] mean f'' (all 0 with no row).
 * Rows with a masked class take a scalar f64 path (masked classes skipped; a masked label gives
 * f = f' = +Infinity); a NaN / +Infinity or all-masked row makes all three NaN.
 */
export function temperatureMoments(z: usize, y: usize, n: i32, k: i32, ignoreIndex: i32, beta: f64): i32 {
  const bad = labelScan(y, n, k, ignoreIndex, 0);
  if (bad >= 0) return bad;
  const bf = <f32>beta;
  const b: f64 = <f64>bf;
  const stride: usize = <usize>k << 2;
  let cnt = 0;
  let F: f64 = 0, F1: f64 = 0, F2: f64 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
    cnt++;
    const zi = z + <usize>i * stride;
    const m = rowMax(zi, k);
    if (rowFinite) {
      const S = rowMoments(zi, k, m, bf);
      const e1 = extraB / S, e2 = extraC / S;
      const dy = <f64>(load<f32>(at(zi, yi)) - m);
      F += Math.log(S) - b * dy;
      F1 += e1 - dy;
      F2 += e2 - e1 * e1;
      continue;
    }
    if (hasNaNOrInf(zi, k)) { F = NaN; F1 = NaN; F2 = NaN; continue; }
    let mm: f64 = -Infinity;
    for (let j = 0; j < k; j++) { const v = <f64>load<f32>(at(zi, j)); if (v > mm) mm = v; }
    if (mm == -Infinity) { F = NaN; F1 = NaN; F2 = NaN; continue; }
    let S: f64 = 0, M1: f64 = 0, M2: f64 = 0;
    for (let j = 0; j < k; j++) {
      const v = <f64>load<f32>(at(zi, j));
      if (v == -Infinity) continue;
      const d = v - mm;
      const e = Math.exp(b * d);
      S += e; M1 += e * d; M2 += e * d * d;
    }
    const e1 = M1 / S;
    const dy = <f64>load<f32>(at(zi, yi)) - mm; // −Infinity for a masked label
    F += Math.log(S) - b * dy;
    F1 += e1 - dy;
    F2 += M2 / S - e1 * e1;
  }
  const inv: f64 = cnt > 0 ? 1 / <f64>cnt : 0;
  store<f64>(RESULTS + RESULT_COUNT, <f64>cnt);
  store<f64>(RESULTS + RESULT_F, F * inv);
  store<f64>(RESULTS + RESULT_D1, F1 * inv);
  store<f64>(RESULTS + RESULT_D2, F2 * inv);
  return -1;
}
