// The module's exports. Kernels take byte offsets into linear memory, counts and scalars; they never
// allocate. The facade (src/memory.ts) owns every byte above heapBase().

import { RESULTS } from "./common";

export {
  crossEntropyIndex, crossEntropyProb, crossEntropyIndexBlock, crossEntropyIndexFinish, crossEntropyProbBlock,
  crossEntropyProbFinish, ceBlockRows, ceBlocks, weightSum, probWeightSum,
} from "./cross_entropy";
export { threadContextBytes, setThreadContext } from "./thread_context";
export { labelScan } from "./ce_labels";
export { logSoftmax, softmax } from "./softmax";
export { smoothTargets } from "./smooth";
export { expPass, scalePass } from "./bounds";
// Not for the facade: exported only so that Binaryen keeps it a call. Inlined into the probability
// targets' row (its one caller), its rarely taken scan cost 4% on every row (same-process A/B, SIMD).
export { expSumRepairAtMax } from "./rows";
export { sigmoidCrossEntropy } from "./sigmoid";
export { distillation } from "./distillation";
export { calibrationRows, temperatureMoments } from "./calibration";
export { linearCrossEntropy, linearScratchBytes } from "./linear_cross_entropy";
export { gemm } from "./gemm";

/** First byte the facade may use. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }
/** Where kernels leave their f64 results. */
export function resultsPtr(): usize { return RESULTS; }
/** Which build this is — 0 scalar, 1 SIMD, 2 relaxed SIMD — so the facade can report what actually runs. */
export function simdBuild(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 2 : ASC_FEATURE_SIMD ? 1 : 0; }
export { focalIndex, focalProb } from "./focal";
export { sigmoidFocal } from "./sigmoid_focal";
export { focalParamsPtr } from "./focal_params";
