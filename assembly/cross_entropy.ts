// Fused softmax cross-entropy forward + gradient (SPEC.md "crossEntropy").
//
// Index targets: crossEntropyIndex; probability targets: crossEntropyProb. Every row takes the fast
// three-pass path (rows.ts) unless pass 1 finds a non-finite logit (masked class, NaN, +Infinity);
// such rows take rowGeneric, a plain scalar path that applies the masking rules explicitly.
//
// Loss per row is assembled in f64 from the pass sums, with ℓ_j = (z_j − m) − log S:
//   uniform, no weights:   L = −(1−ε)ℓ_y − (ε/K)·Σ_j ℓ_j,  Σ_j ℓ_j = Σ_j (z_j − m) − K·log S
// and the gradient is  ∂L/∂z_j = s·((Σ r)·p_j − r_j) + zs·2λ·lse·p_j  with r the weighted target,
// s / zs the reduction scales. One exp per element; no call allocates.

import { rowMax, rowFinite, rowExpSum, rowExpSumW, rowExpSumT, rowAxpc, rowAxpcW, rowAxpcT, rowFill, rowSumB, rowSumC } from "./rows";
import { expNeg } from "./math/exp";
import { at } from "./math/vec";
import { RESULTS, REDUCE_MEAN, REDUCE_NONE, WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET } from "./common";

// Per-row results of rowGeneric.
let genCe: f64 = 0;
let genLse2: f64 = 0;

/**
 * Checks labels and sums the reduction divisor. Returns the first row whose label is neither in
 * [0, k) nor ignoreIndex (−1 if none). RESULTS[0] = Σ over non-ignored rows of w_y (count if w = 0),
 * RESULTS[1] = count of non-ignored rows.
 */
export function labelScan(y: usize, n: i32, k: i32, ignoreIndex: i32, w: usize): i32 {
  let d: f64 = 0;
  let cnt: i32 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
    if (<u32>yi >= <u32>k) return i;
    cnt++;
    d += w ? <f64>load<f32>(at(w, yi)) : 1.0;
  }
  store<f64>(RESULTS, d);
  store<f64>(RESULTS + 8, <f64>cnt);
  return -1;
}

/**
 * One row, any input, scalar and explicit. `yi` ≥ 0: index target (smoothing per `others`, weights per
 * `wMode`); yi < 0: probability targets at `t`. Writes the gradient row when `grad`, and genCe / genLse2.
 */
function rowGeneric(
  z: usize, g: usize, grad: bool, k: i32, yi: i32, t: usize,
  eps: f64, others: bool, w: usize, wMode: i32, lambda: f64, s: f64, zs: f64,
): void {
  let m: f32 = -Infinity;
  let bad = false;
  let kv: i32 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != v || v == Infinity) bad = true;
    else if (v != -Infinity) { kv++; if (v > m) m = v; }
  }
  const targetMasked = yi >= 0 && load<f32>(at(z, yi)) == -Infinity;
  if (bad || (yi < 0 && kv == 0)) {
    genCe = NaN; genLse2 = NaN;
    if (grad) rowFill(g, k, NaN);
    return;
  }
  let S: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != -Infinity) S += expNeg(v - m);
  }
  const logS = Math.log(S);
  const lse = <f64>m + logS;
  genLse2 = lse * lse;
  if (targetMasked) {
    genCe = Infinity;
    if (grad) rowFill(g, k, NaN);
    return;
  }
  // Target weights r_j on the unmasked classes: index → A·[j=y] + B·u_j (·[j≠y] for 'others');
  // probability → u_j·(A·t_j + B). u_j = w_j for 'pytorch' / probability weights, else 1.
  let A: f64 = 1 - eps, B: f64 = eps / <f64>kv;
  let wy: f64 = 1;
  if (yi >= 0) {
    if (w) wy = <f64>load<f32>(at(w, yi));
    if (others) { if (kv > 1) B = eps / <f64>(kv - 1); else { A = 1; B = 0; } }
    if (wMode == WEIGHT_PYTORCH) A *= wy;
    else if (wMode == WEIGHT_TARGET) { A *= wy; B *= wy; }
  }
  const useW = w != 0 && (yi < 0 || wMode == WEIGHT_PYTORCH);
  let ce: f64 = 0, R: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v == -Infinity) continue;
    let r: f64;
    if (yi >= 0) {
      r = (others && j == yi) ? 0 : B;
      if (useW) r *= <f64>load<f32>(at(w, j));
      if (j == yi) r += A;
    } else {
      r = A * <f64>load<f32>(at(t, j)) + B;
      if (useW) r *= <f64>load<f32>(at(w, j));
    }
    R += r;
    ce -= r * ((<f64>v - <f64>m) - logS);
  }
  genCe = ce;
  if (!grad) return;
  const zterm = zs * 2 * lambda * lse;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v == -Infinity) { store<f32>(at(g, j), 0); continue; }
    const p = <f64>expNeg(v - m) / S;
    let r: f64;
    if (yi >= 0) {
      r = (others && j == yi) ? 0 : B;
      if (useW) r *= <f64>load<f32>(at(w, j));
      if (j == yi) r += A;
    } else {
      r = A * <f64>load<f32>(at(t, j)) + B;
      if (useW) r *= <f64>load<f32>(at(w, j));
    }
    store<f32>(at(g, j), <f32>(s * (R * p - r) + zterm * p));
  }
}

