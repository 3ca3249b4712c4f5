// Calibration metrics and temperature fitting (docs/spec.md "calibration", "fitTemperature").
//
// calibration's per-row pass (calibrationRange): per row softmax(z/T) (or given probabilities),
// top-label confidence c = max p, prediction = first argmax, Brier term, NLL. For a finite row of logits one exp pass suffices:
// with e_j = exp((z_j − m)/T), S = Σ e, Q = Σ e²,
//   c = 1/S (e = 1 at the max),  nll = log S − (z_y − m)/T,
//   brier = Σ_{j≠y} p_j² + (1 − p_y)² = (Q − e_y²)/S² + ((S − e_y)/S)²,
// where (1 − p_y) is formed from S − e_y, not from 1 − p_y (which loses all digits as p_y → 1).
// Binning (and the sort for quantile bins) is done by the facade from the per-row outputs.
//
// temperatureMoments (momentsRange): one pass for the mean NLL f(β) of softmax(β·z) and its
// derivatives in β:
//   f_i = log Σ exp(β d_j) − β d_y,  f'_i = E_p[d] − d_y,  f''_i = Var_p[d],  d_j = z_j − m.
//
// Both run as parameter blocks (assembly/jobs.ts) in row blocks fixed by N and K, their sums added in
// block order, so every thread count gives the same bits (docs/spec.md "Threads").

import { rowMax, rowFinite, firstIndexOf } from "./rows";
import { rowExpSumSq, rowMoments, maxAbsFinite, extraB, extraC } from "./calibration_rows";
import { softmax64, hasNaNOrInf } from "./softmax_f64";
import { labelScan } from "./ce_labels";
import { expNeg } from "./math/exp";
import { at } from "./math/vec";
import { rowBlockRows, rowBlocks } from "./row_blocks";
import {
  RESULTS, RESULT_BRIER, RESULT_CONFIDENCE, RESULT_COUNT, RESULT_D1, RESULT_D2, RESULT_F, RESULT_HITS, RESULT_MAX_ABS,
  RESULT_NLL,
} from "./common";
import {
  CAL_BLOCK_ROWS, CAL_BLOCKS, CAL_CONF, CAL_CORRECT, CAL_COUNT, CAL_FROM_PROB, CAL_IGNORE, CAL_K, CAL_N, CAL_SCRATCH,
  CAL_SLOT_BYTES, CAL_SLOTS, CAL_TEMPERATURE, CAL_Y, CAL_Z, MOM_BETA, MOM_BLOCK_ROWS, MOM_BLOCKS, MOM_COUNT, MOM_IGNORE,
  MOM_K, MOM_N, MOM_SCAN, MOM_SLOT_BYTES, MOM_SLOTS, MOM_Y, MOM_Z,
} from "./params";
import { pPtr } from "./param_fields";

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

// A calibration block's slot (CAL_SLOT_BYTES): its first output index (i32), then these f64 sums.
const CS_BRIER: usize = 8;
const CS_NLL: usize = 16;
const CS_CONF: usize = 24;
const CS_HITS: usize = 32;
// A temperatureMoments block's slot (MOM_SLOT_BYTES): Σ f, Σ f', Σ f'', largest finite |z| (MOM_SCAN).
const MS_F: usize = 0;
const MS_D1: usize = 8;
const MS_D2: usize = 16;
const MS_ABS: usize = 24;


/**
 * Rows [i0, i1) of a calibration call: z N×K logits (or probabilities when fromProb), y N labels
 * (checked). conf (f64) and correct (i32) receive the rows not ignored, in order, from index `o`.
 * w64: this thread's 2·K f64 scratch. The block's sums (rows in order) go to its `slot`: Σ brier,
 * Σ nll, Σ confidence, correct count.
 */
