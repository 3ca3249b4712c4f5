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
//
// Rows run in fixed blocks (ceBlockRows: a size from N and K only, never from a thread count); each
// block's loss sums are added in block order, so a thread pool running the blocks (…Block entries,
// each writing its sums to a slot, then …Finish on the calling thread) gives the same bits as one
// thread (docs/spec.md "Threads").

import { at } from "./math/vec";
import {
  RESULTS, RESULT_DIVISOR, RESULT_COUNT, RESULT_LOSS, REDUCE_MEAN, WEIGHT_NONE, WEIGHT_PYTORCH,
} from "./common";
import { CeCall, CE_CALL } from "./ce_call";
import { labelScan } from "./ce_labels";
import { logFlush, deferStart } from "./ce_deferred_logs";
import { indexRow, probRow } from "./ce_rows";
import { SMALL_K, tile4, tileProb } from "./ce_tile";

/** Target elements per row block: small enough to spread a 32×32000 call over the threads. */
const BLOCK_ELEMS: i32 = 16384;

/**
 * Rows per block for N rows of K classes: a function of (N, K) only. With the small-K tile (four rows
 * across the lanes) blocks start at multiples of 4 rows, so every row keeps its tile group. At most
 * 65535 blocks (the pool's claim word holds a block index in 16 bits).
 */
export function ceBlockRows(n: i32, k: i32): i32 {
  let r = BLOCK_ELEMS / max(k, 1);
  const least = (n + 65534) / 65535;
  if (r < least) r = least;
  if (r < 1) r = 1;
  if (k <= SMALL_K) r = (r + 3) & ~3;
  return r;
}

/** Number of row blocks of a call (0 for N = 0). */
export function ceBlocks(n: i32, k: i32): i32 {
  const r = ceBlockRows(n, k);
  return (n + r - 1) / r;
}


/** Zero the gradient and report a zero loss: the D = 0 rule (docs/spec.md "crossEntropy", the reduction paragraph). */
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
  const W = weightSum(w, k, wMode);
  indexSetup(ctx, k, eps, others, wMode, W, lambda, s, zs);
  const r = ceBlockRows(n, k);
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let r0 = 0; r0 < n; r0 += r) {
    indexRows(ctx, z, y, r0, min(n, r0 + r), k, ignoreIndex, eps, others, w, wMode, g, grad, rowLoss);
    ceSum += ctx.blockCe; zSum += ctx.blockZ;
  }
  store<f64>(RESULTS + RESULT_LOSS, indexLoss(ceSum, zSum, mean, s, zs, lambda));
  return -1;
}

/** Σ_j w_j for 'pytorch' class weights, else 0 (summed once a call, in class order). */
export function weightSum(w: usize, k: i32, wMode: i32): f64 {
  let W: f64 = 0;
  if (w && wMode == WEIGHT_PYTORCH) for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j));
  return W;
}

/**
 * One row block of crossEntropyIndex for a pool thread: the labels were checked and s, zs (from the
 * divisor D and count n of labelScan) and W = weightSum(w, k, wMode) computed by the caller. Writes
 * the block's CE and lse² sums to slots[2·block], slots[2·block + 1] (f64). g: as crossEntropyIndex,
 * but without grad this thread's own K-float scratch row.
 */
export function crossEntropyIndexBlock(
  z: usize, y: usize, n: i32, k: i32, eps: f64, others: bool, ignoreIndex: i32,
  w: usize, wMode: i32, W: f64, lambda: f64, s: f64, zs: f64, g: usize, grad: bool, rowLoss: usize,
  block: i32, slots: usize,
): void {
  const ctx: CeCall = CE_CALL;
  if (!w) wMode = WEIGHT_NONE;
  indexSetup(ctx, k, eps, others, wMode, W, lambda, s, zs);
  const r = ceBlockRows(n, k), r0 = block * r;
  indexRows(ctx, z, y, r0, min(n, r0 + r), k, ignoreIndex, eps, others, w, wMode, g, grad, rowLoss);
  store<f64>(slots + (<usize>block << 4), ctx.blockCe);
  store<f64>(slots + (<usize>block << 4), ctx.blockZ, 8);
}

/** The caller's half of a pooled crossEntropyIndex: the slots' sums in block order, then the loss. */
export function crossEntropyIndexFinish(slots: usize, blocks: i32, reduction: i32, s: f64, zs: f64, lambda: f64): void {
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let b = 0; b < blocks; b++) {
    ceSum += load<f64>(slots + (<usize>b << 4));
    zSum += load<f64>(slots + (<usize>b << 4), 8);
  }
  store<f64>(RESULTS + RESULT_LOSS, indexLoss(ceSum, zSum, reduction == REDUCE_MEAN, s, zs, lambda));
}

// @ts-ignore: decorator
@inline function indexLoss(ceSum: f64, zSum: f64, mean: bool, s: f64, zs: f64, lambda: f64): f64 {
  return mean ? ceSum * s + lambda * zSum * zs : ceSum + lambda * zSum;
}

function indexSetup(ctx: CeCall, k: i32, eps: f64, others: bool, wMode: i32, W: f64, lambda: f64, s: f64, zs: f64): void {
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
}

