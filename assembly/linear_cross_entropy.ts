// The fused linear head (docs/spec.md "linearCrossEntropy"): crossEntropy(H·Wᵀ + b, y) and its
// gradients with respect to H, W and b, without ever holding the N×V logits.
//
// Rows go through in chunks of `chunkRows`. Per chunk: logits = H_c·Wᵀ (+ b) into scratch; the index
// cross-entropy row kernel (cross_entropy.ts, crossEntropyIndexBlock) turns them, in place, into their
// gradient G_c; then
//   ∂H_c = G_c·W,   ∂W += G_cᵀ·H_c ('vd', V×D) or H_cᵀ·G_c ('dv', D×V),   ∂b += Σ_rows G_c.
//
// Reduction across chunks. The divisor D = Σ w_y over the non-ignored rows (their count without
// weights) and their count n are taken first over ALL labels (labelScan, which also finds a bad label
// before anything is written). Every chunk's rows then run through crossEntropyIndex's row blocks
// with the whole call's scales s = 1/D ('mean', else 1) and zs = 1/n ('mean', else 1), exactly as
// crossEntropy applies them: G_c leaves the loss kernel already scaled (each element computed in f64
// before rounding to f32), and the products run with alpha = 1. The loss is Σ CE·s + λ·Σ lse²·zs over
// the block sums, added in f64 in row order. D = 0 under 'mean' gives loss 0 and zero gradients.
//
// Ignored rows contribute nothing, whatever their hidden state and whatever the weight holds: their
// ∂H rows are written as exact zeros after the product (0·NaN would be NaN), and a chunk whose ignored
// rows hold a non-finite hidden value adds its Gᵀ·H_c into ∂W in runs of rows that skip them.
//
// Threads (docs/spec.md "Threads"). The call is a parameter block (assembly/params.ts) run as steps,
// three per chunk, each a set of independent blocks (jobs.ts runs them on one thread or the pool):
//   step 3c:     logits, by class slices of LCE_VB classes (columns of the chunk's logits, bias added);
//   step 3c + 1: the loss kernel, by ceBlocks(nc, V) row blocks, each writing its sums to a slot;
//   step 3c + 2: (with grad) ∂H by column slices of LCE_HB, then ∂W and ∂b by class slices of LCE_VB.
// The slices depend on V and D only. Every output element of a product is summed over p in an order
// that depends only on (i, j, k) (gemm.ts), so who computes a slice never changes a bit; the loss
// kernel's row blocks are those of crossEntropy, and their sums are added in block order by the
// calling thread between steps (linearStepBlocks). Every thread count gives the same bits.

import { RESULTS, RESULT_COUNT, RESULT_DIVISOR, RESULT_LOSS, REDUCE_MEAN, WEIGHT_NONE, WEIGHT_PYTORCH } from "./common";
import { ceBlockRows, ceBlocks, crossEntropyIndexBlock, weightSum } from "./cross_entropy";
import { focalBegin, focalCoefRow, focalCeSum, focalRows, focalZSum } from "./focal";
import { labelScan } from "./ce_labels";
import { gemm, GEMM_PACK_BYTES } from "./gemm";
import {
  LCE_ACC, LCE_BIAS, LCE_CE_SUM, LCE_CHUNK_ROWS, LCE_CHUNKS, LCE_CW, LCE_D, LCE_EPS, LCE_GB, LCE_GH, LCE_GRAD,
  LCE_GW, LCE_H, LCE_IGNORE, LCE_LAMBDA, LCE_LAYOUT, LCE_N, LCE_OTHERS, LCE_REDUCTION, LCE_ROW_LOSS, LCE_S,
  LCE_SCRATCH, LCE_V, LCE_W, LCE_W_MODE, LCE_W_MODE_EFF, LCE_WSUM, LCE_Y, LCE_Z_SUM, LCE_ZS,
  LCE_FALPHA, LCE_FALPHA_V, LCE_FOCAL, LCE_FOCAL_CW, LCE_FOCAL_CW_EFF, LCE_GAMMA, LCE_SCHEDULE,
} from "./params";
import { pF64, pI32, pPtr } from "./param_fields";

export const LAYOUT_VD: i32 = 0;
export const LAYOUT_DV: i32 = 1;

