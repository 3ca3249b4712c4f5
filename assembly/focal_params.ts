// The parameter block of the focal kernels (focal.ts, sigmoid_focal.ts): every scalar of a call, at
// named byte offsets defined once here and mirrored in src/abi.ts (FOCAL_PARAMS; test/unit/focal-abi
// checks the two agree). The facade writes the block, then calls the kernel with pointers and counts
// only. Focal runs on the calling thread, whose static regions are its own (thread_context.ts), so the
// block is a plain static region.

/** Bytes of the block. */
export const FOCAL_PARAMS_BYTES: i32 = 64;
/** The block (16-aligned). */
export const FOCAL_PARAMS: usize = memory.data(FOCAL_PARAMS_BYTES, 16);

// ---- f64 fields
/** γ ≥ 0 (ignored under the FLSD-53 schedule). */
export const FP_GAMMA: usize = 0;
/** Scalar α (softmax: the α of every class when no per-class α is given; sigmoid: α of α-balancing). */
export const FP_ALPHA: usize = 8;
/** Label smoothing ε. */
export const FP_SMOOTHING: usize = 16;
/** z-loss λ (softmax only). */
export const FP_ZLOSS: usize = 24;
// ---- i32 fields
/** ignoreIndex (index targets). */
export const FP_IGNORE_INDEX: usize = 32;
/** 1: smoothingMode 'others'. */
export const FP_OTHERS: usize = 36;
/** Class-weight mode (WEIGHT_* of common.ts). */
export const FP_WEIGHT_MODE: usize = 40;
/** Reduction (REDUCE_* of common.ts). */
export const FP_REDUCTION: usize = 44;
/** 1: write the gradient. */
export const FP_GRAD: usize = 48;
/** γ schedule: FOCAL_GAMMA_FIXED or FOCAL_GAMMA_FLSD53. */
export const FP_SCHEDULE: usize = 52;
/** Sigmoid only: 1 when α-balancing applies (alpha given). */
export const FP_BALANCE: usize = 56;

export const FOCAL_GAMMA_FIXED: i32 = 0;
/** Mukhoti et al. 2020: γ = 5 where the true class's p < 0.2, else 3. */
export const FOCAL_GAMMA_FLSD53: i32 = 1;

/** Where the facade writes a focal call's parameters. */
export function focalParamsPtr(): usize { return FOCAL_PARAMS; }

/**
 * u^γ for u ∈ [0, 1], γ ≥ 0, in f64 (0^0 = 1): for an integer γ ≤ 16 by products (a few ulps, and no
 * exp or log: this runs once or twice per row), else as exp(γ·log u): relative error ~|γ·log u|·1e-16,
 * and far smaller in the module than a general pow.
 */
export function powU(u: f64, g: f64): f64 {
  if (g == 0) return 1;
  if (u == 0) return 0;
  if (g <= 16 && g == Math.floor(g)) {
    let r = u;
    for (let i = 1, n = <i32>g; i < n; i++) r *= u;
    return r;
  }
  return Math.exp(g * Math.log(u));
}
