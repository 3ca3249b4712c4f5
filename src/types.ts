// Public types of the softxent facade. docs/spec.md is the contract for their meaning.

import type { WasmBuffer } from "./memory.js";

/** A Float32Array, or a wasm-resident float buffer from `allocFloat32` (used without copying). */
export type Float32Input = Float32Array | WasmBuffer<Float32Array>;
/** An Int32Array, or a wasm-resident int buffer from `allocInt32` (used without copying). */
export type Int32Input = Int32Array | WasmBuffer<Int32Array>;
/** A crossEntropy target: class indices (Int32) or probabilities (Float32), plain or resident. */
export type TargetInput = Int32Input | Float32Input | WasmBuffer<Int32Array | Float32Array>;

export type Reduction = "mean" | "sum" | "none";
export type SmoothingMode = "uniform" | "others";
export type ClassWeightMode = "pytorch" | "target";

export interface CrossEntropyOptions {
  /**
   * Number of classes K ≥ 1 (logits are N×K, row-major). Required. (PyTorch accepts (N, 0) logits; a
   * flat array cannot carry K = 0.)
   */
  classes: number;
  /** Label smoothing ε ∈ [0, 1]. Default 0. */
  smoothing?: number;
  /** 'uniform' (ε/K', PyTorch/TF.js/Keras) or 'others' (ε/(K'−1) on the non-target classes, fairseq). Index targets only. */
  smoothingMode?: SmoothingMode;
  /** 'mean' (default): Σ L_i / Σ w_{y_i}; 'sum'; 'none': per-row losses. */
  reduction?: Reduction;
  /** Rows whose label equals this get loss 0 and gradient 0. Default −100. Index targets only. */
  ignoreIndex?: number;
  /** Per-class weights, length K, each finite and in [0, 1e30]. */
  classWeights?: Float32Input;
  /** 'pytorch' (default; PyTorch's formula, including its smoothing quirk) or 'target' (w_y scales the whole row). Index targets only. */
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0: adds λ·lse² per row. Default 0. */
  zLoss?: number;
  /** Compute the gradient. Default true. */
  grad?: boolean;
  /** Where to write the gradient (length N·K). May be the logits themselves (in place). */
  gradOut?: Float32Input;
  /**
   * The softmax focal loss instead of cross-entropy (docs/spec.md "focal"): per row
   * Σ_j α_j·(1−p_j)^γ·r_j·(−log p_j), r the (smoothed, weighted) target. Composes with every other option.
   */
  focal?: FocalOptions;
}

/** The `focal` option (docs/spec.md "focal"). */
export interface FocalOptions {
  /**
   * γ ≥ 0 (at most 100). crossEntropy also takes 'flsd-53' (Mukhoti et al. 2020): γ = 5 for a row whose
   * true class has p < 0.2, else 3 (the true class: the label, or the largest target probability).
   */
  gamma: number | "flsd-53";
  /**
   * crossEntropy: α, a number ≥ 0 (default 1, so γ = 0 is exactly cross-entropy; Keras defaults to
   * 0.25) or one α per class (a Float32Array or number[] of K). sigmoidCrossEntropy: α-balancing
   * (torchvision's alpha, Keras's apply_class_balancing): α ∈ [0, 1] weighs positives, 1 − α negatives;
   * not given: no balancing.
   */
  alpha?: number | Float32Array | readonly number[];
}

/**
 * A gradient's type for the options type O: `null` when O has `grad: false`, `Float32Array` when `grad`
 * is left out or `true`, and either when O only says `grad?: boolean` (options built elsewhere).
 */
export type GradOf<O> = [O] extends [never]
  ? Float32Array | null
  : [O] extends [{ grad: false }]
    ? null
    : "grad" extends keyof O
      ? [O] extends [{ grad: true }]
        ? Float32Array
        : Float32Array | null
      : Float32Array;

export interface CrossEntropyResult<
  L extends number | Float32Array = number | Float32Array,
  G extends Float32Array | null = Float32Array | null,
