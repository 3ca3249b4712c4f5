// The scalar row of cross-entropy for any input: masked classes (−Infinity logits), NaN and +Infinity,
// K = 1, and the rows the fast paths hand back. Plain and explicit, in f64 (docs/spec.md
// "crossEntropy": masking rules, non-finite rows).

import { rowFill } from "./rows";
import { expNeg } from "./math/exp";
import { at } from "./math/vec";
import { WEIGHT_PYTORCH, WEIGHT_TARGET } from "./common";
import { CeCall } from "./ce_call";

/**
 * One row, any input, scalar and explicit. `yi` ≥ 0: index target (smoothing per `others`, weights per
 * `wMode`); yi < 0: probability targets at `t`. Writes the gradient row when `grad`, and the row's
 * CE and lse² to ctx.genericCe / ctx.genericLse2.
 */
export function rowGeneric(
  ctx: CeCall, z: usize, g: usize, grad: bool, k: i32, yi: i32, t: usize,
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
    ctx.genericCe = NaN; ctx.genericLse2 = NaN;
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
  ctx.genericLse2 = lse * lse;
  if (targetMasked) {
    ctx.genericCe = Infinity;
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
  ctx.genericCe = ce;
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
