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

/** calibration's slots (its parameter block, CAL, leaves them). */
export const CALIBRATION_RESULT = { count: 1, brierSum: 2, nllSum: 3, confidenceSum: 4, hits: 5 } as const;

/**
 * temperatureMoments' slots (its parameter block, MOM): the mean NLL f(β) and its first two derivatives
 * in β; with MOM.scan, the largest finite |logit|.
 */
export const MOMENTS_RESULT = { count: 1, f: 2, d1: 3, d2: 4, maxAbs: 5 } as const;

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
  ceBlocks(n: number, k: number): number;
  threadContextBytes(): number;
  setThreadContext(base: number): void;
  softmax(z: number, out: number, n: number, k: number, invT: number): void;
  expPass(x: number, out: number, len: number): void;
  scalePass(x: number, out: number, len: number, c: number): void;
  /** Computed in u64, returned as an f64 (exact below 2^53). */
  linearScratchBytes(chunkRows: number, v: number, threads: number): number;
  /** One thread's scratch bytes for distillation's parameter-block form. */
  distillScratchBytes(k: number): number;
  /** Parameter-block kernels (assembly/jobs.ts): p is a block laid out as PARAMS below. */
  jobRun(p: number): number;
  jobPrepare(p: number): number;
  jobStepBlocks(p: number, step: number): number;
  jobBlock(p: number, step: number, block: number, thread: number): void;
  jobFinish(p: number): void;
  /** One thread's scratch bytes for the focal option's parameter-block form. */
  focalScratchBytes(k: number): number;
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

type FunctionKeys<T> = { [K in keyof T]: T[K] extends (...a: never[]) => unknown ? K : never }[keyof T];

/**
 * Every function export with its parameter count, for the build-vs-ABI test (test/unit/threads-abi.test.ts);
 * `satisfies` makes the compiler refuse this table when it misses or adds a CoreExports function.
 */
export const EXPORT_ARITY = {
  heapBase: 0,
  resultsPtr: 0,
  simdBuild: 0,
  labelScan: 5,
  crossEntropyIndex: 14,
  crossEntropyProb: 11,
  logSoftmax: 4,
  ceBlocks: 2,
  threadContextBytes: 0,
  setThreadContext: 1,
  softmax: 5,
  expPass: 3,
  scalePass: 4,
  linearScratchBytes: 3,
  distillScratchBytes: 1,
  jobRun: 1,
  jobPrepare: 1,
  jobStepBlocks: 2,
  jobBlock: 4,
  jobFinish: 1,
  focalScratchBytes: 1,
  gemm: 14,
} as const satisfies Record<FunctionKeys<CoreExports>, number>;

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

/**
 * Parameter blocks (assembly/params.ts, the one source of this layout; test/unit/threads-abi.test.ts
 * compares every offset here with the build's exported constant of the same name). Each field has an
 * 8-byte slot at its byte offset: f64 fields fill it, i32 and pointer fields sit in its low half.
 */
export const PARAMS = {
  /** Bytes of the largest block (PARAM_BYTES). */
  bytes: 312,
  /** The job id field (P_JOB) and the ids. */
  job: 0,
} as const;

/** Job ids (JOB_* in assembly/params.ts). */
export const JOB = { linear: 1, sigmoid: 2, distillation: 3, calibration: 4, moments: 5, smooth: 6, focal: 9, ce: 10 } as const;

/** crossEntropy's, logSoftmax's and softmax's block (CE_* in assembly/params.ts); the f64 fields are marked. */
export const CE = {
  z: 8,
  t: 16,
  n: 24,
  k: 32,
  kind: 40,
  /** f64 */
  eps: 48,
  others: 56,
  ignore: 64,
  w: 72,
  wMode: 80,
  /** f64 */
  lambda: 88,
  reduction: 96,
  g: 104,
  grad: 112,
  rowLoss: 120,
  /** f64 */
  invT: 128,
  slots: 136,
} as const;