/** Classes per slice of the logits and ∂W / ∂b steps (a multiple of gemm's NR: no slice splits a panel). */
export const LCE_VB: i32 = 512;
/**
 * Columns of ∂H per slice of the gradient step (a multiple of NR). Each slice streams the chunk's whole
 * G_c (nc×V) through gemm once, so narrow slices re-read it: 64 columns cost the one-thread path ~3% at
 * D = 256 (4 reads of an 8 MB G_c) against one product; 256 keeps D ≤ 256 to one read, and the ∂W class
 * slices of the same step still give every thread work (docs/performance.md, "The fused head on the pool").
 */
export const LCE_HB: i32 = 256;

// @ts-ignore: decorator
@inline function align16u(x: u64): u64 { return (x + 15) & ~(<u64>15); }

/** Most row blocks of one chunk (ceBlocks never exceeds it: a block holds at least one row, and at most 65535 blocks). */
// @ts-ignore: decorator
@inline function slotCount(chunkRows: i32): u64 { return <u64>min(chunkRows, 65535); }

/** Bytes of one thread's region of the scratch: the loss kernel's row (grad: false) and gemm's packing. */
// @ts-ignore: decorator
@inline function threadBytes(v: i32): u64 { return align16u(<u64>v << 2) + <u64>GEMM_PACK_BYTES; }

/**
 * Scratch bytes linearCrossEntropy needs for a chunk of `chunkRows` rows of `v` classes run by
 * `threads` threads: the chunk's logits, 16 bytes per row block, and per thread one row and the
 * product's packing. Returned as an f64 (exact below 2^53): as a usize it would wrap past 4 GiB, and
 * as the i32 JS receives it would turn negative past 2 GiB.
 */
export function linearScratchBytes(chunkRows: i32, v: i32, threads: i32): f64 {
  // each term is exact in u64; their sum in f64 (exact below 2^53) cannot wrap past 2^64 either
  return <f64>align16u(<u64>chunkRows * <u64>v << 2) + <f64>align16u(slotCount(chunkRows) << 4)
    + <f64>max(threads, 1) * <f64>threadBytes(v);
}


/** The chunk's logits, its slots, and thread `t`'s region (see linearScratchBytes). */
// @ts-ignore: decorator
@inline function zOf(p: usize): usize { return pPtr(p, LCE_SCRATCH); }
// @ts-ignore: decorator
@inline function slotsOf(p: usize): usize {
  return pPtr(p, LCE_SCRATCH) + <usize>align16u(<u64>pI32(p, LCE_CHUNK_ROWS) * <u64>pI32(p, LCE_V) << 2);
}
// @ts-ignore: decorator
@inline function threadRegion(p: usize, t: i32): usize {
  return slotsOf(p) + <usize>align16u(slotCount(pI32(p, LCE_CHUNK_ROWS)) << 4) + <usize>t * <usize>threadBytes(pI32(p, LCE_V));
}

/**
 * Checks the labels, clears the outputs that are overwritten-by-accumulation, and derives the call's
 * scales into the block. Returns −1, or the first row with a label out of range (nothing written then).
 * Fields (assembly/params.ts): h N×D; w V×D ('vd') or D×V ('dv'); bias V or 0; y N labels; cw V class
 * weights or 0; scratch linearScratchBytes; with grad, gh (N×D) is overwritten, gw / gb overwritten or
 * added into (acc); rowLoss N floats for 'none', else 0. No output may overlap an input or the scratch.
 */
