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
// second copy of tfjs-core (whose engine would not know the caller's backends).
//
// One step (docs/spec.md, "TF.js adapter"): the forward pass copies the logits into a wasm-resident
// slot (straight from TF.js's wasm heap on the wasm backend, from the cpu backend's own array on cpu)
// and computes loss and gradient in one kernel call, in place; the backward pass multiplies by the
// upstream dy there (a scalar, skipped when it is 1; one factor per row for 'none') and hands the
// gradient to TF.js. No N×K tensor operation is added to the graph. See src/tfjs/staging.ts for
// what each backend copies and keeps.

import type { Rank, Scalar, Tensor } from "@tensorflow/tfjs-core";
import type * as TFCore from "@tensorflow/tfjs-core";
import { crossEntropy } from "./cross_entropy.js";
import { heap } from "./memory.js";
import { fail, failType } from "./validate.js";
import { resolveOptions, type ResolvedOptions, type TfReductionInput } from "./tfjs/options.js";
import {
  acquireSlot,
  applyDy,
  checkLabelDtype,
  copiesOnUpload,
  copyIndices,
  currentTape,
  f32TargetView,
  freeSlot,
  holdSlot,
  hostValues,
  i32TargetView,
  slotView,
  type Slot,
} from "./tfjs/staging.js";
import type { ClassWeightMode, FocalOptions, SmoothingMode } from "./types.js";

export type { TfReduction, TfReductionInput } from "./tfjs/options.js";
export { linearSoftmaxCrossEntropy, type TfLinearOptions, type TfLinearLabels } from "./tfjs-linear.js";
export { softmaxHead, registerSoftmaxHead, type SoftmaxHeadOptions, type SoftmaxHeadLayer, type TfLayersNamespace } from "./tfjs-head.js";

/** The part of the TF.js namespace this module uses: pass `tf` itself. */
export type TfNamespace = Pick<typeof TFCore, "customGrad" | "tensor" | "scalar" | "backend" | "getBackend" | "engine">;

export interface TfCrossEntropyOptions {
  /** Label smoothing ε ∈ [0, 1]. Default 0. (TF.js calls it `labelSmoothing`: that key is refused.) */
  smoothing?: number;
  /** 'uniform' (ε/K, as TF.js) or 'others' (ε/(K−1) on the non-target classes). Index labels only. */
  smoothingMode?: SmoothingMode;
  /**
   * 'mean' (default: Σ losses / Σ weights of the non-ignored rows, as PyTorch and tf.Reduction.MEAN;
   * for probability targets Σ / N), 'sum', or 'none' (a tensor of per-row losses, shaped as the logits
   * without their last axis). `tf.Reduction` values are accepted too (SUM_BY_NONZERO_WEIGHTS, TF.js's
   * default, is 'mean' here, and is refused together with classWeights, where the two differ).
   */
  reduction?: TfReductionInput;
  /** Rows whose label equals this get loss 0 and gradient 0. Default −100. Index labels only. */
  ignoreIndex?: number;
  /** Per-class weights (length K). Copied when the loss is built. */
  classWeights?: Float32Array | readonly number[] | Tensor;
  /** 'pytorch' (default) or 'target' (w_y scales the whole smoothed row). Index labels only. */
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0 (adds λ·logsumexp² per row). Default 0. */
  zLoss?: number;
  /**
   * The softmax focal loss instead of cross-entropy: `{ gamma, alpha }` as crossEntropy's `focal`
   * (docs/spec.md "focal"; γ a number or 'flsd-53', α a number, default 1, or one per class).
   */
  focal?: FocalOptions;
}

/**
 * Labels: class indices (an Int32Array or number[] of N values, or a tensor of the logits' shape
 * without the last axis, or with a last axis of 1), or probability targets (a Float32Array of N·K
 * values, or a tensor of the logits' shape — e.g. one-hot labels).
 */
export type TfLabels = Tensor | Int32Array | readonly number[] | Float32Array;

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "dataSync" in x && "shape" in x && "dtype" in x && "dataId" in x;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads the labels once into wasm-resident staging (or passes the caller's typed array through, which
 * the kernel call copies): index labels as an Int32Array of N, probability targets as N·K floats.
 */
function stageTargets(fn: string, tf: TfNamespace, labels: TfLabels, shape: readonly number[], n: number): Int32Array | Float32Array {
  const k = shape[shape.length - 1]!;
  if (isTensor(labels)) {
    checkLabelDtype(fn, labels, "int32 class indices, or float32 probabilities");
    const s = labels.shape;
    const batchShape = shape.slice(0, -1);
    const isIndex =
      sameShape(s, batchShape) || (k !== 1 && s.length === shape.length && s[s.length - 1] === 1 && sameShape(s.slice(0, -1), batchShape));
    if (isIndex) {
      const dest = i32TargetView(n);
      copyIndices(fn, hostValues(tf, labels), dest, k);
      return dest;
    }
    if (sameShape(s, shape)) {
      const dest = f32TargetView(n * k);
      dest.set(hostValues(tf, labels));
      return dest;
    }
    fail(
      fn,
      `labels of shape [${s.join(", ")}] fit neither index labels (shape [${batchShape.join(", ")}]) ` +
        `nor probability targets (shape [${shape.join(", ")}])`,
    );
  }
  if (labels instanceof Int32Array || labels instanceof Float32Array) return labels;
  if (Array.isArray(labels)) {
    if (labels.length !== n) fail(fn, `labels.length must be ${n} (one class index per row); received ${labels.length}`);
    const dest = i32TargetView(n);
    copyIndices(fn, labels, dest, k);
    return dest;
  }
  return failType(fn, "labels must be a tf.Tensor, an Int32Array or number[] of class indices, or a Float32Array of probabilities");
}