function calibrationRange(
  z: usize, y: usize, k: i32, T: f64, fromProb: bool, ignoreIndex: i32,
  conf: usize, correct: usize, w64: usize, i0: i32, i1: i32, o: i32, slot: usize,
): void {
  const c = <f32>(1 / T);
  const stride: usize = <usize>k << 2;
  const p = w64, lp = w64 + (<usize>k << 3);
  let cnt = o, hits = 0;
  let brierSum: f64 = 0, nllSum: f64 = 0, confSum: f64 = 0;
  for (let i = i0; i < i1; i++) {
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
        rowPred = max(0, firstIndexOf(zi, k, m)); // the first maximum (present: the row is finite)
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
  store<f64>(slot + CS_BRIER, brierSum);
  store<f64>(slot + CS_NLL, nllSum);
  store<f64>(slot + CS_CONF, confSum);
  store<f64>(slot + CS_HITS, <f64>hits);
}

// ---- calibration's per-row pass as a parameter block (CAL_* in assembly/params.ts; assembly/jobs.ts;
// docs/spec.md "Threads"): row blocks of assembly/row_blocks.ts (from N and K alone), each thread with
// its own 2·K f64 row scratch, each block's sums in its own slot, added in block order by jobFinish.
// conf / correct hold only the rows not ignored, in row order: jobPrepare gives each block its first
// output index (the rows not ignored before it), so every block writes its own disjoint range.

/**
 * −1, or the first bad label's row (no output written then). One pass over the labels both checks them
 * (as labelScan) and gives each block its first output index.
 */
export function calibrationPrepare(p: usize): i32 {
  const y = pPtr(p, CAL_Y), n = load<i32>(p + CAL_N), k = load<i32>(p + CAL_K), ignoreIndex = load<i32>(p + CAL_IGNORE);
  const r = rowBlockRows(n, k), nb = rowBlocks(n, r);
  const slots = pPtr(p, CAL_SLOTS);
  let o = 0;
  for (let b = 0; b < nb; b++) {
    store<i32>(slots + <usize>b * CAL_SLOT_BYTES, o);
    const i1 = min(n, (b + 1) * r);
    for (let i = b * r; i < i1; i++) {
      const yi = load<i32>(at(y, i));
      if (yi == ignoreIndex) continue;
      if (<u32>yi >= <u32>k) return i;
      o++;
    }
  }
  store<i32>(p + CAL_BLOCK_ROWS, r);
  store<i32>(p + CAL_BLOCKS, nb);
  store<f64>(p + CAL_COUNT, <f64>o);
  return -1;
}

export function calibrationStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? load<i32>(p + CAL_BLOCKS) : -1;
}

export function calibrationBlock(p: usize, b: i32, thread: i32): void {
  const n = load<i32>(p + CAL_N), k = load<i32>(p + CAL_K), r = load<i32>(p + CAL_BLOCK_ROWS);
  const i0 = b * r, i1 = min(n, i0 + r);
  const slot = pPtr(p, CAL_SLOTS) + <usize>b * CAL_SLOT_BYTES;
  const w64 = pPtr(p, CAL_SCRATCH) + <usize>thread * (<usize>k << 4);
  calibrationRange(
    pPtr(p, CAL_Z), pPtr(p, CAL_Y), k, load<f64>(p + CAL_TEMPERATURE), load<i32>(p + CAL_FROM_PROB) != 0,
    load<i32>(p + CAL_IGNORE), pPtr(p, CAL_CONF), pPtr(p, CAL_CORRECT), w64, i0, i1, load<i32>(slot), slot,
  );
}

/** RESULTS: [1] rows counted, [2] Σ brier, [3] Σ nll, [4] Σ confidence, [5] correct count. */
export function calibrationFinish(p: usize): void {
  const nb = load<i32>(p + CAL_BLOCKS), slots = pPtr(p, CAL_SLOTS);
  let brierSum: f64 = 0, nllSum: f64 = 0, confSum: f64 = 0, hits: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const s = slots + <usize>b * CAL_SLOT_BYTES;
    brierSum += load<f64>(s + CS_BRIER);
    nllSum += load<f64>(s + CS_NLL);
    confSum += load<f64>(s + CS_CONF);
    hits += load<f64>(s + CS_HITS);
  }
  store<f64>(RESULTS + RESULT_COUNT, load<f64>(p + CAL_COUNT));
  store<f64>(RESULTS + RESULT_BRIER, brierSum);
  store<f64>(RESULTS + RESULT_NLL, nllSum);
  store<f64>(RESULTS + RESULT_CONFIDENCE, confSum);
  store<f64>(RESULTS + RESULT_HITS, hits);
}

