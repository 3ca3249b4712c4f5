// The module's exports. Kernels take byte offsets into linear memory, counts and scalars; they never
// allocate. The facade (src/memory.ts) owns every byte above heapBase().

import { RESULTS } from "./common";
// The codes and result slots (assembly/common.ts), exported as globals only for
// test/unit/threads-abi.test.ts to compare with src/abi.ts.
export {
  RESULT_DIVISOR, RESULT_COUNT, RESULT_LOSS, RESULT_BRIER, RESULT_NLL, RESULT_CONFIDENCE, RESULT_HITS, RESULT_F,
  RESULT_D1, RESULT_D2, RESULT_MAX_ABS, REDUCE_MEAN, REDUCE_SUM, REDUCE_NONE, WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET,
} from "./common";

// (the one-thread whole-call kernels stay exported for the bare-kernel bench, bench/kernels.ts)
export { crossEntropyIndex, crossEntropyProb, ceBlocks } from "./cross_entropy";
export { threadContextBytes, setThreadContext } from "./thread_context";
// Context-region sizes, exported for test/unit/threads-abi.test.ts.
export { RESULTS_BYTES } from "./common";
export { CE_CALL_BYTES } from "./ce_call";
export { LOGS_BYTES } from "./ce_deferred_logs";
export { TILE_BYTES, SMALL_K } from "./ce_tile";
export { GEMM_CTX_BYTES } from "./gemm";
export { labelScan } from "./ce_labels";
export { logSoftmax, softmax } from "./softmax";
export { expPass, scalePass } from "./bounds";
// Not for the facade: exported only so that Binaryen keeps it a call. Inlined into the probability
// targets' row (its one caller), its rarely taken scan cost 4% on every row (same-process A/B, SIMD).
export { expSumRepairAtMax } from "./rows";
export { distillScratchBytes } from "./distillation";
export { linearScratchBytes, LCE_VB, LCE_HB } from "./linear_cross_entropy";
export { jobRun, jobPrepare, jobStepBlocks, jobBlock, jobFinish } from "./jobs";
// The parameter blocks' field offsets (assembly/params.ts), for src/abi.ts's test to compare against.
export * from "./params";
export { gemm } from "./gemm";

/** First byte the facade may use. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }
/** Where kernels leave their f64 results. */
export function resultsPtr(): usize { return RESULTS; }
/** Which build this is — 0 scalar, 1 SIMD, 2 relaxed SIMD — so the facade can report what actually runs. */
export function simdBuild(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 2 : ASC_FEATURE_SIMD ? 1 : 0; }
export { focalScratchBytes } from "./focal";
