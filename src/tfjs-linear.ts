// The fused linear head for TF.js custom training loops (docs/spec.md "linearCrossEntropy", "TF.js
// adapter"): softmax cross-entropy of hidden·kernel + bias against index labels, as one tf.customGrad
// over hidden, kernel and bias, with the kernel in TF.js's Dense layout [D, V] ('dv'). The N×V logits
// are never materialised as a tensor, and the gradients come from the same wasm call as the loss.
//
//   import * as tf from "@tensorflow/tfjs";
//   import { init } from "softxent";
//   import { linearSoftmaxCrossEntropy } from "softxent/tfjs";
//   await init();
//   const { value, grads } = tf.variableGrads(() =>
//     linearSoftmaxCrossEntropy(tf, hidden, dense.kernel.val, dense.bias.val, labels, { smoothing: 0.1 }));
//
// As in softxent/tfjs's softmaxCrossEntropy, the caller passes its own `tf` namespace and this module
// imports TF.js types only. The forward pass reads hidden, kernel and bias with dataSync() (a copy on
// the cpu and wasm backends); the gradient function scales the three gradients by the scalar dy on the
// host (no extra tensor operation) and uploads them.

import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import type * as TFCore from "@tensorflow/tfjs-core";
import { linearCrossEntropy } from "./linear_cross_entropy.js";
import { heapOrNull } from "./memory.js";
import { readLossOptions, TF_LINEAR_KEYS } from "./options.js";
import type { ClassWeightMode, FocalOptions, SmoothingMode } from "./types.js";
import { checkOptions, fail } from "./validate.js";

/** The part of the TF.js namespace this module uses: pass `tf` itself. */
export type TfLinearNamespace = Pick<typeof TFCore, "customGrad" | "tensor" | "scalar">;

export interface TfLinearOptions {
  /** Label smoothing ε ∈ [0, 1]. Default 0. */
  smoothing?: number;
  smoothingMode?: SmoothingMode;
  /** 'mean' (default: Σ losses / Σ weights of the non-ignored rows) or 'sum'. */
  reduction?: "mean" | "sum";
  /** Rows whose label equals this get loss 0 and no gradient. Default −100. */
  ignoreIndex?: number;
  /** Per-class weights (length V). */
  classWeights?: Float32Array | readonly number[] | Tensor;
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0. Default 0. */
  zLoss?: number;
  /** Bytes of logits held at once inside the wasm call (see linearCrossEntropy). */
  chunkBytes?: number;
  /** The softmax focal loss instead of cross-entropy: `{ gamma, alpha }` as linearCrossEntropy's `focal` (docs/spec.md "focal"). */
  focal?: FocalOptions;
}

/** Index labels: a tensor of N class indices (shape [N] or the hidden's batch shape), an Int32Array or number[]. */
export type TfLinearLabels = Tensor | Int32Array | readonly number[];

const FN = "softxent/tfjs linearSoftmaxCrossEntropy";
/** The name in option messages, as validate.ts writes them (softxent.tfjs.linearSoftmaxCrossEntropy: …). */
const OPTIONS_FN = "tfjs.linearSoftmaxCrossEntropy";

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "dataSync" in x && "shape" in x && "dtype" in x;
}

