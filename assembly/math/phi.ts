// φ(v) = e^{−v} − 1 + v ≥ 0 and expm1(−v) = φ(v) − v, for the cancellation-free KL of distillation
// (assembly/distillation.ts). Each term of the KL sum is pt_j·φ(v_j); its relative error must stay near
// f32's own, whatever v is:
// - v ∈ [−2, 1]: φ(v) = v²·H(v), H(v) = Σ_n (−v)^n/(n+2)! fitted by a degree-8 polynomial (relative
//   weighted least squares; max relative error 9.4e-9 in f64, 1.9e-7 for v²·H evaluated in f32).
//   There the direct form loses digits: e^{−v}/φ(v) is 3.8 at v = −1 and grows as 2/v² near 0.
// - elsewhere: e^{−v} − 1 + v directly, where e^{−v}/φ(v) ≤ 1.68 (at v = −2) and ≤ 1 for v ≥ 1.
// e^{−v} there comes from expRed: the range reduction x = n·ln2 + r in f64 (v itself is an f64
// value: rounding it to f32 first would cost a relative error ε·|v| in e^{−v}, 5e-6 at v = −80), the
// polynomial of math/exp.ts on r in f32 (max relative error 1.2e-7).

import { EXP_LOG2E_F64, EXP_LN2_F64, EXP_MIN_ARG_F64, EXP_MAX_ARG_F64, expPoly } from "./exp";

/** H's coefficients (of v^0 … v^8), f32, 16-byte aligned; index × 4 = byte offset. */
export const PHI_CONSTS: usize = memory.data<f32>([
  0.5000000020830818,
  -0.16666669466248668,
  0.04166662827343669,
  -0.008333143037107853,
  0.0013890472952442217,
  -0.00019872166076287268,
  0.000024540354841331013,
  -0.000002633653768341293,
  4.196303692040428e-7,
  -2.0,               // 9  lower end of the series interval
  1.0,                // 10 upper end
], 16);

/** f64 constants for expRed's reduction: log2(e), ln 2, lower and upper clamps. */
export const PHI_CONSTS64: usize = memory.data<f64>([EXP_LOG2E_F64, EXP_LN2_F64, EXP_MIN_ARG_F64, EXP_MAX_ARG_F64], 16);

export const PHI_LO: f32 = -2.0;
export const PHI_HI: f32 = 1.0;

// The tables' entries by name, for the splat loads (as EXP_AT_* in exp.ts): H's coefficient of v^n at
// PHI_AT_H + 4n, the interval's ends, and expRed's f64 constants.
export const PHI_AT_H: usize = PHI_CONSTS;
export const PHI_AT_LO: usize = PHI_CONSTS + 36;
export const PHI_AT_HI: usize = PHI_CONSTS + 40;
export const PHI_AT_LOG2E: usize = PHI_CONSTS64;
export const PHI_AT_LN2: usize = PHI_CONSTS64 + 8;
export const PHI_AT_XLO: usize = PHI_CONSTS64 + 16;
export const PHI_AT_XHI: usize = PHI_CONSTS64 + 24;

/** H(v) = φ(v)/v² on [−2, 1], f32 Horner. */
// @ts-ignore: decorator
@inline export function phiH(v: f32): f32 {
  let h: f32 = <f32>4.196303692040428e-7;
  h = h * v + <f32>-0.000002633653768341293;
  h = h * v + <f32>0.000024540354841331013;
  h = h * v + <f32>-0.00019872166076287268;
  h = h * v + <f32>0.0013890472952442217;
  h = h * v + <f32>-0.008333143037107853;
  h = h * v + <f32>0.04166662827343669;
  h = h * v + <f32>-0.16666669466248668;
  return h * v + <f32>0.5000000020830818;
}

/** e^x for x ∈ [−87.3, 88.3] (clamped to it), with the reduction in f64 and the f32 polynomial of exp.ts. */
// @ts-ignore: decorator
@inline export function expRed(x: f64): f32 {
  x = min<f64>(max<f64>(x, EXP_MIN_ARG_F64), EXP_MAX_ARG_F64);
  const n = nearest<f64>(x * EXP_LOG2E_F64);
  const r = <f32>(x - n * EXP_LN2_F64);
  const y: f32 = expPoly(r);
  return reinterpret<f32>(reinterpret<i32>(y) + (<i32>n << 23));
}
