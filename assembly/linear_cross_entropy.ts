// The fused linear head (docs/spec.md "linearCrossEntropy"): crossEntropy(H·Wᵀ + b, y) and its
// gradients with respect to H, W and b, without ever holding the N×V logits.
//
// Rows go through in chunks of `chunkRows`. Per chunk: logits = H_c·Wᵀ (+ b) into scratch; the index
// cross-entropy row kernel (cross_entropy.ts) turns them, in place, into their gradient G_c; then
//   ∂H_c = s·G_c·W,   ∂W += s·G_cᵀ·H_c ('vd', V×D) or s·H_cᵀ·G_c ('dv', D×V),   ∂b += s·Σ_rows G_c.
//
// Reduction across chunks. The divisor D = Σ w_y over the non-ignored rows (their count without
// weights) and their count n are taken first over ALL labels (labelScan, which also finds a bad label
// before anything is written). Every chunk's rows then run through crossEntropyIndex's row blocks
// (crossEntropyIndexBlock) with the whole call's scales s = 1/D ('mean', else 1) and zs = 1/n ('mean',
// else 1), exactly as crossEntropy applies them: the gradient G_c leaves the loss kernel already
// scaled, each element of it computed in f64 as s·w·(p − q) + zs·2λ·lse·p before rounding to f32,
// so no intermediate is Σw times the result (an f32 alpha of 1/D applied after the products overflowed
// for Σw below 2.9e-39, weights of 1e20 with large activations, or λ·Σw/n past f32). The products
// then run with alpha = 1. The loss is Σ CE·s + λ·Σ lse²·zs over the block sums, added in f64 in row
// order. D = 0 under 'mean' gives loss 0 and zero gradients.
//
// Ignored rows contribute nothing, whatever their hidden state and whatever the weight holds
// (docs/non-finite.md "linearCrossEntropy"): their ∂H rows are written as exact zeros after the
// product (0·NaN would be NaN), and a chunk whose ignored rows hold a non-finite hidden value adds
// its Gᵀ·H_c into ∂W in runs of rows that skip them.
//
// Threads (later): every product partitions its output tiles, and each output element's summation
// order depends only on the chunk boundaries and gemm's KC blocks (never on who computes it), so a
// pool can split the tiles of each product (and the rows of the loss kernel, whose per-row results
// are summed in row order) and stay bitwise identical to one thread. The chunk size must then be the
// same for every thread count (it is: it depends on V and the byte budget only).

import { RESULTS, REDUCE_MEAN, WEIGHT_NONE } from "./common";
import { ceBlocks, crossEntropyIndexBlock, weightSum } from "./cross_entropy";
import { labelScan } from "./ce_labels";
import { gemm, GEMM_PACK_BYTES } from "./gemm";

export const LAYOUT_VD: i32 = 0;
export const LAYOUT_DV: i32 = 1;

// @ts-ignore: decorator
@inline function align16(x: usize): usize { return (x + 15) & ~<usize>15; }
// @ts-ignore: decorator
@inline function align16u(x: u64): u64 { return (x + 15) & ~(<u64>15); }

/** Most row blocks of one chunk (ceBlocks never exceeds it: a block holds at least one row, and at most 65535 blocks). */
// @ts-ignore: decorator
@inline function slotCount(chunkRows: i32): u64 { return <u64>min(chunkRows, 65535); }

/**
 * Scratch bytes linearCrossEntropy needs for a chunk of `chunkRows` rows of `v` classes: the chunk's
 * logits, one row, the product's packing, and 16 bytes per row block. Computed in u64 and returned as
 * an f64 (exact below 2^53, and any value that large is refused anyway): as a usize it would wrap past
 * 4 GiB, and as the i32 JS receives it would turn negative past 2 GiB. The facade computes the same
 * size itself and refuses the call when the two differ or the size cannot fit in wasm32.
 */
