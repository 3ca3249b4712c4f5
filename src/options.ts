// The one option table of the cross-entropy entry points: crossEntropy, linearCrossEntropy, and
// softxent/tfjs's softmaxCrossEntropy / crossEntropyLoss and linearSoftmaxCrossEntropy. Each entry
// point's key set is built here from its options type (src/types.ts and the adapters' interfaces) and
// checked against it at compile time, both ways: a key the type does not declare, or a declared key
// missing from the set, is a type error here. The shared options are read by one function, with one
// default and one check each, so no entry point can drop an option, spell it differently or check it
// differently. Unknown keys are refused, with "did you mean" hints, by checkOptions (src/validate.ts).

import type { LinearCrossEntropyOptions } from "./linear_cross_entropy.js";
import type { TfCrossEntropyOptions } from "./tfjs.js";
import type { TfLinearOptions } from "./tfjs-linear.js";
import type { ClassWeightMode, CrossEntropyOptions, Reduction, SmoothingMode } from "./types.js";
import { bool, integer, numberIn, oneOf } from "./validate.js";

export const REDUCTIONS = ["mean", "sum", "none"] as const;
export const SMOOTHING_MODES = ["uniform", "others"] as const;
export const WEIGHT_MODES = ["pytorch", "target"] as const;

/** Defaults of the shared options (docs/spec.md "crossEntropy"). */
export const DEFAULTS = {
  smoothing: 0,
  smoothingMode: "uniform",
  reduction: "mean",
  ignoreIndex: -100,
  classWeightMode: "pytorch",
  zLoss: 0,
  grad: true,
} as const;

/** The options every entry point shares (values; classWeights are read by each entry point from its own input forms). */
const SHARED = ["smoothing", "smoothingMode", "reduction", "ignoreIndex", "classWeights", "classWeightMode", "zLoss"] as const;

/**
 * `keysOf<T>()([...])`: the key set of an options type T, checked at compile time — every element must
 * be a key of T, and every key of T must be listed (the argument's type names the missing ones).
 */
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T & string, K[number]> }),
  ): ReadonlySet<string> => new Set<string>(keys);
}

export const CROSS_ENTROPY_KEYS = keysOf<CrossEntropyOptions>()(["classes", ...SHARED, "grad", "gradOut", "focal"]);
export const LINEAR_CROSS_ENTROPY_KEYS = keysOf<LinearCrossEntropyOptions>()([
  "classes",
  "weightLayout",
  "bias",
  ...SHARED,
  "grad",
  "gradHidden",
  "gradWeight",
  "gradBias",
  "accumulate",
  "chunkBytes",
  "focal",
]);
export const TF_CROSS_ENTROPY_KEYS = keysOf<TfCrossEntropyOptions>()([...SHARED, "focal"]);
export const TF_LINEAR_KEYS = keysOf<TfLinearOptions>()([...SHARED, "chunkBytes", "focal"]);

/** The shared options, resolved. */
export interface LossOptions {
  smoothing: number;
  smoothingMode: SmoothingMode;
  reduction: Reduction;
  ignoreIndex: number;
  classWeightMode: ClassWeightMode;
  zLoss: number;
  grad: boolean;
}

/**
 * Reads and checks the shared options from a snapshot (checkOptions), with the one default and the one
 * check of each. `reduction` is read as a string here; an entry point that also takes other forms (the
 * TF.js adapter's tf.Reduction numbers) converts them before.
 */
export function readLossOptions(fn: string, o: Readonly<Record<string, unknown>>): LossOptions {
  return {
    smoothing: numberIn(fn, "smoothing", o.smoothing, 0, 1, DEFAULTS.smoothing),
    smoothingMode: oneOf(fn, "smoothingMode", o.smoothingMode, SMOOTHING_MODES, DEFAULTS.smoothingMode),
    reduction: oneOf(fn, "reduction", o.reduction, REDUCTIONS, DEFAULTS.reduction),
    ignoreIndex: integer(fn, "ignoreIndex", o.ignoreIndex, DEFAULTS.ignoreIndex),
    classWeightMode: oneOf(fn, "classWeightMode", o.classWeightMode, WEIGHT_MODES, DEFAULTS.classWeightMode),
    zLoss: numberIn(fn, "zLoss", o.zLoss, 0, Number.MAX_VALUE, DEFAULTS.zLoss),
    grad: bool(fn, "grad", o.grad, DEFAULTS.grad),
  };
}