/** Zero the gradient and report a zero loss: the SPEC's D = 0 rule. */
function zeroResult(g: usize, grad: bool, n: i32, k: i32, rowLoss: usize): void {
  if (grad) memory.fill(g, 0, <usize>n * <usize>k << 2);
  if (rowLoss) memory.fill(rowLoss, 0, <usize>n << 2);
  store<f64>(RESULTS + 16, 0);
}

/**
 * Index targets. z: N×K logits; y: N labels; w: K class weights or 0; g: N×K gradient (may equal z)
 * when grad, else a K-float scratch row; rowLoss: N floats for reduction 'none', else 0.
 * Returns −1, or the first row with a bad label (nothing written then).
 * RESULTS[2] = the reduced loss (for 'none': the sum of row losses).
 */
export function crossEntropyIndex(
  z: usize, y: usize, n: i32, k: i32, eps: f64, others: bool, ignoreIndex: i32,
  w: usize, wMode: i32, lambda: f64, reduction: i32, g: usize, grad: bool, rowLoss: usize,
): i32 {
  if (!w) wMode = WEIGHT_NONE;
  const badRow = labelScan(y, n, k, ignoreIndex, wMode != WEIGHT_NONE ? w : 0);
  if (badRow >= 0) return badRow;
  const D = load<f64>(RESULTS), cnt = load<f64>(RESULTS + 8);
  const mean = reduction == REDUCE_MEAN;
  if (D == 0 && mean) { zeroResult(g, grad, n, k, rowLoss); return -1; }
  const s: f64 = mean ? 1 / D : 1;
  const zs: f64 = mean ? 1 / cnt : 1;
  let W: f64 = 0;
  if (wMode == WEIGHT_PYTORCH) for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j));
  const kf = <f64>k;
  // Smoothing mass per non-target class, and the target's own coefficient (fast path: K' = K).
  const oth = others && k > 1;
  const B: f64 = oth ? eps / (kf - 1) : (others ? 0 : eps / kf);
  const A: f64 = (others && k == 1) ? 1 : 1 - eps;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride;
    const gi = grad ? g + <usize>i * stride : g;
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) {
      if (grad) rowFill(gi, k, 0);
      if (rowLoss) store<f32>(at(rowLoss, i), 0);
      continue;
    }
    const wy: f64 = wMode != WEIGHT_NONE ? <f64>load<f32>(at(w, yi)) : 1;
    const zy = load<f32>(at(zi, yi));
    const m = rowMax(zi, k);
    let ce: f64, lse2: f64;
    if (!rowFinite) {
      rowGeneric(zi, gi, grad, k, yi, 0, eps, others, w, wMode, lambda, s, zs);
      ce = genCe; lse2 = genLse2;
    } else {
      let S: f64, sumR: f64, c: f64;
      const ly: f64 = <f64>(zy - m);
      if (wMode == WEIGHT_PYTORCH) {
        S = rowExpSumW(zi, gi, w, k, m);
        const logS = Math.log(S);
        const lyy = ly - logS;
        // Σ_j w_j ℓ_j over the classes that carry smoothing mass (all, or all but y)
        let wl = rowSumB - W * logS;
        if (oth) wl -= wy * lyy;
        ce = -A * wy * lyy - B * wl;
        sumR = A * wy + B * (oth ? W - wy : W);
        c = s * B;
        lse2 = (<f64>m + logS) * (<f64>m + logS);
        if (grad) {
          const lse = <f64>m + logS;
          const alpha = (s * sumR + zs * 2 * lambda * lse) / S;
          const ey = <f64>load<f32>(at(gi, yi));
          rowAxpcW(gi, w, k, <f32>alpha, <f32>c);
          store<f32>(at(gi, yi), <f32>(alpha * ey - s * A * wy - (oth ? 0 : c * wy)));
        }
      } else {
        S = rowExpSum(zi, gi, k, m);
        const logS = Math.log(S);
        const lyy = ly - logS;
        let l = rowSumB - kf * logS; // Σ_j ℓ_j
        if (oth) l -= lyy;
        const mult: f64 = wMode == WEIGHT_TARGET ? wy : 1;
        ce = mult * (-A * lyy - B * l);
        sumR = mult; // Σ_j q_j = 1
        c = s * B * mult;
        lse2 = (<f64>m + logS) * (<f64>m + logS);
        if (grad) {
          const lse = <f64>m + logS;
          const alpha = (s * sumR + zs * 2 * lambda * lse) / S;
          const ey = <f64>load<f32>(at(gi, yi));
          rowAxpc(gi, k, <f32>alpha, <f32>c);
          store<f32>(at(gi, yi), <f32>(alpha * ey - s * A * mult - (oth ? 0 : c)));
        }
      }
    }
    if (lambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * lse2));
    ceSum += ce;
    zSum += lse2;
  }
  store<f64>(RESULTS + 16, mean ? ceSum * s + lambda * zSum * zs : ceSum + lambda * zSum);
  return -1;
}