export function linearScratchBytes(chunkRows: i32, v: i32): f64 {
  const bytes = align16u(<u64>chunkRows * <u64>v << 2) + align16u(<u64>v << 2) + <u64>GEMM_PACK_BYTES
    + align16u(slotCount(chunkRows) << 4);
  return <f64>bytes;
}

/**
 * h: N×D hidden; wt: the weight, V×D (layout 0, 'vd') or D×V (layout 1, 'dv'); bias: V floats or 0;
 * y: N labels; w: V class weights or 0 (wMode as crossEntropyIndex). scratch: linearScratchBytes.
 * With grad: gh (N×D) is overwritten; gw (the weight's shape) and gb (V, or 0 without a bias) are
 * overwritten, or added into when acc. rowLoss: N floats for reduction 'none', else 0.
 * No output may overlap an input or the scratch. Returns −1, or the first row with a label out of
 * range (nothing written then). RESULTS[2] = the reduced loss (for 'none': the sum of row losses).
 */
export function linearCrossEntropy(
  h: usize, wt: usize, bias: usize, y: usize, n: i32, d: i32, v: i32, layout: i32,
  eps: f64, others: bool, ignoreIndex: i32, w: usize, wMode: i32, lambda: f64, reduction: i32,
  chunkRows: i32, scratch: usize, grad: bool, gh: usize, gw: usize, gb: usize, acc: bool, rowLoss: usize,
): i32 {
  if (!w) wMode = WEIGHT_NONE;
  const bad = labelScan(y, n, v, ignoreIndex, wMode != WEIGHT_NONE ? w : 0);
  if (bad >= 0) return bad;
  const D = load<f64>(RESULTS), cnt = load<f64>(RESULTS + 8);
  const mean = reduction == REDUCE_MEAN;
  const wBytes = <usize>v * <usize>d << 2;
  if (grad && !acc) {
    memory.fill(gw, 0, wBytes);
    if (gb) memory.fill(gb, 0, <usize>v << 2);
  }
  if (mean && D == 0) {
    if (grad) memory.fill(gh, 0, <usize>n * <usize>d << 2);
    store<f64>(RESULTS + 16, 0);
    return -1;
  }
  const s: f64 = mean ? 1 / D : 1;
  const zs: f64 = mean ? 1 / cnt : 1;
  const W = weightSum(w, v, wMode);
  const z = scratch;
  const row = z + align16(<usize>chunkRows * <usize>v << 2); // the loss kernel's scratch row (grad: false)
  const pack = row + align16(<usize>v << 2);
  const slots = pack + GEMM_PACK_BYTES; // one (CE, lse²) pair of f64 per row block
  const vd = layout == LAYOUT_VD;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const nc = min(chunkRows, n - r0);
    const hc = h + (<usize>r0 * <usize>d << 2);
    const yc = y + (<usize>r0 << 2);
    // logits: H_c (nc×D) times Wᵀ (D×V): W's rows are read along D ('vd') or W itself ('dv')
    if (vd) gemm(nc, v, d, hc, d, 1, wt, 1, d, z, v, 1, false, pack);
    else gemm(nc, v, d, hc, d, 1, wt, v, 1, z, v, 1, false, pack);
    if (bias) addBias(z, nc, v, bias);
    // the loss kernel's row blocks, in order (the sums of a block, then the next: crossEntropy's order)
    const blocks = ceBlocks(nc, v);
    const lossC = rowLoss ? rowLoss + (<usize>r0 << 2) : 0;
    for (let b = 0; b < blocks; b++) {
      crossEntropyIndexBlock(
        z, yc, nc, v, eps, others, ignoreIndex, w, wMode, W, lambda, s, zs, grad ? z : row, grad, lossC, b, slots,
      );
      ceSum += load<f64>(slots + (<usize>b << 4));
      zSum += load<f64>(slots + (<usize>b << 4), 8);
    }
    if (!grad) continue;
    const ghc = gh + (<usize>r0 * <usize>d << 2);
    if (vd) gemm(nc, d, v, z, v, 1, wt, d, 1, ghc, d, 1, false, pack);   // G_c·W
    else gemm(nc, d, v, z, v, 1, wt, 1, v, ghc, d, 1, false, pack);      // G_c·Wᵀ (W is D×V)
    zeroIgnoredRows(ghc, yc, nc, d, ignoreIndex);
    addWeightGrad(vd, z, hc, yc, nc, d, v, ignoreIndex, gw, pack);
    if (gb) addColumnSums(gb, z, nc, v);
  }
  store<f64>(RESULTS + 16, mean ? ceSum * s + lambda * zSum * zs : ceSum + lambda * zSum);
  return -1;
}

