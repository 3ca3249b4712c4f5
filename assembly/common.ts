// Constants and the results area shared by the kernels and the facade.

/** Results of the last kernel call, f64 slots: [0] divisor D, [1] count n, [2] loss, [3..7] kernel-specific. */
export const RESULTS: usize = memory.data(64, 16);

export const REDUCE_MEAN: i32 = 0;
export const REDUCE_SUM: i32 = 1;
export const REDUCE_NONE: i32 = 2;

export const WEIGHT_NONE: i32 = 0;
export const WEIGHT_PYTORCH: i32 = 1;
export const WEIGHT_TARGET: i32 = 2;
