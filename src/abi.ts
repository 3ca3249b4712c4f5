// The ABI between the facade and the wasm core, mirroring assembly/common.ts (the codes and the
// results area) and assembly/index.ts (the exports). It imports nothing, so every other facade module
// can depend on it without an import cycle (loader, memory and types all read from here).

/** Reduction codes (REDUCE_* in assembly/common.ts). */
export const REDUCE = { mean: 0, sum: 1, none: 2 } as const;

/** Class-weight modes (WEIGHT_* in assembly/common.ts). */
export const WEIGHT = { none: 0, pytorch: 1, target: 2 } as const;

/**
 * f64 slots of the results area (RESULTS in assembly/common.ts; `resultsPtr()` gives its byte
 * offset), as each kernel family leaves them.
 */
export const RESULT = {
  /** crossEntropy: the divisor D of 'mean'. */
  divisor: 0,
  /** Rows counted (not ignored). */
  count: 1,
  /** The reduced loss (crossEntropy, sigmoidCrossEntropy, distillation). */
  loss: 2,
} as const;

/** calibrationRows' slots. */
export const CALIBRATION_RESULT = { count: 1, brierSum: 2, nllSum: 3, confidenceSum: 4, hits: 5 } as const;

/** temperatureMoments' slots: the mean NLL f(β) and its first two derivatives in β. */
export const MOMENTS_RESULT = { count: 1, f: 2, d1: 3, d2: 4 } as const;

/**
 * Byte offsets of the focal kernels' parameter block (assembly/focal_params.ts, whose FP_* constants
 * these mirror; `focalParamsPtr()` gives the block's address). f64 fields first, then i32.
 */
export const FOCAL_PARAMS = {
  gamma: 0,
  alpha: 8,
  smoothing: 16,
  zLoss: 24,
  ignoreIndex: 32,
  others: 36,
  weightMode: 40,
  reduction: 44,
  grad: 48,
  schedule: 52,
  balance: 56,
} as const;
/** Bytes of the focal parameter block (FOCAL_PARAMS_BYTES). */
export const FOCAL_PARAMS_BYTES = 64;
/** γ schedules (FOCAL_GAMMA_* in assembly/focal_params.ts). */
export const FOCAL_SCHEDULE = { fixed: 0, flsd53: 1 } as const;

/** The raw exports of the core (see assembly/index.ts). Pointers are byte offsets. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  resultsPtr(): number;
  simdBuild(): number;
  labelScan(y: number, n: number, k: number, ignoreIndex: number, w: number): number;
  crossEntropyIndex(
    z: number,
    y: number,
    n: number,
    k: number,
    eps: number,
    others: number,
    ignoreIndex: number,
    w: number,
    wMode: number,
    lambda: number,
    reduction: number,
    g: number,
    grad: number,
    rowLoss: number,
  ): number;
  crossEntropyProb(
    z: number,
    t: number,
    n: number,
    k: number,
    eps: number,
    w: number,
    lambda: number,
    reduction: number,
    g: number,
    grad: number,
    rowLoss: number,
  ): void;
  logSoftmax(z: number, out: number, n: number, k: number): void;
  crossEntropyIndexBlock(
    z: number,
    y: number,
    n: number,
    k: number,
    eps: number,
    others: number,
    ignoreIndex: number,
    w: number,
    wMode: number,
    W: number,
    lambda: number,
    s: number,
    zs: number,
    g: number,
    grad: number,
    rowLoss: number,
    block: number,
    slots: number,
  ): void;
  crossEntropyIndexFinish(slots: number, blocks: number, reduction: number, s: number, zs: number, lambda: number): void;
  crossEntropyProbBlock(
    z: number,
    t: number,
    n: number,
    k: number,
    eps: number,
    w: number,
    W: number,
    lambda: number,
    s: number,
    g: number,
    grad: number,
    rowLoss: number,
    block: number,
    slots: number,
  ): void;
  crossEntropyProbFinish(slots: number, blocks: number, reduction: number, s: number, lambda: number): void;
  ceBlockRows(n: number, k: number): number;
  ceBlocks(n: number, k: number): number;
  weightSum(w: number, k: number, wMode: number): number;
  probWeightSum(w: number, k: number): number;
  threadContextBytes(): number;
  setThreadContext(base: number): void;
  softmax(z: number, out: number, n: number, k: number, invT: number): void;
  smoothTargets(y: number, n: number, k: number, eps: number, others: number, ignoreIndex: number, out: number): number;
  expPass(x: number, out: number, len: number): void;
  scalePass(x: number, out: number, len: number, c: number): void;
  sigmoidCrossEntropy(
    x: number,
    t: number,
    count: number,
    k: number,
    pw: number,
    eps: number,
    reduction: number,
    g: number,
    grad: number,
    out: number,
  ): void;
  distillation(
    s: number,
    t: number,
    y: number,
    n: number,
    k: number,
    T: number,
    alpha: number,
    eps: number,
    others: number,
    ignoreIndex: number,
    reduction: number,
    g: number,
    grad: number,
    rowLoss: number,
    scratch: number,
  ): number;
  calibrationRows(
    z: number,
    y: number,
    n: number,
    k: number,
    T: number,
    fromProb: number,
    ignoreIndex: number,
    conf: number,
    correct: number,
    w64: number,
  ): number;
  temperatureMoments(z: number, y: number, n: number, k: number, ignoreIndex: number, beta: number): number;
  linearCrossEntropy(
    h: number,
    w: number,
    bias: number,
    y: number,
    n: number,
    d: number,
    v: number,
    layout: number,
    eps: number,
    others: number,
    ignoreIndex: number,
    cw: number,
    wMode: number,
    lambda: number,
    reduction: number,
    chunkRows: number,
    scratch: number,
    grad: number,
    gh: number,
    gw: number,
    gb: number,
    acc: number,
    rowLoss: number,
  ): number;
  linearScratchBytes(chunkRows: number, v: number): number;
  focalParamsPtr(): number;
  focalIndex(z: number, y: number, n: number, k: number, w: number, alpha: number, g: number, rowLoss: number, scratch: number): number;
  focalProb(z: number, t: number, n: number, k: number, w: number, alpha: number, g: number, rowLoss: number, scratch: number): void;
  sigmoidFocal(x: number, t: number, count: number, k: number, pw: number, g: number, out: number): void;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    c: number,
    ldc: number,
    alpha: number,
    acc: number,
    pack: number,
  ): void;
}

/** Which build runs: relaxed SIMD (fused multiply-add), SIMD, or scalar. */
export type Build = "relaxed-simd" | "simd" | "scalar";
export interface LoadedCore {
  exports: CoreExports;
  build: Build;
  simdSupported: boolean;
  relaxedSimdSupported: boolean;
  /** The threaded builds only (shared memory): the compiled module, for the pool's workers. */
  module?: WebAssembly.Module;
}