/**
 * Probability targets t (N×K). 'mean' divides by N. Arguments as crossEntropyIndex; g may equal z.
 */
export function crossEntropyProb(
  z: usize, t: usize, n: i32, k: i32, eps: f64, w: usize, lambda: f64, reduction: i32,
  g: usize, grad: bool, rowLoss: usize,
): void {
  const mean = reduction == REDUCE_MEAN;
  if (n == 0) { zeroResult(g, grad, n, k, rowLoss); return; }
  const s: f64 = mean ? 1 / <f64>n : 1;
  const A: f64 = 1 - eps, B: f64 = eps / <f64>k;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride;
    const gi = grad ? g + <usize>i * stride : g;
    const ti = t + <usize>i * stride;
    const m = rowMax(zi, k);
    let ce: f64, lse2: f64;
    if (!rowFinite) {
      rowGeneric(zi, gi, grad, k, -1, ti, eps, false, w, WEIGHT_PYTORCH, lambda, s, s);
      ce = genCe; lse2 = genLse2;
    } else {
      const S = rowExpSumT(zi, gi, ti, w, k, m, <f32>A, <f32>B);
      const logS = Math.log(S);
      const R = rowSumC;
      ce = R * logS - rowSumB;
      const lse = <f64>m + logS;
      lse2 = lse * lse;
      if (grad) {
        const alpha = (s * R + s * 2 * lambda * lse) / S;
        rowAxpcT(gi, ti, w, k, <f32>alpha, <f32>(s * A), <f32>(s * B));
      }
    }
    if (lambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * lse2));
    ceSum += ce;
    zSum += lse2;
  }
  store<f64>(RESULTS + 16, mean ? (ceSum + lambda * zSum) * s : ceSum + lambda * zSum);
}
