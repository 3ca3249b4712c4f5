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
