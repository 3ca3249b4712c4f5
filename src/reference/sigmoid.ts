/**
 * Element-wise sigmoid (binary / multi-label) cross-entropy with logits, in double precision.
 *
 * Smoothed target t' = t·(1−ε) + ε/2. Without posWeight the element loss is the stable form
 *   ℓ = max(x, 0) − x·t' + log1p(exp(−|x|)).
 * With posWeight p (PyTorch BCEWithLogitsLoss(pos_weight=p)):
 *   ℓ = −[p·t'·log σ(x) + (1−t')·log(1−σ(x))] = p·t'·softplus(−x) + (1−t')·softplus(x),
 * using log σ(x) = −softplus(−x) and log(1−σ(x)) = −softplus(x), softplus(u) = max(u,0) + log1p(exp(−|u|)).
 * Gradient: ∂ℓ/∂x = σ(x)·(1 − t' + p·t') − p·t' (p = 1 without posWeight), divided by the number
 * of elements under 'mean'. 'mean' over zero elements gives loss 0.
 */
import type { LossResult, NumericArray, SigmoidCrossEntropyOptions } from "./types.js";
import { sigmoidFocalCrossEntropy } from "./focal.js";

/** softplus(u) = log(1 + exp(u)), computed without overflow. */
export function softplus(u: number): number {
  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
}

/** σ(x) = 1 / (1 + exp(−x)), computed without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function sigmoidCrossEntropy(logits: NumericArray, targets: NumericArray, options: SigmoidCrossEntropyOptions = {}): LossResult {
  if (options.focal !== undefined) return sigmoidFocalCrossEntropy(logits, targets, { ...options, focal: options.focal });
  const epsilon = options.smoothing ?? 0;
  const reduction = options.reduction ?? "mean";
  const wantGrad = options.grad ?? true;
  const posWeight = options.posWeight;
  const count = logits.length;
  if (targets.length !== count) {
    throw new RangeError(`expected ${count} targets, received ${targets.length}`);
  }
  let K = options.classes ?? 1;
  if (posWeight !== undefined) {
    if (options.classes === undefined) throw new RangeError("posWeight needs classes");
    K = options.classes;
    if (posWeight.length !== K) {
      throw new RangeError(`posWeight must have length ${K}, received ${posWeight.length}`);
    }
  }
  if (count % K !== 0) {
    throw new RangeError(`length ${count} is not a multiple of classes = ${K}`);
  }

  const elementLoss = new Float64Array(count);
  const elementGrad = new Float64Array(count);
  for (let e = 0; e < count; e++) {
    const x = Number(logits[e]);
    const tp = Number(targets[e]) * (1 - epsilon) + epsilon / 2;
    if (!Number.isFinite(x)) {
      // a NaN or ±Infinity logit: NaN loss and NaN gradient for that element (no finite-looking answer)
      elementLoss[e] = NaN;
      elementGrad[e] = NaN;
    } else if (posWeight === undefined) {
      elementLoss[e] = Math.max(x, 0) - x * tp + Math.log1p(Math.exp(-Math.abs(x)));
      elementGrad[e] = sigmoid(x) - tp;
    } else {
      const p = Number(posWeight[e % K]);
      elementLoss[e] = p * tp * softplus(-x) + (1 - tp) * softplus(x);
      elementGrad[e] = sigmoid(x) * (1 - tp + p * tp) - p * tp;
    }
  }

  let loss: number | Float64Array;
  let scale = 1;
  if (reduction === "none") {
    loss = elementLoss;
  } else {
    let sum = 0;
    for (let e = 0; e < count; e++) sum += elementLoss[e]!;
    if (reduction === "mean") {
      if (count === 0) return { loss: 0, grad: wantGrad ? new Float64Array(0) : null };
      scale = 1 / count;
    }
    loss = sum * scale;
  }
  let grad: Float64Array | null = null;
  if (wantGrad) {
    grad = new Float64Array(count);
    for (let e = 0; e < count; e++) grad[e] = elementGrad[e]! * scale;
  }
  return { loss, grad };
}
