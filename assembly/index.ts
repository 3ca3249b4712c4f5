// The module's exports. Kernels take byte offsets into linear memory, counts and scalars; they never
// allocate. The facade (src/memory.ts) owns every byte above heapBase().

import { RESULTS } from "./common";

export { crossEntropyIndex, crossEntropyProb, labelScan } from "./cross_entropy";
export { logSoftmax, softmax } from "./softmax";
export { smoothTargets } from "./smooth";
export { expPass, scalePass } from "./bounds";
export { sigmoidCrossEntropy } from "./sigmoid";
export { distillation } from "./distillation";
export { calibrationRows, temperatureMoments } from "./calibration";

/** First byte the facade may use. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }
/** Where kernels leave their f64 results. */
export function resultsPtr(): usize { return RESULTS; }
/** 1 when this is the SIMD build (so the facade can report what actually runs). */
export function simdBuild(): i32 { return ASC_FEATURE_SIMD ? 1 : 0; }
