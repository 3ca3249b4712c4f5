// Constants and the results area shared by the kernels and the facade.

/**
 * Results of the last kernel call: eight f64 slots, at the byte offsets below. A global, not a
 * constant: a threaded instance moves it into its own context block (assembly/thread_context.ts).
 */
export let RESULTS: usize = memory.data(64, 16);
/** Bytes of the results area (one thread's copy in its context block). */
export const RESULTS_BYTES: usize = 64;
/** Byte offset of the reduction divisor D (Σ of the non-ignored rows' weights, or their count). */
export const RESULT_DIVISOR: usize = 0;
/** Byte offset of the count n of non-ignored rows. */
export const RESULT_COUNT: usize = 8;
/** Byte offset of the reduced loss (cross-entropy, distillation, sigmoid; calibration keeps its sums in 2…5). */
export const RESULT_LOSS: usize = 16;
/** Byte offset of the first of the kernel-specific slots 3…7 (calibration, temperature fitting). */
export const RESULT_EXTRA: usize = 24;
/** calibrationRows' sums (slots 2…5; its count is RESULT_COUNT). */
export const RESULT_BRIER: usize = 16;
export const RESULT_NLL: usize = 24;
export const RESULT_CONFIDENCE: usize = 32;
export const RESULT_HITS: usize = 40;
/** temperatureMoments' mean NLL f(β) and its first two derivatives (slots 2…4; count in RESULT_COUNT). */
export const RESULT_F: usize = 16;
export const RESULT_D1: usize = 24;
export const RESULT_D2: usize = 32;
/** temperatureMoments with MOM_SCAN: the largest finite |z| of the call (slot 5; 0 for none). */
export const RESULT_MAX_ABS: usize = 40;

export const REDUCE_MEAN: i32 = 0;
export const REDUCE_SUM: i32 = 1;
export const REDUCE_NONE: i32 = 2;

export const WEIGHT_NONE: i32 = 0;
export const WEIGHT_PYTORCH: i32 = 1;
export const WEIGHT_TARGET: i32 = 2;

/** Moves the results area into a pool worker's context block at `base` (assembly/thread_context.ts). */
export function rebaseResults(base: usize): usize { RESULTS = base; return base + RESULTS_BYTES; }
