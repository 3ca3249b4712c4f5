// Public types of the softxent facade. SPEC.md is the contract for their meaning.

import type { WasmBuffer } from "./memory.js";

/** A Float32Array, or a wasm-resident float buffer from `allocFloat32` (used without copying). */
export type Float32Input = Float32Array | WasmBuffer<Float32Array>;
/** An Int32Array, or a wasm-resident int buffer from `allocInt32` (used without copying). */
export type Int32Input = Int32Array | WasmBuffer<Int32Array>;

export type Reduction = "mean" | "sum" | "none";
export type SmoothingMode = "uniform" | "others";
export type ClassWeightMode = "pytorch" | "target";

export interface CrossEntropyOptions {
  /** Number of classes K (logits are N×K, row-major). Required. */
  classes: number;
  /** Label smoothing ε ∈ [0, 1]. Default 0. */
  smoothing?: number;
  /** 'uniform' (ε/K', PyTorch/TF.js/Keras) or 'others' (ε/(K'−1) on the non-target classes, fairseq). Index targets only. */
  smoothingMode?: SmoothingMode;
  /** 'mean' (default): Σ L_i / Σ w_{y_i}; 'sum'; 'none': per-row losses. */
  reduction?: Reduction;
  /** Rows whose label equals this get loss 0 and gradient 0. Default −100. Index targets only. */
  ignoreIndex?: number;
  /** Per-class weights, length K. */
  classWeights?: Float32Input;
  /** 'pytorch' (default; PyTorch's formula, including its smoothing quirk) or 'target' (w_y scales the whole row). Index targets only. */
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0: adds λ·lse² per row. Default 0. */
  zLoss?: number;
  /** Compute the gradient. Default true. */
  grad?: boolean;
  /** Where to write the gradient (length N·K). May be the logits themselves (in place). */
  gradOut?: Float32Input;
}

export interface CrossEntropyResult<L extends number | Float32Array = number | Float32Array> {
  /** The reduced loss (a number), or per-row losses (Float32Array) for reduction 'none'. */
  loss: L;
  /**
   * ∂loss/∂logits (of the sum of row losses for 'none'), or null with `grad: false`.
   * When `gradOut` is a wasm buffer this is its view.
   */
  grad: Float32Array | null;
}

export interface LogSoftmaxOptions {
  classes: number;
  /** Where to write the result (length N·K); may be the logits themselves. */
  out?: Float32Input;
}

export interface SoftmaxOptions extends LogSoftmaxOptions {
  /** softmax(z / T). T > 0, default 1. */
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
  /** true: require the SIMD build; false: use the scalar build; undefined: detect and fall back. */
  simd?: boolean;
  /**
   * Where to get the wasm from, for hosts that serve it themselves: bytes, a compiled module, a
   * Response or a URL. Give `{ simd, scalar }` to provide both builds. Default: the files shipped beside
   * the package's JS (`dist/wasm/`).
   */
  wasm?: WasmSource | { simd?: WasmSource; scalar?: WasmSource };
}

export type WasmSource = BufferSource | WebAssembly.Module | Response | URL | string;

export interface BackendInfo {
  /** Which build runs. */
  build: "simd" | "scalar";
  simd: boolean;
  /** Whether this engine validates the SIMD binary. */
  simdSupported: boolean;
  /** Current size of the wasm linear memory in bytes (its high-water mark: it never shrinks). */
  memoryBytes: number;
  /** Bytes held by live wasm buffers and by the scratch area. */
  allocatedBytes: number;
  version: string;
}