/** crossEntropy's focal option (FOC_* in assembly/params.ts); the f64 fields are marked. */
export const FOC = {
  z: 8,
  t: 16,
  n: 24,
  k: 32,
  index: 40,
  w: 48,
  wMode: 56,
  alphaV: 64,
  /** f64 */
  alpha: 72,
  /** f64 */
  gamma: 80,
  schedule: 88,
  /** f64 */
  eps: 96,
  others: 104,
  ignore: 112,
  /** f64 */
  lambda: 120,
  reduction: 128,
  g: 136,
  grad: 144,
  rowLoss: 152,
  cw: 160,
  scratch: 168,
  slots: 176,
} as const;

/** calibration's per-row pass (CAL_* in assembly/params.ts). */
export const CAL = {
  z: 8,
  y: 16,
  n: 24,
  k: 32,
  /** f64 */
  temperature: 40,
  fromProb: 48,
  ignore: 56,
  conf: 64,
  correct: 72,
  /** 16·K bytes per thread. */
  scratch: 80,
  /** CAL_SLOT_BYTES per row block. */
  slots: 88,
} as const;
/** Bytes of one calibration row block's slot (CAL_SLOT_BYTES). */
export const CAL_SLOT_BYTES = 40;

/** temperatureMoments, fitTemperature's evaluation (MOM_* in assembly/params.ts). */
export const MOM = {
  z: 8,
  y: 16,
  n: 24,
  k: 32,
  ignore: 40,
  /** f64 */
  beta: 48,
  /** MOM_SLOT_BYTES per row block. */
  slots: 56,
  /** 1: also find the largest finite |logit| (MOMENTS_RESULT.maxAbs). */
  scan: 64,
} as const;
/** Bytes of one temperatureMoments row block's slot (MOM_SLOT_BYTES). */
export const MOM_SLOT_BYTES = 32;

/** smoothTargets (SMT_* in assembly/params.ts). */
export const SMT = {
  y: 8,
  n: 16,
  k: 24,
  /** f64 */
  eps: 32,
  others: 40,
  ignore: 48,
  out: 56,
} as const;

/** distillation's block (DST_* in assembly/params.ts). */
export const DST = {
  s: 8,
  t: 16,
  y: 24,
  n: 32,
  k: 40,
  /** f64 */
  temperature: 48,
  /** f64 */
  alpha: 56,
  /** f64 */
  eps: 64,
  others: 72,
  ignore: 80,
  reduction: 88,
  g: 96,
  grad: 104,
  rowLoss: 112,
  scratch: 120,
  slots: 128,
} as const;

/** sigmoidCrossEntropy's block (SIG_* in assembly/params.ts). */
export const SIG = {
  x: 8,
  t: 16,
  count: 24,
  k: 32,
  pw: 40,
  /** f64 */
  eps: 48,
  reduction: 56,
  g: 64,
  grad: 72,
  out: 80,
  slots: 88,
  /** the focal option: 1 when on */
  focal: 120,
  /** f64 */
  gamma: 128,
  /** f64: α of α-balancing */
  falpha: 136,
  balance: 144,
} as const;

/** linearCrossEntropy's block (LCE_* in assembly/params.ts); the f64 fields are marked. */
export const LCE = {
  h: 8,
  w: 16,
  bias: 24,
  y: 32,
  n: 40,
  d: 48,
  v: 56,
  layout: 64,
  /** f64 */
  eps: 72,
  others: 80,
  ignore: 88,
  cw: 96,
  wMode: 104,
  /** f64 */
  lambda: 112,
  reduction: 120,
  chunkRows: 128,
  scratch: 136,
  grad: 144,
  gh: 152,
  gw: 160,
  gb: 168,
  acc: 176,
  rowLoss: 184,
  /** the focal option: 1 when on */
  focal: 256,
  /** f64 */
  gamma: 264,
  schedule: 272,
  /** f64: the scalar α */
  falpha: 280,
  /** V per-class α, or 0 */
  falphaV: 288,
  /** V floats for the coefficient row */
  focalCw: 296,
} as const;