export function linearPrepare(p: usize): i32 {
  const n = pI32(p, LCE_N), d = pI32(p, LCE_D), v = pI32(p, LCE_V);
  const w = pPtr(p, LCE_CW);
  const wMode = w ? pI32(p, LCE_W_MODE) : WEIGHT_NONE;
  store<i32>(p + LCE_W_MODE_EFF, wMode);
  const bad = labelScan(pPtr(p, LCE_Y), n, v, pI32(p, LCE_IGNORE), wMode != WEIGHT_NONE ? w : 0);
  if (bad >= 0) return bad;
  const D = load<f64>(RESULTS + RESULT_DIVISOR), cnt = load<f64>(RESULTS + RESULT_COUNT);
  const mean = pI32(p, LCE_REDUCTION) == REDUCE_MEAN;
  const grad = pI32(p, LCE_GRAD) != 0;
  const gb = pPtr(p, LCE_GB);
  if (grad && !pI32(p, LCE_ACC)) {
    memory.fill(pPtr(p, LCE_GW), 0, <usize>v * <usize>d << 2);
    if (gb) memory.fill(gb, 0, <usize>v << 2);
  }
  store<f64>(p + LCE_CE_SUM, 0);
  store<f64>(p + LCE_Z_SUM, 0);
  if (mean && D == 0) {
    if (grad) memory.fill(pPtr(p, LCE_GH), 0, <usize>n * <usize>d << 2);
    const rowLoss = pPtr(p, LCE_ROW_LOSS);
    if (rowLoss) memory.fill(rowLoss, 0, <usize>n << 2);
    store<f64>(p + LCE_S, 1);
    store<f64>(p + LCE_ZS, 1);
    store<i32>(p + LCE_CHUNKS, 0);
    return -1;
  }
  store<f64>(p + LCE_S, mean ? 1 / D : 1);
  store<f64>(p + LCE_ZS, mean ? 1 / cnt : 1);
  store<f64>(p + LCE_WSUM, weightSum(w, v, wMode));
  if (pI32(p, LCE_FOCAL) && n > 0) {
    const cw = focalCoefRow(pPtr(p, LCE_FOCAL_CW), v, pPtr(p, LCE_FALPHA_V), pF64(p, LCE_FALPHA), w, wMode == WEIGHT_PYTORCH);
    store<u32>(p + LCE_FOCAL_CW_EFF, <u32>cw);
  }
  const rows = pI32(p, LCE_CHUNK_ROWS);
  store<i32>(p + LCE_CHUNKS, n == 0 ? 0 : (n + rows - 1) / rows);
  return -1;
}

/** Rows of chunk c. */
// @ts-ignore: decorator
@inline function chunkLen(p: usize, c: i32): i32 {
  const rows = pI32(p, LCE_CHUNK_ROWS);
  return min(rows, pI32(p, LCE_N) - c * rows);
}

/** Gradient-step blocks: ∂H column slices, then ∂W / ∂b class slices. */
// @ts-ignore: decorator
@inline function hBlocks(d: i32): i32 { return (d + LCE_HB - 1) / LCE_HB; }
// @ts-ignore: decorator
@inline function vBlocks(v: i32): i32 { return (v + LCE_VB - 1) / LCE_VB; }

/**
 * The calling thread's work between steps, then the number of blocks of step `step` (0 for a step
 * with nothing to do), or −1 past the last step. At step 3c + 2 (run with or without grad) it first
 * adds the loss step's slots of chunk c into the running sums, in block order.
 */
export function linearStepBlocks(p: usize, step: i32): i32 {
  const chunks = pI32(p, LCE_CHUNKS);
  if (step >= 3 * chunks) return -1;
  const c = step / 3, phase = step - 3 * c;
  const v = pI32(p, LCE_V);
  if (phase == 0) return vBlocks(v);
  if (phase == 1) return ceBlocks(chunkLen(p, c), v);
  addSlots(p, c);
  return pI32(p, LCE_GRAD) ? hBlocks(pI32(p, LCE_D)) + vBlocks(v) : 0;
}

/** The loss step of chunk c is done: its block sums, in block order, join the running sums. */
function addSlots(p: usize, c: i32): void {
  const slots = slotsOf(p);
  const nb = ceBlocks(chunkLen(p, c), pI32(p, LCE_V));
  let ce = pF64(p, LCE_CE_SUM), zz = pF64(p, LCE_Z_SUM);
  for (let b = 0; b < nb; b++) {
    ce += load<f64>(slots + (<usize>b << 4));
    zz += load<f64>(slots + (<usize>b << 4), 8);
  }
  store<f64>(p + LCE_CE_SUM, ce);
  store<f64>(p + LCE_Z_SUM, zz);
}

