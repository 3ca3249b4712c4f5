// Options of softxent/tfjs, checked once when a loss is built (or a call is made), with the core's
// conventions (validate.ts: TypeError for a wrong type, RangeError for a wrong value or an unknown
// key, "softxent.<fn>: ..." messages). The keys, defaults and checks are the shared table's
// (src/options.ts). An unknown key is an error, never silently dropped: TF.js and Keras users bring
// their own spellings (`labelSmoothing`, `label_smoothing`, `weights`; checkOptions names ours), and a
// dropped `labelSmoothing` would train without smoothing. See docs/spec.md "TF.js adapter".

import { DEFAULTS, REDUCTIONS, readLossOptions, TF_CROSS_ENTROPY_KEYS } from "../options.js";
import { checkOptions, checkWeightValues, describe, fail, failType, oneOf } from "../validate.js";
import type { ClassWeightMode, FocalOptions, SmoothingMode } from "../types.js";
import { readFocal } from "../focal.js";

export type TfReduction = "mean" | "sum" | "none";

/**
 * TF.js's `tf.Reduction` (a numeric enum: NONE 0, MEAN 1, SUM 2, SUM_BY_NONZERO_WEIGHTS 3), accepted
 * beside the strings so that code written for `tf.losses` can pass its value through.
 */
export type TfReductionInput = TfReduction | 0 | 1 | 2 | 3;

export interface ResolvedOptions {
  smoothing: number;
  smoothingMode: SmoothingMode;
  reduction: TfReduction;
  ignoreIndex: number;
  /** Given (so the core sees it), or undefined. */
  ignoreIndexGiven: boolean;
  classWeights: Float32Array | undefined;
  classWeightMode: ClassWeightMode;
  classWeightModeGiven: boolean;
  zLoss: number;
  /** The focal option, snapshotted (its per-class α copied); its length is checked by the core. */
  focal: FocalOptions | undefined;
}

/**
 * Validates the focal option now (γ, α's values) and snapshots it; a per-class α's length against K is
 * checked at each call, when K is known.
 */
function focalOf(fn: string, value: unknown): FocalOptions | undefined {
  if (value === undefined) return undefined;
  const a = (value as { alpha?: unknown } | null)?.alpha;
  const k = a instanceof Float32Array || Array.isArray(a) ? a.length : 1;
  const spec = readFocal(fn, value, k, false)!;
  return { gamma: spec.flsd ? "flsd-53" : spec.gamma, alpha: spec.alphaVec ?? spec.alpha };
}

function reductionOf(fn: string, value: unknown, hasWeights: boolean): TfReduction {
  if (typeof value === "number") {
    switch (value) {
      case 0:
        return "none";
      case 1:
        return "mean";
      case 2:
        return "sum";
      case 3:
        // TF.js: Σ losses / (number of non-zero weights); without weights that is 'mean' (ignored rows
        // count as weight 0). With class weights softxent's 'mean' divides by Σ w instead: not the same.
        if (hasWeights) {
          fail(
            fn,
            "options.reduction tf.Reduction.SUM_BY_NONZERO_WEIGHTS (3) cannot be combined with classWeights " +
              "(softxent's 'mean' divides by the sum of the weights, as tf.Reduction.MEAN does); pass 'mean' or tf.Reduction.MEAN",
          );
        }
        return "mean";
      default:
        fail(fn, `options.reduction must be 'mean', 'sum', 'none' or a tf.Reduction value (0 to 3); received ${value}`);
    }
  }
  return oneOf(fn, "reduction", value, REDUCTIONS, DEFAULTS.reduction);
}

function weightsOf(fn: string, w: unknown): Float32Array | undefined {
  if (w === undefined) return undefined;
  let values: Float32Array;
  if (w instanceof Float32Array)
    values = w.slice(); // a snapshot: later edits of the caller's array do not leak in
  else if (Array.isArray(w)) {
    for (let j = 0; j < w.length; j++) {
      if (typeof w[j] !== "number") failType(fn, `options.classWeights[${j}] must be a number; received ${describe(w[j])}`);
    }
    values = Float32Array.from(w as number[]);
  } else if (typeof w === "object" && w !== null && "dataSync" in w && "shape" in w) {
    const t = w as { dataSync(): ArrayLike<number>; shape: number[] };
    if (t.shape.length !== 1) fail(fn, `options.classWeights must be a 1-D tensor of K weights; received shape [${t.shape.join(", ")}]`);
    values = Float32Array.from(t.dataSync());
  } else {
    return failType(fn, `options.classWeights must be a Float32Array, a number[] or a 1-D tf.Tensor of K weights; received ${describe(w)}`);
  }
  checkWeightValues(fn, "classWeights", values);
  return values;
}

/**
 * Validates and snapshots the adapter's options. `fn` names the function in messages.
 * Index-only options with probability targets are refused later, by the core, which knows the targets.
 */
export function resolveOptions(fn: string, options: unknown): ResolvedOptions {
  const o = checkOptions(fn, options, TF_CROSS_ENTROPY_KEYS, false);
  const classWeights = weightsOf(fn, o.classWeights);
  const shared = readLossOptions(fn, { ...o, reduction: reductionOf(fn, o.reduction, classWeights !== undefined) });
  return {
    smoothing: shared.smoothing,
    smoothingMode: shared.smoothingMode,
    reduction: shared.reduction,
    ignoreIndex: shared.ignoreIndex,
    ignoreIndexGiven: o.ignoreIndex !== undefined,
    classWeights,
    classWeightMode: shared.classWeightMode,
    classWeightModeGiven: o.classWeightMode !== undefined,
    zLoss: shared.zLoss,
    focal: focalOf(fn, o.focal),
  };
}