/**
 * Rows [i0, i1) of temperatureMoments: z N×K logits, y N labels (checked), β = 1/T used as f32 (the
 * facade keeps β on the f32 grid so that what is evaluated is exactly the β it reports). The block's
 * Σ f, Σ f', Σ f'' (rows in order) go to `slot`.
 * Rows with a masked class take a scalar f64 path (masked classes skipped; a masked label gives
 * f = f' = +Infinity); a NaN / +Infinity or all-masked row makes all three NaN.
 */
function momentsRange(z: usize, y: usize, k: i32, ignoreIndex: i32, beta: f64, i0: i32, i1: i32, slot: usize): void {
  const bf = <f32>beta;
  const b: f64 = <f64>bf;
  const stride: usize = <usize>k << 2;
  let F: f64 = 0, F1: f64 = 0, F2: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
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
  store<f64>(slot + MS_F, F);
  store<f64>(slot + MS_D1, F1);
  store<f64>(slot + MS_D2, F2);
}

// ---- temperatureMoments as a parameter block (MOM_* in assembly/params.ts): fitTemperature's
// evaluation at one β, row blocks of assembly/row_blocks.ts, each block's three sums in its own slot,
// added in block order by jobFinish. The search over β stays in the facade (src/temperature.ts).

/** −1, or the first bad label's row. */
export function momentsPrepare(p: usize): i32 {
  const n = load<i32>(p + MOM_N), k = load<i32>(p + MOM_K);
  const bad = labelScan(pPtr(p, MOM_Y), n, k, load<i32>(p + MOM_IGNORE), 0);
  if (bad >= 0) return bad;
  store<f64>(p + MOM_COUNT, load<f64>(RESULTS + RESULT_COUNT));
  const r = rowBlockRows(n, k);
  store<i32>(p + MOM_BLOCK_ROWS, r);
  store<i32>(p + MOM_BLOCKS, rowBlocks(n, r));
  return -1;
}

export function momentsStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? load<i32>(p + MOM_BLOCKS) : -1;
}

export function momentsBlock(p: usize, b: i32): void {
  const n = load<i32>(p + MOM_N), k = load<i32>(p + MOM_K), r = load<i32>(p + MOM_BLOCK_ROWS);
  const i0 = b * r, i1 = min(n, i0 + r);
  const z = pPtr(p, MOM_Z), slot = pPtr(p, MOM_SLOTS) + <usize>b * MOM_SLOT_BYTES;
  // the scan first: the block's rows are then in cache for the moments
  if (load<i32>(p + MOM_SCAN)) {
    store<f64>(slot + MS_ABS, <f64>maxAbsFinite(z + (<usize>i0 * <usize>k << 2), <usize>(i1 - i0) * <usize>k));
  }
  momentsRange(z, pPtr(p, MOM_Y), k, load<i32>(p + MOM_IGNORE), load<f64>(p + MOM_BETA), i0, i1, slot);
}

/**
 * RESULTS: [1] rows counted, [2] mean f, [3] mean f', [4] mean f'' (all 0 with no row); with MOM_SCAN,
 * [5] the largest finite |z|.
 */
export function momentsFinish(p: usize): void {
  const nb = load<i32>(p + MOM_BLOCKS), slots = pPtr(p, MOM_SLOTS);
  let F: f64 = 0, F1: f64 = 0, F2: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const s = slots + <usize>b * MOM_SLOT_BYTES;
    F += load<f64>(s + MS_F);
    F1 += load<f64>(s + MS_D1);
    F2 += load<f64>(s + MS_D2);
  }
  if (load<i32>(p + MOM_SCAN)) {
    let m: f64 = 0;
    for (let b = 0; b < nb; b++) m = max(m, load<f64>(slots + <usize>b * MOM_SLOT_BYTES + MS_ABS));
    store<f64>(RESULTS + RESULT_MAX_ABS, m);
  }
  const cnt = load<f64>(p + MOM_COUNT);
  const inv: f64 = cnt > 0 ? 1 / cnt : 0;
  store<f64>(RESULTS + RESULT_COUNT, cnt);
  store<f64>(RESULTS + RESULT_F, F * inv);
  store<f64>(RESULTS + RESULT_D1, F1 * inv);
  store<f64>(RESULTS + RESULT_D2, F2 * inv);
}
