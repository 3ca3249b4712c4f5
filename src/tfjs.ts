// softxent/tfjs: softxent's cross-entropy as a TF.js loss, built on tf.customGrad — index labels,
// label smoothing ('uniform' or 'others'), ignoreIndex, class weights and z-loss, which
// tf.losses.softmaxCrossEntropy (one-hot labels, uniform smoothing only) does not offer.
//
//   import * as tf from "@tensorflow/tfjs";
//   import { init } from "softxent";
//   import { softmaxCrossEntropy } from "softxent/tfjs";
//   await init();
//   const loss = softmaxCrossEntropy(tf, labels, logits, { smoothing: 0.1, ignoreIndex: -100 });
//
// The caller passes its own `tf` namespace (from @tensorflow/tfjs, tfjs-core or tfjs-node): this
// module imports TF.js types only, so it adds no runtime import that a bundler could resolve to a
// second copy of tfjs-core (whose engine would not know the caller's backends). The forward pass reads
// the logits with dataSync() — a copy on the cpu and wasm backends, a synchronous read-back on webgl —
// computes the loss and its gradient in one wasm call, and the gradient function scales that gradient
// by the incoming dy.

import type { Rank, Scalar, Tensor } from "@tensorflow/tfjs-core";
import type * as TFCore from "@tensorflow/tfjs-core";
import { crossEntropy } from "./cross_entropy.js";
import type { ClassWeightMode, SmoothingMode } from "./types.js";

/** The part of the TF.js namespace this module uses: pass `tf` itself. */
export type TfNamespace = Pick<typeof TFCore, "customGrad" | "tensor" | "scalar" | "mul" | "reshape">;

export type TfReduction = "mean" | "sum" | "none";

export interface TfCrossEntropyOptions {
  /** Label smoothing ε ∈ [0, 1]. Default 0. */
  smoothing?: number;
  /** 'uniform' (ε/K, as TF.js) or 'others' (ε/(K−1) on the non-target classes). Index labels only. */
  smoothingMode?: SmoothingMode;
  /**
   * 'mean' (default: Σ losses / Σ weights of the non-ignored rows, as PyTorch; for probability targets
   * Σ / N, as tf.losses.softmaxCrossEntropy), 'sum', or 'none' (a tensor of per-row losses, shaped as
   * the logits without their last axis).
   */
  reduction?: TfReduction;
  /** Rows whose label equals this get loss 0 and gradient 0. Default −100. Index labels only. */
  ignoreIndex?: number;
  /** Per-class weights (length K). */
  classWeights?: Float32Array | readonly number[] | Tensor;
  /** 'pytorch' (default) or 'target' (w_y scales the whole smoothed row). Index labels only. */
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0 (adds λ·logsumexp² per row). Default 0. */
  zLoss?: number;
}

/**
 * Labels: class indices (an Int32Array or number[] of N values, or a tensor of the logits' shape
 * without the last axis, or with a last axis of 1), or probability targets (a Float32Array of N·K
 * values, or a tensor of the logits' shape — e.g. one-hot labels).
 */
export type TfLabels = Tensor | Int32Array | readonly number[] | Float32Array;

const FN = "softxent/tfjs";

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "dataSync" in x && "shape" in x && "dtype" in x;
}

/** Indices from a numeric array, each checked to be an integer (a float tensor may carry them). */
function toIndices(values: ArrayLike<number>, where: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new RangeError(`${FN}: ${where}[${i}] = ${v} is not an integer class index`);
    out[i] = v;
  }
  return out;
}

