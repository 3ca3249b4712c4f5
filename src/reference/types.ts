/**
 * Types of the plain double-precision reference ("the oracle").
 *
 * The reference accepts any array-like of numbers (Float32Array, Float64Array, Int32Array or
 * number[]) and computes everything in f64. It never depends on the wasm facade.
 */

/** Any readable array of numbers. */
export type NumericArray = ArrayLike<number>;

export type Reduction = "mean" | "sum" | "none";
export type SmoothingMode = "uniform" | "others";
export type ClassWeightMode = "pytorch" | "target";
export type TargetKind = "index" | "probability";

/** Result of a loss: a number for 'mean'/'sum', per-row (or per-element) losses for 'none'. */
export interface LossResult {
  loss: number | Float64Array;
  /** Gradient of the reduced loss w.r.t. the logits (of the sum for 'none'); null when grad: false. */
  grad: Float64Array | null;
}

export interface CrossEntropyOptions {
  classes: number;
  /**
   * How to read `target`. Default: an Int32Array is class indices, a Float32Array/Float64Array is
   * probabilities; a number[] is probabilities when its length is N·K with K > 1, else indices.
   */
  targetKind?: TargetKind;
  smoothing?: number;
  smoothingMode?: SmoothingMode;
  reduction?: Reduction;
  ignoreIndex?: number;
  classWeights?: NumericArray;
  classWeightMode?: ClassWeightMode;
  zLoss?: number;
  grad?: boolean;
  /** The softmax focal loss (src/reference/focal.ts). */
  focal?: FocalOptions;
}

/** The focal option of crossEntropy and sigmoidCrossEntropy (docs/spec.md "focal"). */
export interface FocalOptions {
  /** γ ≥ 0, or 'flsd-53' (softmax only: γ = 5 where the true class's p < 0.2, else 3). */
  gamma: number | "flsd-53";
  /** Softmax: α, a number (default 1) or one per class. Sigmoid: α-balancing (α for positives, 1 − α for negatives) when given. */
  alpha?: number | NumericArray;
}

export interface LogSoftmaxOptions {
  classes: number;
}

export interface SoftmaxOptions {
  classes: number;
  temperature?: number;
}

export interface SmoothTargetsOptions {
  classes: number;
  smoothing: number;
  smoothingMode?: SmoothingMode;
  ignoreIndex?: number;
}

export interface SigmoidCrossEntropyOptions {
  /** Needed with posWeight; element e of the flat arrays belongs to class e mod classes. */
  classes?: number;
  smoothing?: number;
  reduction?: Reduction;
  posWeight?: NumericArray;
  grad?: boolean;
  /** The sigmoid focal loss (src/reference/focal.ts). */
  focal?: FocalOptions;
}

export interface DistillationOptions {
  classes: number;
  temperature?: number;
  alpha?: number;
  labels?: NumericArray;
  smoothing?: number;
  smoothingMode?: SmoothingMode;
  ignoreIndex?: number;
  reduction?: Reduction;
  grad?: boolean;
}

export type Binning = "uniform" | "quantile";

export interface CalibrationOptions {
  classes: number;
  bins?: number;
  binning?: Binning;
  from?: "logits" | "probabilities";
  temperature?: number;
  ignoreIndex?: number;
}

export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  accuracy: number;
  confidence: number;
}

export interface CalibrationResult {
  ece: number;
  mce: number;
  brier: number;
  nll: number;
  accuracy: number;
  confidence: number;
  bins: CalibrationBin[];
}

export interface FitTemperatureOptions {
  classes: number;
  ignoreIndex?: number;
}

export interface FitTemperatureResult {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  iterations: number;
  atBound: boolean;
}