> {
  /** The reduced loss (a number), or per-row losses (Float32Array) for reduction 'none'. */
  loss: L;
  /**
   * ∂loss/∂logits (of the sum of row losses for 'none'), or null with `grad: false`.
   * When `gradOut` is a wasm buffer this is its view.
   */
  grad: G;
}

export interface LogSoftmaxOptions {
  /** Number of classes K ≥ 1. */
  classes: number;
  /** Where to write the result (length N·K); may be the logits themselves. */
  out?: Float32Input;
}

export interface SoftmaxOptions extends LogSoftmaxOptions {
  /** softmax(z / T). T > 0, default 1 (below 2.9e-39 the T → 0 answer is formed in f64; docs/non-finite.md). */
  temperature?: number;
}

export interface SmoothTargetsOptions {
  classes: number;
  smoothing: number;
  smoothingMode?: SmoothingMode;
  ignoreIndex?: number;
  out?: Float32Input;
}

export interface InitOptions {
  /** true: require a SIMD build; false: use the scalar build; undefined: detect and fall back. */
  simd?: boolean;
  /**
   * The relaxed-SIMD build (fused multiply-add): undefined (default) uses it where the engine
   * validates it, else the SIMD build; false never uses it; true requires it.
   */
  relaxedSimd?: boolean;
  /**
   * Where to get the wasm from, for hosts that serve it themselves: bytes, a compiled module, a
   * Response or a URL. Give `{ relaxed, simd, scalar }` to provide several builds (the relaxed one is
   * optional and only tried when given). Default: the files shipped beside the package's JS (`dist/wasm/`).
   */
  wasm?: WasmSource | { relaxed?: WasmSource; simd?: WasmSource; scalar?: WasmSource };
  /**
   * Threads a call may use, the calling thread included (docs/spec.md "Threads"): an integer ≥ 1, or
   * 'auto' (Node: os.availableParallelism(); browsers: navigator.hardwareConcurrency). Default 1.
   * More than 1 loads the threaded build over a shared memory and starts a worker pool; it needs
   * SharedArrayBuffer (in a page: cross-origin isolation, the COOP/COEP headers) and rejects where
   * that is missing, while 'auto' falls back to 1 (backendInfo().threadsNote says why).
   * Not combinable with `wasm` sources yet. Without `threads`, init() keeps a loaded instance's
   * thread count when that instance satisfies the other options.
   */
  threads?: number | "auto";
}

export type WasmSource = BufferSource | WebAssembly.Module | Response | URL | string;

export interface BackendInfo {
  /** Which build runs. */
  build: "relaxed-simd" | "simd" | "scalar";
  /** Whether a SIMD build runs (relaxed or not). */
  simd: boolean;
  /** Whether this engine validates the SIMD binary. */
  simdSupported: boolean;
  /** Whether this engine validated the relaxed-SIMD binary (false when it was not tried). */
  relaxedSimdSupported: boolean;
  /** Current size of the wasm linear memory in bytes (its high-water mark: it never shrinks). */
  memoryBytes: number;
  /** Bytes held by live wasm buffers and by the scratch area. */
  allocatedBytes: number;
  version: string;
  /** Threads a call may use, the caller included (1: no pool). */
  threads: number;
  /** Why fewer threads run than were asked for ('auto' where threads cannot run), if so. */
  threadsNote?: string;
}

// ---------------------------------------------------------------- the soft-target family

export interface SigmoidCrossEntropyOptions {
  /** Classes per row K; needed with `posWeight` (element e belongs to class e mod K). */
  classes?: number;
  /** Smoothing ε ∈ [0, 1] toward ½: t' = t·(1−ε) + ε/2 (TF.js, Keras). Default 0. */
  smoothing?: number;
  /** 'mean' (default: over all elements), 'sum', or 'none' (element-wise losses). */
  reduction?: Reduction;
  /** Weight of the positive term per class, length K, each in [0, 1e30] (PyTorch `BCEWithLogitsLoss(pos_weight=…)`). */
  posWeight?: Float32Input;
  /** Compute the gradient. Default true. */
  grad?: boolean;
  /** Where to write the gradient (length of the logits); may be the logits themselves. */
  gradOut?: Float32Input;
  /** The sigmoid focal loss (docs/spec.md "focal"): α_t·(1−p_t)^γ times the element's loss. */
  focal?: FocalOptions;
}

