// Fused softmax cross-entropy forward + gradient (docs/spec.md "crossEntropy"): the entry points.
//
// Index targets: crossEntropyIndex; probability targets: crossEntropyProb. Each fills the call context
// (ce_call.ts) and runs every row by the small-K tile (ce_tile.ts, K ≤ SMALL_K, SIMD builds) or the
// three-pass row path (ce_rows.ts); rows with a non-finite logit take the generic scalar row
// (ce_generic.ts). Without z-loss the rows' logs are deferred and taken in blocks (ce_deferred_logs.ts).
//
// Loss per row is assembled in f64 from the pass sums, with ℓ_j = (z_j − m) − log S:
//   uniform, no weights:   L = −(1−ε)ℓ_y − (ε/K)·Σ_j ℓ_j,  Σ_j ℓ_j = Σ_j (z_j − m) − K·log S
// and the gradient is  ∂L/∂z_j = s·((Σ r)·p_j − r_j) + zs·2λ·lse·p_j  with r the weighted target,
// s / zs the reduction scales. One exp per element; no call allocates.

import { at } from "./math/vec";
import {
  RESULTS, RESULT_DIVISOR, RESULT_COUNT, RESULT_LOSS, REDUCE_MEAN, WEIGHT_NONE, WEIGHT_PYTORCH,
} from "./common";
import { CeCall, CE_CALL } from "./ce_call";
import { labelScan } from "./ce_labels";
import { logFlush, deferStart } from "./ce_deferred_logs";
import { indexRow, probRow } from "./ce_rows";
import { SMALL_K, tile4, tileProb } from "./ce_tile";

/** Zero the gradient and report a zero loss: the D = 0 rule (docs/spec.md "Reduction"). */
function zeroResult(g: usize, grad: bool, n: i32, k: i32, rowLoss: usize): void {
  if (grad) memory.fill(g, 0, <usize>n * <usize>k << 2);
  if (rowLoss) memory.fill(rowLoss, 0, <usize>n << 2);
  store<f64>(RESULTS + RESULT_LOSS, 0);
}

/**
 * Index targets. z: N×K logits; y: N labels; w: K class weights or 0; g: N×K gradient (may equal z)
 * when grad, else a K-float scratch row; rowLoss: N floats for reduction 'none', else 0.
 * Returns −1, or the first row with a bad label (nothing written then).
 * RESULTS[RESULT_LOSS] = the reduced loss (for 'none': the sum of row losses).
 */