/** Rows [r0, r1) of an index-target call (r0 a block start); their sums go to ctx.blockCe / blockZ. */
function indexRows(
  ctx: CeCall, z: usize, y: usize, r0: i32, r1: i32, k: i32, ignoreIndex: i32, eps: f64, others: bool,
  w: usize, wMode: i32, g: usize, grad: bool, rowLoss: usize,
): void {
  const kf = <f64>k;
  const oth = others && k > 1;
  // without weights every row's Q is the same (see rowFinish), which logFlush can use
  deferStart(ctx, rowLoss, wMode == WEIGHT_NONE, ctx.A + ctx.B * (oth ? kf - 1 : kf));
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  let i = r0;
  // Small K: four rows across the lanes (only where a tile can be scattered without racing the
  // in-place reads: the tile holds its own copy, so g may equal z).
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = r0 + ((r1 - r0) & ~3);
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
  for (; i < r1; i++) {
    indexRow(ctx, z, y, i, k, ignoreIndex, eps, others, w, g, grad, rowLoss, stride);
    ceSum += ctx.rowCe; zSum += ctx.rowZ;
  }
  logFlush(ctx);
  ctx.blockCe = ceSum + ctx.logCeSum; ctx.blockZ = zSum;
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
  const W = probWeightSum(w, k);
  probSetup(ctx, k, eps, W, lambda, s);
  const r = ceBlockRows(n, k);
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let r0 = 0; r0 < n; r0 += r) {
    probRows(ctx, z, t, r0, min(n, r0 + r), k, eps, w, g, grad, rowLoss);
    ceSum += ctx.blockCe; zSum += ctx.blockZ;
  }
  store<f64>(RESULTS + RESULT_LOSS, probLoss(ceSum, zSum, mean, s, lambda));
}

/** Σ_j w_j of probability targets' class weights, or K without weights. */
export function probWeightSum(w: usize, k: i32): f64 {
  let W: f64 = <f64>k;
  if (w) { W = 0; for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j)); }
  return W;
}

/**
 * One row block of crossEntropyProb for a pool thread (N > 0): s = 1/N for 'mean' else 1, and
 * W = probWeightSum(w, k), from the caller. Slots and g as crossEntropyIndexBlock.
 */
export function crossEntropyProbBlock(
  z: usize, t: usize, n: i32, k: i32, eps: f64, w: usize, W: f64, lambda: f64, s: f64,
  g: usize, grad: bool, rowLoss: usize, block: i32, slots: usize,
): void {
  const ctx: CeCall = CE_CALL;
  probSetup(ctx, k, eps, W, lambda, s);
  const r = ceBlockRows(n, k), r0 = block * r;
  probRows(ctx, z, t, r0, min(n, r0 + r), k, eps, w, g, grad, rowLoss);
  store<f64>(slots + (<usize>block << 4), ctx.blockCe);
  store<f64>(slots + (<usize>block << 4), ctx.blockZ, 8);
}

/** The caller's half of a pooled crossEntropyProb: the slots' sums in block order, then the loss. */
export function crossEntropyProbFinish(slots: usize, blocks: i32, reduction: i32, s: f64, lambda: f64): void {
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let b = 0; b < blocks; b++) {
    ceSum += load<f64>(slots + (<usize>b << 4));
    zSum += load<f64>(slots + (<usize>b << 4), 8);
  }
  store<f64>(RESULTS + RESULT_LOSS, probLoss(ceSum, zSum, reduction == REDUCE_MEAN, s, lambda));
}

// @ts-ignore: decorator
@inline function probLoss(ceSum: f64, zSum: f64, mean: bool, s: f64, lambda: f64): f64 {
  return mean ? (ceSum + lambda * zSum) * s : ceSum + lambda * zSum;
}

function probSetup(ctx: CeCall, k: i32, eps: f64, W: f64, lambda: f64, s: f64): void {
  ctx.A = 1 - eps; ctx.B = eps / <f64>k; ctx.sumW = W; ctx.s = s; ctx.zs = s; ctx.lambda = lambda;
  ctx.classes = <f64>k; ctx.weightMode = WEIGHT_PYTORCH; ctx.others = false;
}

/** Rows [r0, r1) of a probability-target call; their sums go to ctx.blockCe / blockZ. */
function probRows(
  ctx: CeCall, z: usize, t: usize, r0: i32, r1: i32, k: i32, eps: f64, w: usize,
  g: usize, grad: bool, rowLoss: usize,
): void {
  const A = ctx.A, B = ctx.B, W = ctx.sumW, s = ctx.s, lambda = ctx.lambda;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  deferStart(ctx, rowLoss, false, 0);
  let i = r0;
  // Small K: four rows across the lanes (the tile holds its own copy, so g may equal z)
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = r0 + ((r1 - r0) & ~3);
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
  for (; i < r1; i++) {
    probRow(ctx, z, t, i, k, eps, w, lambda, s, A, B, W, g, grad, rowLoss, stride);
    ceSum += ctx.rowCe; zSum += ctx.rowZ;
  }
  logFlush(ctx);
  ctx.blockCe = ceSum + ctx.logCeSum; ctx.blockZ = zSum;
}