function float32Of(t: Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

function labelsOf(labels: TfLinearLabels, n: number, v: number): Int32Array {
  let values: ArrayLike<number>;
  if (isTensor(labels)) {
    // a 'string' tensor's dataSync() gives bytes (cpu) or throws TF.js's "Unknown dtype" (wasm)
    if (labels.dtype !== "int32" && labels.dtype !== "float32" && labels.dtype !== "bool") {
      throw new TypeError(
        `${FN}: labels must be a numeric tensor of class indices (int32); received a tensor of dtype '${String(labels.dtype)}'`,
      );
    }
    values = labels.dataSync() as ArrayLike<number>;
  } else if (labels instanceof Int32Array) return labels;
  else if (Array.isArray(labels)) values = labels;
  else throw new TypeError(`${FN}: labels must be a tf.Tensor, an Int32Array or a number[] of class indices`);
  if (values.length !== n)
    throw new RangeError(`${FN}: labels must hold one class index per row of hidden (${n}); received ${values.length}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!Number.isInteger(x)) throw new RangeError(`${FN}: labels[${i}] = ${x} is not an integer class index`);
    // an Int32 store would wrap (2^32 + 3 → class 3): refuse with the real value
    if (x < -2147483648 || x > 2147483647) {
      throw new RangeError(`${FN}: labels[${i}] = ${x} is out of range for V = ${v} classes (a class index is an integer in [0, ${v}))`);
    }
    out[i] = x;
  }
  return out;
}

/** g ← c·g in place (the scalar dy of the loss), skipped for c = 1. */
function scaled(g: Float32Array, c: number): Float32Array {
  if (c !== 1) for (let i = 0; i < g.length; i++) g[i] = g[i]! * c;
  return g;
}

/**
 * Softmax cross-entropy of `hidden · kernel + bias` (hidden [..., D], kernel [D, V] as a TF.js Dense
 * kernel, bias [V] or null) against index labels, as a scalar tensor whose gradients with respect to
 * hidden, kernel and bias come from softxent's fused head. Requires `await init()` from "softxent".
 */
export function linearSoftmaxCrossEntropy(
  tf: TfLinearNamespace,
  hidden: Tensor,
  kernel: Tensor,
  bias: Tensor | null,
  labels: TfLinearLabels,
  options?: TfLinearOptions,
): Scalar {
  if (heapOrNull() === null) throw new Error(`${FN}: the wasm core is not loaded; call \`await init()\` (from "softxent") first`);
  if (!isTensor(hidden) || hidden.rank < 1) throw new TypeError(`${FN}: hidden must be a tf.Tensor of shape [..., D]`);
  if (!isTensor(kernel) || kernel.rank !== 2) throw new TypeError(`${FN}: kernel must be a 2-D tf.Tensor of shape [D, V] (a Dense kernel)`);
  const [d, v] = kernel.shape as [number, number];
  const hShape = hidden.shape.slice();
  if (hShape[hShape.length - 1] !== d) {
    throw new RangeError(`${FN}: hidden's last axis (${hShape[hShape.length - 1]}) must equal the kernel's first (D = ${d})`);
  }
  if (bias !== null && (!isTensor(bias) || bias.size !== v))
    throw new RangeError(`${FN}: bias must be a tf.Tensor of V = ${v} values, or null`);
  const n = hidden.size / d;
  const target = labelsOf(labels, n, v);
  // The shared option table (src/options.ts): unknown keys refused with a hint, one check per value.
  const o = checkOptions(OPTIONS_FN, options, TF_LINEAR_KEYS, false);
  const shared = readLossOptions(OPTIONS_FN, o);
  if (shared.reduction !== "mean" && shared.reduction !== "sum") {
    fail(OPTIONS_FN, `options.reduction must be 'mean' or 'sum' (the loss of a custom loop is a scalar); received '${shared.reduction}'`);
  }
  const cw = o.classWeights as TfLinearOptions["classWeights"];
  const classWeights =
    cw === undefined ? undefined : isTensor(cw) ? float32Of(cw) : cw instanceof Float32Array ? cw : Float32Array.from(cw);
  const base = {
    classes: v,
    weightLayout: "dv" as const,
    reduction: shared.reduction,
    smoothing: shared.smoothing,
    smoothingMode: shared.smoothingMode,
    ignoreIndex: shared.ignoreIndex,
    ...(classWeights !== undefined && { classWeights }),
    classWeightMode: shared.classWeightMode,
    zLoss: shared.zLoss,
    ...(o.chunkBytes !== undefined && { chunkBytes: o.chunkBytes as number }),
    ...(o.focal !== undefined && { focal: o.focal as FocalOptions }),
  };
  const f = tf.customGrad((...inputs: Array<Tensor | TFCore.GradSaveFunc>) => {
    const h = float32Of(inputs[0] as Tensor);
    const w = float32Of(inputs[1] as Tensor);
    const b = bias !== null ? float32Of(inputs[2] as Tensor) : undefined;
    const r = linearCrossEntropy(h, w, target, { ...base, ...(b !== undefined && { bias: b }) });
    return {
      value: tf.scalar(r.loss as number),
      gradFunc: (dy: Tensor) => {
        const c = (dy.dataSync() as ArrayLike<number>)[0]!;
        const grads = [tf.tensor(scaled(r.gradHidden!, c), hShape), tf.tensor(scaled(r.gradWeight!, c), [d, v])];
        if (r.gradBias) grads.push(tf.tensor(scaled(r.gradBias, c), bias!.shape));
        return grads;
      },
    };
  });
  return (bias !== null ? f(hidden, kernel, bias) : f(hidden, kernel)) as Scalar;
}