/** Block `b` of step `step`, on thread `t` (0 = the caller; its scratch region is the t-th). */
export function linearBlock(p: usize, step: i32, b: i32, t: i32): void {
  const c = step / 3, phase = step - 3 * c;
  const n = pI32(p, LCE_N), d = pI32(p, LCE_D), v = pI32(p, LCE_V);
  const r0 = c * pI32(p, LCE_CHUNK_ROWS);
  const nc = min(pI32(p, LCE_CHUNK_ROWS), n - r0);
  const h = pPtr(p, LCE_H), wt = pPtr(p, LCE_W);
  const hc = h + (<usize>r0 * <usize>d << 2);
  const yc = pPtr(p, LCE_Y) + (<usize>r0 << 2);
  const z = zOf(p);
  const region = threadRegion(p, t);
  const row = region, pack = region + <usize>align16u(<u64>v << 2);
  const vd = pI32(p, LCE_LAYOUT) == LAYOUT_VD;
  if (phase == 0) {
    // logits of classes [j0, j1): H_c (nc×D) times Wᵀ's columns; W's rows read along D ('vd') or W itself ('dv')
    const j0 = b * LCE_VB, nv = min(LCE_VB, v - j0);
    const zj = z + (<usize>j0 << 2);
    if (vd) gemm(nc, nv, d, hc, d, 1, wt + (<usize>j0 * <usize>d << 2), 1, d, zj, v, 1, false, pack);
    else gemm(nc, nv, d, hc, d, 1, wt + (<usize>j0 << 2), v, 1, zj, v, 1, false, pack);
    const bias = pPtr(p, LCE_BIAS);
    if (bias) addBias(zj, nc, v, nv, bias + (<usize>j0 << 2));
    return;
  }
  const grad = pI32(p, LCE_GRAD) != 0;
  const ignoreIndex = pI32(p, LCE_IGNORE);
  if (phase == 1) {
    const rowLoss = pPtr(p, LCE_ROW_LOSS);
    if (pI32(p, LCE_FOCAL)) {
      // the focal loss (focal.ts) on the same row blocks, in place like the plain kernel
      focalBegin(
        pF64(p, LCE_GAMMA), pI32(p, LCE_SCHEDULE), pF64(p, LCE_FALPHA), pPtr(p, LCE_FALPHA_V), pPtr(p, LCE_FOCAL_CW_EFF),
        pF64(p, LCE_EPS), pF64(p, LCE_LAMBDA), pI32(p, LCE_OTHERS) != 0, pPtr(p, LCE_CW), pI32(p, LCE_W_MODE_EFF), pF64(p, LCE_S),
        pF64(p, LCE_ZS), grad,
      );
      const r = ceBlockRows(nc, v), i0 = b * r;
      focalRows(z, yc, 0, i0, min(nc, i0 + r), v, ignoreIndex, z, rowLoss ? rowLoss + (<usize>r0 << 2) : 0, row);
      const slot = slotsOf(p) + (<usize>b << 4);
      store<f64>(slot, focalCeSum);
      store<f64>(slot, focalZSum, 8);
      return;
    }
    crossEntropyIndexBlock(
      z, yc, nc, v, pF64(p, LCE_EPS), pI32(p, LCE_OTHERS) != 0, ignoreIndex, pPtr(p, LCE_CW), pI32(p, LCE_W_MODE_EFF),
      pF64(p, LCE_WSUM), pF64(p, LCE_LAMBDA), pF64(p, LCE_S), pF64(p, LCE_ZS), grad ? z : row, grad,
      rowLoss ? rowLoss + (<usize>r0 << 2) : 0, b, slotsOf(p),
    );
    return;
  }
  const nh = hBlocks(d);
  if (b < nh) {
    // ∂H_c columns [i0, i0 + nd): G_c·W ('vd': W's rows along D) or G_c·Wᵀ ('dv': W is D×V)
    const i0 = b * LCE_HB, nd = min(LCE_HB, d - i0);
    const ghc = pPtr(p, LCE_GH) + (<usize>r0 * <usize>d << 2) + (<usize>i0 << 2);
    if (vd) gemm(nc, nd, v, z, v, 1, wt + (<usize>i0 << 2), d, 1, ghc, d, 1, false, pack);
    else gemm(nc, nd, v, z, v, 1, wt + (<usize>i0 * <usize>v << 2), 1, v, ghc, d, 1, false, pack);
    zeroIgnoredRows(ghc, yc, nc, d, nd, ignoreIndex);
    return;
  }
  // ∂W and ∂b of classes [j0, j0 + nv)
  const j0 = (b - nh) * LCE_VB, nv = min(LCE_VB, v - j0);
  addWeightGrad(vd, z + (<usize>j0 << 2), hc, yc, nc, d, v, nv, ignoreIndex, pPtr(p, LCE_GW), j0, pack);
  const gb = pPtr(p, LCE_GB);
  if (gb) addColumnSums(gb + (<usize>j0 << 2), z + (<usize>j0 << 2), nc, v, nv);
}