/** ∂H rows of ignored rows are exact zeros: G's row is 0, but 0·(a non-finite weight) is NaN. */
function zeroIgnoredRows(ghc: usize, yc: usize, nc: i32, d: i32, ignoreIndex: i32): void {
  for (let i = 0; i < nc; i++) {
    if (load<i32>(yc + (<usize>i << 2)) == ignoreIndex) memory.fill(ghc + (<usize>i * <usize>d << 2), 0, <usize>d << 2);
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
 * ∂W += G_cᵀ·H_c ('vd', V×D) or H_cᵀ·G_c ('dv', D×V) over the chunk's nc rows, in runs of rows
 * that skip ignored rows with non-finite hidden values (their G rows are 0, but 0·NaN is NaN). A chunk
 * without such a row is one product, as before.
 */
function addWeightGrad(
  vd: bool, z: usize, hc: usize, yc: usize, nc: i32, d: i32, v: i32, ignoreIndex: i32, gw: usize, pack: usize,
): void {
  let start = 0;
  for (let i = 0; i <= nc; i++) {
    if (i < nc && !skipRow(hc, yc, i, d, ignoreIndex)) continue;
    const m = i - start;
    if (m > 0) {
      const zs = z + (<usize>start * <usize>v << 2), hs = hc + (<usize>start * <usize>d << 2);
      if (vd) gemm(v, d, m, zs, 1, v, hs, d, 1, gw, d, 1, true, pack);   // gw (V×D) += G_cᵀ·H_c
      else gemm(d, v, m, hs, 1, d, zs, v, 1, gw, v, 1, true, pack);      // gw (D×V) += H_cᵀ·G_c
    }
    start = i + 1;
  }
}

/** z[i][j] += bias[j] for the nc rows of a chunk. */
function addBias(z: usize, nc: i32, v: i32, bias: usize): void {
  const stride = <usize>v << 2;
  for (let i = 0; i < nc; i++) {
    const r = z + <usize>i * stride;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= v; j += 4) {
        const o = <usize>j << 2;
        v128.store(r + o, f32x4.add(v128.load(r + o), v128.load(bias + o)));
      }
    }
    for (; j < v; j++) {
      const o = <usize>j << 2;
      store<f32>(r + o, load<f32>(r + o) + load<f32>(bias + o));
    }
  }
}

/** gb[j] += Σ_i g[i][j] over the nc rows of a chunk (rows summed in order, in f32). */
function addColumnSums(gb: usize, g: usize, nc: i32, v: i32): void {
  const stride = <usize>v << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= v; j += 4) {
      const o = <usize>j << 2;
      let sum = f32x4.splat(0);
      for (let i = 0; i < nc; i++) sum = f32x4.add(sum, v128.load(g + <usize>i * stride + o));
      v128.store(gb + o, f32x4.add(v128.load(gb + o), sum));
    }
  }
  for (; j < v; j++) {
    const o = <usize>j << 2;
    let sum: f32 = 0;
    for (let i = 0; i < nc; i++) sum += load<f32>(g + <usize>i * stride + o);
    store<f32>(gb + o, load<f32>(gb + o) + sum);
  }
}