function coreOptions(o: ResolvedOptions, classes: number, grad: boolean, gradOut: Float32Array | undefined) {
  return {
    classes,
    reduction: o.reduction,
    smoothing: o.smoothing,
    smoothingMode: o.smoothingMode,
    ...(o.ignoreIndexGiven && { ignoreIndex: o.ignoreIndex }),
    ...(o.classWeights !== undefined && { classWeights: o.classWeights }),
    ...(o.classWeightModeGiven && { classWeightMode: o.classWeightMode }),
    zLoss: o.zLoss,
    ...(o.focal !== undefined && { focal: o.focal }),
    grad,
    ...(gradOut !== undefined && { gradOut }),
  };
}

/** The op itself, with options already resolved (so a loss built once checks them once). */
function lossOp(fn: string, tf: TfNamespace, o: ResolvedOptions, labels: TfLabels, logits: Tensor): Tensor {
  heap(fn); // before init(): this function's name in the message, not that of an allocation inside it
  if (!isTensor(logits)) failType(fn, "logits must be a tf.Tensor of shape [..., K]");
  const shape = logits.shape.slice();
  if (shape.length < 1) fail(fn, "logits must have at least one axis (the classes); received a scalar");
  const classes = shape[shape.length - 1]!;
  const batchShape = shape.slice(0, -1);
  const n = batchShape.reduce((a, b) => a * b, 1);
  const nk = n * classes;
  const op = tf.customGrad((...inputs: Array<Tensor | TFCore.GradSaveFunc>) => {
    const z = inputs[0] as Tensor;
    const tape = currentTape(tf);
    const wantGrad = tape !== null; // no tape: nobody will ask for the gradient (evaluate, validation)
    const slot: Slot = acquireSlot(nk, tape);
    const target = stageTargets(fn, tf, labels, shape, n); // may allocate: take the slot's view after it
    const zv = slotView(slot, nk);
    zv.set(hostValues(tf, z));
    const result = crossEntropy(zv, target, coreOptions(o, classes, wantGrad, wantGrad ? zv : undefined));
    if (wantGrad) holdSlot(slot, tape);
    const value = typeof result.loss === "number" ? tf.scalar(result.loss) : tf.tensor(result.loss, batchShape, "float32");
    return {
      value,
      gradFunc: (dy: Tensor) => {
        if (slot.buf === null || slot.buf.released) {
          throw new Error(
            `softxent.${fn}: the wasm core was replaced by init() between this loss's forward pass and its gradient, so the gradient it held is gone; call init() once, before training, not between a loss and its gradient`,
          );
        }
        if (!slot.pending) {
          throw new Error(`softxent.${fn}: the gradient of this call is no longer held (its tape ended); this is a bug, please report it`);
        }
        const g = slotView(slot, nk);
        applyDy(g, n, classes, hostValues(tf, dy));
        // wasm: TF.js copies the view into its heap now. Elsewhere TF.js keeps the array: give it its own.
        const out = tf.tensor(copiesOnUpload(tf) ? g : g.slice(), shape, "float32");
        freeSlot(slot);
        return out;
      },
    };
  });
  return op(logits as Tensor);
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
  const fn = "tfjs.softmaxCrossEntropy";
  return lossOp(fn, tf, resolveOptions(fn, options), labels, logits as Tensor);
}

/**
 * A loss function `(labels, logits) => tensor` with fixed options (checked and copied now), for custom
 * training loops and for `model.compile({ loss })` (the model must output logits, not probabilities).
 *
 * In `model.compile`, use `reduction: 'none'`: tfjs-layers multiplies the loss by `fit`'s per-example
 * weights (from `classWeight`) and then averages, which is right only for per-example losses (as
 * Keras's own losses are). A 'mean' loss is already a scalar there, so `classWeight` would scale every
 * example by the batch's mean weight instead. See docs/trainer.md.
 */
export function crossEntropyLoss(
  tf: TfNamespace,
  options: TfCrossEntropyOptions & { reduction: "none" | 0 },
): (labels: TfLabels, logits: Tensor) => Tensor;
export function crossEntropyLoss(
  tf: TfNamespace,
  options?: TfCrossEntropyOptions & { reduction?: "mean" | "sum" | 1 | 2 | 3 },
): (labels: TfLabels, logits: Tensor) => Scalar;
export function crossEntropyLoss(tf: TfNamespace, options: TfCrossEntropyOptions = {}): (labels: TfLabels, logits: Tensor) => Tensor {
  const fn = "tfjs.crossEntropyLoss";
  const o = resolveOptions(fn, options);
  return (labels, logits) => lossOp(fn, tf, o, labels, logits);
}
