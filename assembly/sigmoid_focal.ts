// Sigmoid focal loss, fused forward + gradient (docs/spec.md "focal"): sigmoidCrossEntropy's `focal`
// option — torchvision's sigmoid_focal_loss and Keras's BinaryFocalCrossentropy.
//
// Per element, in f64, with t' = t·(1−ε) + ε/2, σ = σ(x), σ̄ = σ(−x) (each formed from exp(−|x|), so
// neither is 1 − the other), pw the posWeight of the element's class (1 without):
//   F = 1 − p_t = t'·σ̄ + (1−t')·σ          (a sum of non-negative terms: no cancellation)
//   bce = pw·t'·softplus(−x) + (1−t')·softplus(x)
//   α_t = α·t' + (1−α)·(1−t') with α-balancing, else 1
//   ℓ = α_t·F^γ·bce,   ∂ℓ/∂x = α_t·F^γ·(γ·(1−2t')·R·bce + σ·(1−t'+pw·t') − pw·t'),   R = σσ̄/F ≤ 1
// (R's limit where F underflows to 0 is σ for t' ≥ ½, σ̄ below.) A non-finite logit gives NaN loss
// and gradient. Element-wise and scalar: an exp, a log1p and a pow per element.

import { at } from "./math/vec";
import { powU } from "./focal_params";

/**
 * Elements [e0, e1) of a sigmoidCrossEntropy call with the focal option (sigmoid.ts's element blocks):
 * x, t logits and targets; pw: K posWeights or 0 (element e takes pw[e mod k]); g: gradient (may
 * equal x, never t), each element's ∂ℓ/∂x times s; out: element losses for 'none', else 0. Returns
 * the sum of the element losses, in element order.
 */
export function sigmoidFocalRange(
  x: usize, t: usize, e0: i32, e1: i32, k: i32, pw: usize, g: usize, out: usize, eps: f64, gamma: f64, alpha: f64,
  balance: bool, s: f64, grad: bool,
): f64 {
  let sum: f64 = 0;
  let c = pw ? e0 % k : 0;
  for (let e = e0; e < e1; e++) {
    const xv = <f64>load<f32>(at(x, e));
    const tp = <f64>load<f32>(at(t, e)) * (1 - eps) + eps / 2;
    const w: f64 = pw ? <f64>load<f32>(at(pw, c)) : 1;
    if (pw && ++c == k) c = 0;
    let l: f64, gr: f64;
    if (xv - xv != 0) {
      l = NaN; gr = NaN;
    } else {
      const ea = Math.exp(-Math.abs(xv));
      const inv = 1 / (1 + ea);
      const sg = xv >= 0 ? inv : ea * inv; // σ(x)
      const sn = xv >= 0 ? ea * inv : inv; // σ(−x)
      const lp = Math.log1p(ea);
      const spPos = max(xv, 0) + lp, spNeg = max(-xv, 0) + lp; // softplus(x), softplus(−x)
      const F = tp * sn + (1 - tp) * sg;
      const bce = w * tp * spNeg + (1 - tp) * spPos;
      const at_: f64 = balance ? alpha * tp + (1 - alpha) * (1 - tp) : 1;
      const f = powU(F, gamma);
      const R = F > 0 ? sg * sn / F : (tp >= 0.5 ? sg : sn);
      l = at_ * f * bce;
      gr = at_ * f * (gamma * (1 - 2 * tp) * R * bce + (sg * (1 - tp + w * tp) - w * tp));
    }
    if (grad) store<f32>(at(g, e), <f32>(gr * s));
    if (out) store<f32>(at(out, e), <f32>l);
    sum += l;
  }
  return sum;
}
