// What the focal kernels share (focal.ts, sigmoid_focal.ts): the γ schedules and u^γ. Their scalars
// travel in the calls' parameter blocks (assembly/params.ts: FOC_*, the focal fields of LCE_* and SIG_*).

export const FOCAL_GAMMA_FIXED: i32 = 0;
/** Mukhoti et al. 2020: γ = 5 where the true class's p < 0.2, else 3. */
export const FOCAL_GAMMA_FLSD53: i32 = 1;

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