export interface DistillationOptions {
  /** Number of classes K. Required. */
  classes: number;
  /** Softening temperature T ∈ [1e-30, 1e16] (the range the f32 kernel computes; docs/non-finite.md). Default 1. */
  temperature?: number;
  /** Weight α ∈ [0, 1] of the KL term; (1−α) weighs the label cross-entropy. Default 0.5 with labels, else 1 (and must be 1). */
  alpha?: number;
  /** Hard labels for the cross-entropy term (N class indices). */
  labels?: Int32Input;
  /** Label smoothing ε ∈ [0, 1] of the cross-entropy term. Default 0. */
  smoothing?: number;
  /** 'uniform' (default) or 'others', for the cross-entropy term. */
  smoothingMode?: SmoothingMode;
  /** Rows whose label equals this are left out of both terms. Default −100. Needs labels. */
  ignoreIndex?: number;
  /** 'mean' (default: over the n rows not ignored), 'sum', or 'none' (per-row losses). */
  reduction?: Reduction;
  /** Compute the gradient with respect to the student logits. Default true. */
  grad?: boolean;
  /** Where to write the gradient (length N·K); may be the student logits themselves. */
  gradOut?: Float32Input;
}

export type Binning = "uniform" | "quantile";

export interface CalibrationOptions {
  /** Number of classes K. Required. */
  classes: number;
  /** Number of bins M, an integer in [1, 65536]. Default 15. */
  bins?: number;
  /** 'uniform' (default): equal-width bins (b/M, (b+1)/M]; 'quantile': equal-mass bins. */
  binning?: Binning;
  /** 'logits' (default) or 'probabilities' (rows used as p as they are). */
  from?: "logits" | "probabilities";
  /** Divide logits by T > 0 first (below 2.9e-39 the T → 0 metrics are formed in f64). Default 1. Not allowed with from: 'probabilities'. */
  temperature?: number;
  /** Rows with this label are left out. Default −100. */
  ignoreIndex?: number;
}

export interface CalibrationBin {
  /** Lower edge (uniform: b/M; quantile: the smallest confidence in the bin). */
  lower: number;
  /** Upper edge (uniform: (b+1)/M; quantile: the largest confidence in the bin). */
  upper: number;
  count: number;
  /** Fraction of the bin's rows whose prediction is right (0 when empty). */
  accuracy: number;
  /** Mean top-label confidence of the bin's rows (0 when empty). */
  confidence: number;
}

export interface CalibrationResult {
  /** Expected calibration error Σ_b (n_b/N)·|acc_b − conf_b|. */
  ece: number;
  /** Maximum calibration error over the non-empty bins. */
  mce: number;
  /** (1/N)·Σ_i Σ_j (p_ij − [j = y_i])². */
  brier: number;
  /** Mean −log p_{i,y_i}. */
  nll: number;
  accuracy: number;
  /** Mean top-label confidence. */
  confidence: number;
  bins: CalibrationBin[];
}

export interface FitTemperatureOptions {
  /** Number of classes K. Required. */
  classes: number;
  /** Rows with this label are left out. Default −100. */
  ignoreIndex?: number;
}

export interface FitTemperatureResult {
  /** The T ∈ [0.01, 100] minimising the mean NLL of softmax(z/T). */
  temperature: number;
  /** Mean NLL at T = 1. */
  nllBefore: number;
  /** Mean NLL at the fitted T. */
  nllAfter: number;
  /** Safeguarded Newton / bisection steps taken (each one pass over the data). */
  iterations: number;
  /** True when the minimiser lies at a bound of [0.01, 100]. */
  atBound: boolean;
}
