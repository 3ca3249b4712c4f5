// Options of softxent/tfjs, checked once when a loss is built (or a call is made), with the core's
// conventions (validate.ts: TypeError for a wrong type, RangeError for a wrong value or an unknown
// key, "softxent.<fn>: ..." messages). An unknown key is an error, never silently dropped: TF.js and
// Keras users bring their own spellings (`labelSmoothing`, `label_smoothing`, `weights`), and a
// dropped `labelSmoothing` would train without smoothing. See docs/spec.md, "TF.js adapter".

import { checkWeightValues, describe, fail, failType, integer, numberIn, oneOf } from "../validate.js";
import type { ClassWeightMode, FocalOptions, SmoothingMode } from "../types.js";
import { readFocal } from "../focal.js";

export type TfReduction = "mean" | "sum" | "none";

/**
 * TF.js's `tf.Reduction` (a numeric enum: NONE 0, MEAN 1, SUM 2, SUM_BY_NONZERO_WEIGHTS 3), accepted
 * beside the strings so that code written for `tf.losses` can pass its value through.
 */
export type TfReductionInput = TfReduction | 0 | 1 | 2 | 3;

export const KEYS = [
  "smoothing",
  "smoothingMode",
  "reduction",
  "ignoreIndex",
  "classWeights",
  "classWeightMode",
  "zLoss",
  "focal",
] as const;

/** Spellings from TF.js, Keras and PyTorch, mapped to ours (or to advice when there is no equivalent). */
const KNOWN: Record<string, string> = {
  labelsmoothing: "did you mean `smoothing`? (TF.js's name; softxent's option is `smoothing`)",
  label_smoothing: "did you mean `smoothing`? (Keras / PyTorch's name; softxent's option is `smoothing`)",
  ignore_index: "did you mean `ignoreIndex`?",
  classweight: "did you mean `classWeights` (a Float32Array or number[] of K weights)?",
  class_weight: "did you mean `classWeights` (a Float32Array or number[] of K weights)?",
  weight: "did you mean `classWeights` (PyTorch's `weight`: one weight per class)?",
  weights:
    "per-example weights have no option here: use `reduction: 'none'` and multiply the per-row losses " +
    "(or `classWeights` for one weight per class)",
  z_loss: "did you mean `zLoss`?",
  fromlogits: "softxent/tfjs always takes logits (there is no `fromLogits`)",
  from_logits: "softxent/tfjs always takes logits (there is no `from_logits`)",
  classes: "`classes` is taken from the logits' last axis; leave it out",
  gamma: "the focal loss is `focal: { gamma, alpha }`",
  alpha: "the focal loss is `focal: { gamma, alpha }`",
};

/** Levenshtein distance, for "did you mean" on typos (`smothing`, `ignoreindex`). Short strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function advice(key: string): string {
  const known = KNOWN[key.toLowerCase()];
  if (known !== undefined) return known;
  let best: string | null = null;
  let bestD = 3;
  for (const k of KEYS) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null ? `did you mean \`${best}\`?` : "";
}

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

const REDUCTIONS = ["mean", "sum", "none"] as const;

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
  return oneOf(fn, "reduction", value, REDUCTIONS, "mean");
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
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    failType(fn, `options must be an object like { smoothing: 0.1 }; received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key in o) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const hint = advice(key);
      fail(fn, `unknown option '${key}'${hint ? `; ${hint}` : ""}; expected one of ${KEYS.join(", ")}`);
    }
  }
  const classWeights = weightsOf(fn, o.classWeights);
  return {
    smoothing: numberIn(fn, "smoothing", o.smoothing, 0, 1, 0),
    smoothingMode: oneOf(fn, "smoothingMode", o.smoothingMode, ["uniform", "others"] as const, "uniform"),
    reduction: reductionOf(fn, o.reduction, classWeights !== undefined),
    ignoreIndex: integer(fn, "ignoreIndex", o.ignoreIndex, -100),
    ignoreIndexGiven: o.ignoreIndex !== undefined,
    classWeights,
    classWeightMode: oneOf(fn, "classWeightMode", o.classWeightMode, ["pytorch", "target"] as const, "pytorch"),
    classWeightModeGiven: o.classWeightMode !== undefined,
    zLoss: numberIn(fn, "zLoss", o.zLoss, 0, Number.MAX_VALUE, 0),
    focal: focalOf(fn, o.focal),
  };
}
