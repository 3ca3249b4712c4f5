/**
 * T²·KL(softmax(t/T) ‖ softmax(s/T)) and T·(ps − pt), accurate when the tempered logit differences
 * are small (large T, or teacher ≈ student), where the textbook Σ pt·(log pt − log ps) cancels away
 * every digit: its terms are O(1/T) and their sum O(1/T²).
 *
 * Write D_j = t_j − s_j and U for the classes the teacher does not mask (pt_j > 0 possible). With
 * P = Σ_U ps_j, E[·] = Σ_U ps_j(·)/P, the centred D'_j = D_j − E[D] and δ_j = D'_j/T (KL is unchanged
 * by a constant added to every δ), the identities pt_j = ps_j·e^{δ_j}/Z, Z = P·(1 + m), m = E[expm1 δ],
 * and E[δ] = 0 give
 *   T²·KL = E[D'²·h(δ)]/(1 + m) − E[D'²·φ(δ)]·λ(m) − T²·log P,
 *   T·(ps_j − pt_j) = ps_j·(T·(P − 1) + P·E[D'²·φ(δ)]/T − D'_j·h(δ_j))/Z      (j ∈ U),
 *   T·(ps_j − pt_j) = T·ps_j                                              (j ∉ U),
 * with h(δ) = expm1(δ)/δ, φ(δ) = (expm1(δ) − δ)/δ², λ(x) = log1p(x)/x (each → 1, ½, 1 at 0) and
 * m = E[D'²·φ(δ)]/T². No term cancels catastrophically: as T → ∞, T²·KL → ½·Var_U(D) − T²·log P.
 * Used when every |δ_j| ≤ 1 (beyond that the plain formula has no cancellation to fear).
 */

/** Taylor series of φ(δ) = (e^δ − 1 − δ)/δ² = Σ_{n≥0} δⁿ/(n+2)!, for |δ| < 0.1 (truncation < 1e-20). */
function phi(d: number): number {
  if (Math.abs(d) >= 0.1) return (Math.expm1(d) - d) / (d * d);
  let term = 0.5,
    sum = 0.5;
  for (let n = 1; n <= 10; n++) {
    term *= d / (n + 2);
    sum += term;
  }
  return sum;
}

function h(d: number): number {
  return d === 0 ? 1 : Math.expm1(d) / d;
}

function lambda(x: number): number {
  return x === 0 ? 1 : Math.log1p(x) / x;
}

export interface TemperedKl {
  /** T²·KL(pt ‖ ps). */
  t2kl: number;
  /** T·(ps − pt), K entries. */
  tGrad: Float64Array;
}

/**
 * The expansion-safe form for one row, or null when some |δ_j| > 1 (use the plain formula).
 * Preconditions: both rows finite except −Infinity masks, the teacher has an unmasked class, and no
 * class masked in the student has teacher probability > 0. `ps` is softmax(s/T) in f64.
 */
export function temperedKl(
  s: ArrayLike<number>,
  t: ArrayLike<number>,
  offset: number,
  K: number,
  T: number,
  ps: Float64Array,
): TemperedKl | null {
  let P = 0,
    outside = 0,
    ED = 0;
  for (let j = 0; j < K; j++) {
    const tj = Number(t[offset + j]);
    if (tj === -Infinity) {
      outside += ps[j]!;
      continue;
    }
    P += ps[j]!;
    ED += ps[j]! * (tj - Number(s[offset + j]));
  }
  if (!(P > 0)) return null;
  ED /= P;
  const Dp = new Float64Array(K);
  let e2h = 0,
    e2phi = 0;
  for (let j = 0; j < K; j++) {
    const tj = Number(t[offset + j]);
    if (tj === -Infinity) continue;
    const d = tj - Number(s[offset + j]) - ED;
    const delta = d / T;
    if (!(Math.abs(delta) <= 1)) return null;
    Dp[j] = d;
    e2h += ps[j]! * d * d * h(delta);
    e2phi += ps[j]! * d * d * phi(delta);
  }
  e2h /= P;
  e2phi /= P;
  const m = e2phi / (T * T);
  // −T²·log P: log1p(−outside) while P is near 1 (no subtraction formed), log P once it is not.
  const massTerm = outside > 0 ? -(T * T) * (outside <= 0.5 ? Math.log1p(-outside) : Math.log(P)) : 0;
  const t2kl = e2h / (1 + m) - e2phi * lambda(m) + massTerm;
  const Z = P * (1 + m);
  const common = -T * outside + (P * e2phi) / T;
  const tGrad = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    const tj = Number(t[offset + j]);
    if (tj === -Infinity) tGrad[j] = T * ps[j]!;
    else tGrad[j] = (ps[j]! * (common - Dp[j]! * h(Dp[j]! / T))) / Z;
  }
  return { t2kl, tGrad };
}