export function crossEntropyIndex(
  z: usize, y: usize, n: i32, k: i32, eps: f64, others: bool, ignoreIndex: i32,
  w: usize, wMode: i32, lambda: f64, reduction: i32, g: usize, grad: bool, rowLoss: usize,
): i32 {
  const ctx: CeCall = CE_CALL;
  if (!w) wMode = WEIGHT_NONE;
  const badRow = labelScan(y, n, k, ignoreIndex, wMode != WEIGHT_NONE ? w : 0);
  if (badRow >= 0) return badRow;
  const D = load<f64>(RESULTS + RESULT_DIVISOR), cnt = load<f64>(RESULTS + RESULT_COUNT);
  const mean = reduction == REDUCE_MEAN;
  if (D == 0 && mean) { zeroResult(g, grad, n, k, rowLoss); return -1; }
  const s: f64 = mean ? 1 / D : 1;
  const zs: f64 = mean ? 1 / cnt : 1;
  let W: f64 = 0;
  if (wMode == WEIGHT_PYTORCH) for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j));
  const kf = <f64>k;
  // Smoothing mass per non-target class, and the target's own coefficient (fast path: K' = K).
  const oth = others && k > 1;
  ctx.B = oth ? eps / (kf - 1) : (others ? 0 : eps / kf);
  ctx.A = (others && k == 1) ? 1 : 1 - eps;
  ctx.others = oth; ctx.classes = kf; ctx.sumW = W; ctx.weightMode = wMode; ctx.s = s; ctx.zs = zs; ctx.lambda = lambda;
  const kp: f64 = oth ? kf - 1 : kf;
  ctx.tileQW = wMode == WEIGHT_PYTORCH ? ctx.A - (oth ? ctx.B : 0) : ctx.A + ctx.B * kp;
  ctx.tileQW0 = wMode == WEIGHT_PYTORCH ? ctx.B * W : 0;
  ctx.tileGy0 = s * ctx.A + (oth ? 0 : s * ctx.B);
  // without weights every row's Q is the same (see rowFinish), which logFlush can use
  deferStart(ctx, rowLoss, wMode == WEIGHT_NONE, ctx.A + ctx.B * (oth ? kf - 1 : kf));
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  let i = 0;
  // Small K: four rows across the lanes (only where a tile can be scattered without racing the
  // in-place reads: the tile holds its own copy, so g may equal z).
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = n & ~3;
    while (i < n4) {
      if (tile4(ctx, z, y, i, k, ignoreIndex, w, g, grad, rowLoss)) {
        ceSum += ctx.tileCeSum; zSum += ctx.tileZSum;
        i += 4;
        continue;
      }
      // a tile with an ignored or non-finite row: those four rows take the row path
      const end = i + 4;
      for (; i < end; i++) {
        indexRow(ctx, z, y, i, k, ignoreIndex, eps, others, w, g, grad, rowLoss, stride);
        ceSum += ctx.rowCe; zSum += ctx.rowZ;
      }
    }
  }
  for (; i < n; i++) {
    indexRow(ctx, z, y, i, k, ignoreIndex, eps, others, w, g, grad, rowLoss, stride);
    ceSum += ctx.rowCe; zSum += ctx.rowZ;
  }
  logFlush(ctx);
  ceSum += ctx.logCeSum;
  store<f64>(RESULTS + RESULT_LOSS, mean ? ceSum * s + lambda * zSum * zs : ceSum + lambda * zSum);
  return -1;
}


/**
 * Probability targets t (N×K). 'mean' divides by N. Arguments as crossEntropyIndex; g may equal z.
 */
export function crossEntropyProb(
  z: usize, t: usize, n: i32, k: i32, eps: f64, w: usize, lambda: f64, reduction: i32,
  g: usize, grad: bool, rowLoss: usize,
): void {
  const ctx: CeCall = CE_CALL;
  const mean = reduction == REDUCE_MEAN;
  if (n == 0) { zeroResult(g, grad, n, k, rowLoss); return; }
  const s: f64 = mean ? 1 / <f64>n : 1;
  const A: f64 = 1 - eps, B: f64 = eps / <f64>k;
  let W: f64 = <f64>k; // Σ_j w_j
  if (w) { W = 0; for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j)); }
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  ctx.A = A; ctx.B = B; ctx.sumW = W; ctx.s = s; ctx.zs = s; ctx.lambda = lambda;
  ctx.classes = <f64>k; ctx.weightMode = WEIGHT_PYTORCH; ctx.others = false;
  deferStart(ctx, rowLoss, false, 0);
  let i = 0;
  // Small K: four rows across the lanes (the tile holds its own copy, so g may equal z)
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = n & ~3;
    while (i < n4) {
      if (tileProb(ctx, z, t, i, k, w, g, grad, rowLoss)) {
        ceSum += ctx.tileCeSum; zSum += ctx.tileZSum;
        i += 4;
        continue;
      }
      const end = i + 4;
      for (; i < end; i++) {
        probRow(ctx, z, t, i, k, eps, w, lambda, s, A, B, W, g, grad, rowLoss, stride);
        ceSum += ctx.rowCe; zSum += ctx.rowZ;
      }
    }
  }
  for (; i < n; i++) {
    probRow(ctx, z, t, i, k, eps, w, lambda, s, A, B, W, g, grad, rowLoss, stride);
    ceSum += ctx.rowCe; zSum += ctx.rowZ;
  }
  logFlush(ctx);
  ceSum += ctx.logCeSum;
  store<f64>(RESULTS + RESULT_LOSS, mean ? (ceSum + lambda * zSum) * s : ceSum + lambda * zSum);
}

