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
import { RESULTS, RESULT_LOSS, REDUCE_MEAN, REDUCE_NONE } from "./common";
import { FOCAL_PARAMS, FP_GAMMA, FP_ALPHA, FP_SMOOTHING, FP_REDUCTION, FP_GRAD, FP_BALANCE, powU } from "./focal_params";

/**
 * x, t: `count` logits and targets; pw: K posWeights or 0 (element e takes pw[e mod k]); g: gradient
 * (may equal x, never t); out: `count` element losses for 'none', else 0. Scalars in the block.
 * RESULTS[RESULT_LOSS] = the reduced loss ('none': the sum).
 */
export function sigmoidFocal(x: usize, t: usize, count: i32, k: i32, pw: usize, g: usize, out: usize): void {
  const P = FOCAL_PARAMS;
  const gamma = load<f64>(P + FP_GAMMA);
  const alpha = load<f64>(P + FP_ALPHA);
  const balance = load<i32>(P + FP_BALANCE) != 0;
  const eps = load<f64>(P + FP_SMOOTHING);
  const reduction = load<i32>(P + FP_REDUCTION);
  const grad = load<i32>(P + FP_GRAD) != 0;
  if (reduction != REDUCE_NONE) out = 0;
  const mean = reduction == REDUCE_MEAN && count > 0;
  const s: f64 = mean ? 1 / <f64>count : 1;
  let sum: f64 = 0;
  let c = 0;
  for (let e = 0; e < count; e++) {
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
  store<f64>(RESULTS + RESULT_LOSS, mean ? sum * s : sum);
}
