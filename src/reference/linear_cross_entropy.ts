/**
 * linearCrossEntropy, the double-precision composition of docs/spec.md "linearCrossEntropy":
 * logits = hidden·Wᵀ + bias in f64, then the reference crossEntropy (index targets), then the
 * (or its focal loss), then the products for the gradients: ∂hidden = G·W, ∂weight = Gᵀ·hidden (in the weight's layout),
 * ∂bias = Σ_rows G. Written for clarity; it holds the N×V logits, which the kernel never does.
 */
import { crossEntropy } from "./cross_entropy.js";
import type { ClassWeightMode, FocalOptions, NumericArray, Reduction, SmoothingMode } from "./types.js";

export interface LinearCrossEntropyOptions {
  classes: number;
  /** 'vd' (default): weight[j·D + k]; 'dv': weight[k·V + j]. */
  weightLayout?: "vd" | "dv";
  bias?: NumericArray;
  smoothing?: number;
  smoothingMode?: SmoothingMode;
  reduction?: Reduction;
  ignoreIndex?: number;
  classWeights?: NumericArray;
  classWeightMode?: ClassWeightMode;
  zLoss?: number;
  grad?: boolean;
  /** The softmax focal loss (docs/spec.md "focal") in place of cross-entropy. */
  focal?: FocalOptions;
}

export interface LinearCrossEntropyResult {
  loss: number | Float64Array;
  gradHidden: Float64Array | null;
  gradWeight: Float64Array | null;
  gradBias: Float64Array | null;
}

export function linearCrossEntropy(
  hidden: NumericArray,
  weight: NumericArray,
  labels: NumericArray,
  options: LinearCrossEntropyOptions,
): LinearCrossEntropyResult {
  const V = options.classes;
  if (!Number.isInteger(V) || V < 1) throw new RangeError(`classes must be an integer ≥ 1; received ${V}`);
  if (weight.length === 0 || weight.length % V !== 0)
    throw new RangeError(`weight.length = ${weight.length} is not a positive multiple of classes = ${V}`);
  const D = weight.length / V;
  if (hidden.length % D !== 0) throw new RangeError(`hidden.length = ${hidden.length} is not a multiple of D = ${D}`);
  const N = hidden.length / D;
  const dv = (options.weightLayout ?? "vd") === "dv";
  const wAt = (j: number, k: number): number => Number(dv ? weight[k * V + j] : weight[j * D + k]);
  const bias = options.bias;

  const logits = new Float64Array(N * V);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < V; j++) {
      let s = bias ? Number(bias[j]) : 0;
      for (let k = 0; k < D; k++) s += Number(hidden[i * D + k]) * wAt(j, k);
      logits[i * V + j] = s;
    }
  }
  const ce = crossEntropy(logits, labels, {
    classes: V,
    targetKind: "index",
    smoothing: options.smoothing,
    smoothingMode: options.smoothingMode,
    reduction: options.reduction,
    ignoreIndex: options.ignoreIndex,
    classWeights: options.classWeights,
    classWeightMode: options.classWeightMode,
    zLoss: options.zLoss,
    grad: options.grad,
    ...(options.focal !== undefined && { focal: options.focal }),
  });
  const G = ce.grad;
  if (G === null) return { loss: ce.loss, gradHidden: null, gradWeight: null, gradBias: null };

  const gradHidden = new Float64Array(N * D);
  const gradWeight = new Float64Array(V * D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < V; j++) {
      const g = G[i * V + j]!;
      if (g === 0) continue;
      for (let k = 0; k < D; k++) {
        gradHidden[i * D + k]! += g * wAt(j, k);
        gradWeight[dv ? k * V + j : j * D + k]! += g * Number(hidden[i * D + k]);
      }
    }
  }
  let gradBias: Float64Array | null = null;
  if (bias) {
    gradBias = new Float64Array(V);
    for (let i = 0; i < N; i++) for (let j = 0; j < V; j++) gradBias[j]! += G[i * V + j]!;
  }
  return { loss: ce.loss, gradHidden, gradWeight, gradBias };
}
