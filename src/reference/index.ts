/**
 * The plain double-precision reference ("the oracle") of softxent: every function of docs/spec.md
 * written for clarity in ordinary JavaScript numbers. Tests compare the wasm kernels against it;
 * it is never used as a fallback.
 */
export * from "./types.js";
export { logSoftmax, softmax, rowSoftmax, rowCount } from "./softmax.js";
export type { RowSoftmax, RowStatus } from "./softmax.js";
export { smoothTargets, smoothedIndexTarget } from "./smooth.js";
export { crossEntropy, resolveTargetKind } from "./cross_entropy.js";
export { sigmoidCrossEntropy, sigmoid, softplus } from "./sigmoid.js";
export { distillation } from "./distillation.js";
export { calibration } from "./calibration.js";
export { fitTemperature, meanNll, MIN_TEMPERATURE, MAX_TEMPERATURE } from "./temperature.js";
export { linearCrossEntropy, type LinearCrossEntropyOptions, type LinearCrossEntropyResult } from "./linear_cross_entropy.js";
export { focalCrossEntropy, sigmoidFocalCrossEntropy, sigmoidFocalElement, focalGamma } from "./focal.js";