/** The loss from the running sums, into RESULTS (for 'none': the sum of row losses). */
export function linearFinish(p: usize): void {
  const ce = pF64(p, LCE_CE_SUM), zz = pF64(p, LCE_Z_SUM), lambda = pF64(p, LCE_LAMBDA);
  const loss = pI32(p, LCE_REDUCTION) == REDUCE_MEAN
    ? ce * pF64(p, LCE_S) + lambda * zz * pF64(p, LCE_ZS)
    : ce + lambda * zz;
  store<f64>(RESULTS + RESULT_LOSS, pI32(p, LCE_CHUNKS) == 0 ? 0 : loss);
}

/** ∂H rows of ignored rows (nd columns) are exact zeros: G's row is 0, but 0·(a non-finite weight) is NaN. */
function zeroIgnoredRows(ghc: usize, yc: usize, nc: i32, d: i32, nd: i32, ignoreIndex: i32): void {
  for (let i = 0; i < nc; i++) {
    if (load<i32>(yc + (<usize>i << 2)) == ignoreIndex) memory.fill(ghc + (<usize>i * <usize>d << 2), 0, <usize>nd << 2);
  }
}

/** Whether row i of the chunk is ignored and holds a non-finite hidden value (x − x is NaN only there). */
function skipRow(hc: usize, yc: usize, i: i32, d: i32, ignoreIndex: i32): bool {
  if (load<i32>(yc + (<usize>i << 2)) != ignoreIndex) return false;
  const r = hc + (<usize>i * <usize>d << 2);
  let acc: f32 = 0;
  for (let j = 0; j < d; j++) { const x = load<f32>(r + (<usize>j << 2)); acc += x - x; }
  return acc != acc;
}

/**
 * ∂W += G_cᵀ·H_c ('vd', V×D) or H_cᵀ·G_c ('dv', D×V) for the nv classes from j0 (zj: G_c's column j0),
 * in runs of rows that skip ignored rows with non-finite hidden values (their G rows are 0, but 0·NaN
 * is NaN). A chunk without such a row is one product.
 */
function addWeightGrad(
  vd: bool, zj: usize, hc: usize, yc: usize, nc: i32, d: i32, v: i32, nv: i32, ignoreIndex: i32,
  gw: usize, j0: i32, pack: usize,
): void {
  let start = 0;
  for (let i = 0; i <= nc; i++) {
    if (i < nc && !skipRow(hc, yc, i, d, ignoreIndex)) continue;
    const m = i - start;
    if (m > 0) {
      const zs = zj + (<usize>start * <usize>v << 2), hs = hc + (<usize>start * <usize>d << 2);
      if (vd) gemm(nv, d, m, zs, 1, v, hs, d, 1, gw + (<usize>j0 * <usize>d << 2), d, 1, true, pack);
      else gemm(d, nv, m, hs, 1, d, zs, v, 1, gw + (<usize>j0 << 2), v, 1, true, pack);
    }
    start = i + 1;
  }
}

/** z[i][j] += bias[j] for the nc rows of a chunk (row stride v), nv columns. */
function addBias(z: usize, nc: i32, v: i32, nv: i32, bias: usize): void {
  const stride = <usize>v << 2;
  for (let i = 0; i < nc; i++) {
    const r = z + <usize>i * stride;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= nv; j += 4) {
        const o = <usize>j << 2;
        v128.store(r + o, f32x4.add(v128.load(r + o), v128.load(bias + o)));
      }
    }
    for (; j < nv; j++) {
      const o = <usize>j << 2;
      store<f32>(r + o, load<f32>(r + o) + load<f32>(bias + o));
    }
  }
}

/** gb[j] += Σ_i g[i][j] over the nc rows of a chunk (row stride v), nv columns (rows summed in order, in f32). */
function addColumnSums(gb: usize, g: usize, nc: i32, v: i32, nv: i32): void {
  const stride = <usize>v << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= nv; j += 4) {
      const o = <usize>j << 2;
      let sum = f32x4.splat(0);
      for (let i = 0; i < nc; i++) sum = f32x4.add(sum, v128.load(g + <usize>i * stride + o));
      v128.store(gb + o, f32x4.add(v128.load(gb + o), sum));
    }
  }
  for (; j < nv; j++) {
    const o = <usize>j << 2;
    let sum: f32 = 0;
    for (let i = 0; i < nc; i++) sum += load<f32>(g + <usize>i * stride + o);
    store<f32>(gb + o, load<f32>(gb + o) + sum);
  }
}