function targetsOf(labels: TfLabels, logitsShape: readonly number[]): Int32Array | Float32Array {
  const k = logitsShape[logitsShape.length - 1]!;
  if (isTensor(labels)) {
    const s = labels.shape;
    const sameShape = s.length === logitsShape.length && s.every((d, i) => d === logitsShape[i]);
    const batchShape = logitsShape.slice(0, -1);
    const indexShape =
      (s.length === batchShape.length && s.every((d, i) => d === batchShape[i])) ||
      (k !== 1 && s.length === logitsShape.length && s[s.length - 1] === 1 && s.slice(0, -1).every((d, i) => d === batchShape[i]));
    if (indexShape) return toIndices(labels.dataSync() as ArrayLike<number>, "labels");
    if (sameShape) return Float32Array.from(labels.dataSync() as ArrayLike<number>);
    throw new RangeError(
      `${FN}: labels of shape [${s.join(", ")}] fit neither index labels (shape [${batchShape.join(", ")}]) ` +
        `nor probability targets (shape [${logitsShape.join(", ")}])`,
    );
  }
  if (labels instanceof Int32Array || labels instanceof Float32Array) return labels;
  if (Array.isArray(labels)) return toIndices(labels, "labels");
  throw new TypeError(`${FN}: labels must be a tf.Tensor, an Int32Array or number[] of class indices, or a Float32Array of probabilities`);
}

function weightsOf(w: TfCrossEntropyOptions["classWeights"]): Float32Array | undefined {
  if (w === undefined) return undefined;
  if (isTensor(w)) return Float32Array.from(w.dataSync() as ArrayLike<number>);
  if (w instanceof Float32Array) return w;
  return Float32Array.from(w as readonly number[]);
}

/**
 * Softmax cross-entropy of `logits` (shape [..., K]) against `labels`, as a TF.js tensor whose gradient
 * with respect to the logits is softxent's. A scalar for 'mean' and 'sum'; per-row losses for 'none'.
 * Requires `await init()` from "softxent" first.
 */
export function softmaxCrossEntropy<R extends Rank = Rank>(
  tf: TfNamespace,
  labels: TfLabels,
  logits: Tensor<R>,
  options: TfCrossEntropyOptions = {},
): Tensor {
  if (!isTensor(logits)) throw new TypeError(`${FN}: logits must be a tf.Tensor of shape [..., K]`);
  const shape = logits.shape.slice();
  if (shape.length < 1) throw new RangeError(`${FN}: logits must have at least one axis (the classes); received a scalar`);
  const classes = shape[shape.length - 1]!;
  const batchShape = shape.slice(0, -1);
  const target = targetsOf(labels, shape);
  const reduction = options.reduction ?? "mean";
  const classWeights = weightsOf(options.classWeights);
  const ceOptions = {
    classes,
    reduction,
    ...(options.smoothing !== undefined && { smoothing: options.smoothing }),
    ...(options.smoothingMode !== undefined && { smoothingMode: options.smoothingMode }),
    ...(options.ignoreIndex !== undefined && { ignoreIndex: options.ignoreIndex }),
    ...(classWeights !== undefined && { classWeights }),
    ...(options.classWeightMode !== undefined && { classWeightMode: options.classWeightMode }),
    ...(options.zLoss !== undefined && { zLoss: options.zLoss }),
  };
  const loss = tf.customGrad((...inputs: Array<Tensor | TFCore.GradSaveFunc>) => {
    const z = inputs[0] as Tensor;
    const values = z.dataSync();
    const zf = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    const result = crossEntropy(zf, target, ceOptions);
    const grad = result.grad!;
    const value = typeof result.loss === "number" ? tf.scalar(result.loss) : tf.tensor(result.loss, batchShape);
    return {
      value,
      gradFunc: (dy: Tensor) => {
        const g = tf.tensor(grad, shape);
        // 'none': the kernel's gradient is that of the sum of rows; row i scales by dy[i].
        return reduction === "none" ? tf.mul(g, tf.reshape(dy, [...batchShape, 1])) : tf.mul(g, dy);
      },
    };
  });
  return loss(logits as Tensor);
}

/**
 * A loss function `(labels, logits) => tf.Scalar` with fixed options, for custom training loops and
 * for `model.compile({ loss })` (the model must output logits, not probabilities).
 */
export function crossEntropyLoss(
  tf: TfNamespace,
  options: Omit<TfCrossEntropyOptions, "reduction"> & { reduction?: "mean" | "sum" } = {},
): (labels: TfLabels, logits: Tensor) => Scalar {
  return (labels, logits) => softmaxCrossEntropy(tf, labels, logits, options) as Scalar;
}
