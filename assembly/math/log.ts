// Vector and scalar natural log, and log1p on [0, 1] (for the softplus of sigmoid cross-entropy).
//
// Range reduction on the exponent bits: x = 2^e · m with m ∈ [√½, √2). Adding (1 − √½)'s bit distance
// to the bits before splitting makes the exponent field round up exactly when the mantissa is ≥ √2,
// so no compare/select is needed. Then with f = m − 1 (exact: Sterbenz), s = f / (2 + f),
//   log m = 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9 + …),  |s| ≤ 0.1716, s² ≤ 0.0295,
// and the first omitted term is below 2e-9 relative: the result is good to a few f32 ulps.
//   log x = e·ln2_hi + (e·ln2_lo + log m), ln2_hi exact in few bits so e·ln2_hi is exact.
// Preconditions: x positive and normal (≥ 2^-126). log1p here is only for u ∈ [0, 1].
//
// log1p(u) = log(w) + (u − (w − 1)) / w with w = 1 + u rounded: the second term restores what the
// rounding of w dropped (for u < 2^-24, w = 1 and the result is u, as it should be).
//
// Constants live in a data segment and are loaded into locals before loops (docs/performance.md: V8 rebuilds v128 constants inside loops).

/** f32 constants, 16-byte aligned; index × 4 = byte offset. */
export const LOG_CONSTS: usize = memory.data<f32>([
  2.0,                 // 0
  1.0,                 // 1
  0.693359375,         // 2 ln2 high part
  -2.12194440e-4,      // 3 ln2 low part
  0.33333333333,       // 4 1/3
  0.2,                 // 5 1/5
  0.14285714286,       // 6 1/7
  0.11111111111,       // 7 1/9
], 16);

const SHIFT_BITS: i32 = 0x3F800000 - 0x3F3504F3; // bit distance between 1.0 and √½
const SQRTH_BITS: i32 = 0x3F3504F3;              // √½
const MANT_MASK: i32 = 0x007FFFFF;

/** i32 constants for the vector path: shift, √½ bits, mantissa mask, exponent bias. */
export const LOG_BITS: usize = memory.data<i32>([SHIFT_BITS, SQRTH_BITS, MANT_MASK, 127], 16);

// The tables' entries by name, for v128.load32_splat (as EXP_AT_* in exp.ts).
export const LOG_AT_TWO: usize = LOG_CONSTS;
export const LOG_AT_ONE: usize = LOG_CONSTS + 4;
export const LOG_AT_LN2_HI: usize = LOG_CONSTS + 8;
export const LOG_AT_LN2_LO: usize = LOG_CONSTS + 12;
export const LOG_AT_C3: usize = LOG_CONSTS + 16;
export const LOG_AT_C5: usize = LOG_CONSTS + 20;
export const LOG_AT_C7: usize = LOG_CONSTS + 24;
export const LOG_AT_C9: usize = LOG_CONSTS + 28;
export const LOG_AT_SHIFT: usize = LOG_BITS;
export const LOG_AT_SQRTH: usize = LOG_BITS + 4;
export const LOG_AT_MANT: usize = LOG_BITS + 8;
export const LOG_AT_BIAS: usize = LOG_BITS + 12;

// ---------------------------------------------------------------- scalar (both builds)

/** log(x) for positive normal f32 x. */
// @ts-ignore: decorator
@inline export function logPos(x: f32): f32 {
  const b = reinterpret<i32>(x) + SHIFT_BITS;
  const e = <f32>((b >> 23) - 127);
  const m = reinterpret<f32>((b & MANT_MASK) + SQRTH_BITS);
  const f = m - <f32>1.0;
  const s = f / (<f32>2.0 + f);
  const s2 = s * s;
  const p = (((<f32>0.11111111111 * s2 + <f32>0.14285714286) * s2 + <f32>0.2) * s2 + <f32>0.33333333333) * s2;
  // 2s·(1 + p) = f − f·s + 2s·p  (f − 2s = f·s exactly in real arithmetic) keeps the leading term exact.
  const lm = f - (f * s - (s + s) * p);
  return e * <f32>0.693359375 + (e * <f32>-2.12194440e-4 + lm);
}

/** log1p(u) for u ∈ [0, 1]. */
// @ts-ignore: decorator
@inline export function log1pUnit(u: f32): f32 {
  const w = <f32>1.0 + u;
  return logPos(w) + (u - (w - <f32>1.0)) / w;
}

// ---------------------------------------------------------------- vector (SIMD build only)

/** Four lanes of log(x), x positive normal. `two, one, ln2hi, ln2lo, c3…c9` from LOG_CONSTS in locals. */
// @ts-ignore: decorator
@inline export function vlogPos(
  x: v128, shift: v128, sqrth: v128, mant: v128, bias: v128,
  two: v128, one: v128, ln2hi: v128, ln2lo: v128, c3: v128, c5: v128, c7: v128, c9: v128,
): v128 {
  const b = i32x4.add(x, shift);
  const e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(b, 23), bias));
  const m = i32x4.add(v128.and(b, mant), sqrth);
  const f = f32x4.sub(m, one);
  const s = f32x4.div(f, f32x4.add(two, f));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.add(f32x4.mul(c9, s2), c7);
  p = f32x4.add(f32x4.mul(p, s2), c5);
  p = f32x4.add(f32x4.mul(p, s2), c3);
  p = f32x4.mul(p, s2);
  const lm = f32x4.sub(f, f32x4.sub(f32x4.mul(f, s), f32x4.mul(f32x4.add(s, s), p)));
  return f32x4.add(f32x4.mul(e, ln2hi), f32x4.add(f32x4.mul(e, ln2lo), lm));
}

// ---------------------------------------------------------------- f64x2 (SIMD builds; the small-K tile)

/**
 * Constants of vlogF64: i64 bit patterns, then f64 coefficients; 16-byte aligned, 8 bytes each.
 * The same reduction as logPos in f64: x = 2^e·m, m ∈ [√½, √2), s = f/(2 + f) with f = m − 1, and
 * log m = 2·atanh(s) through s^11: |s| ≤ 0.1716, so the first omitted term is below 2e-11 relative.
 */
export const LOG64_CONSTS: usize = memory.data<i64>([
  0x3FF0000000000000 - 0x3FE6A09E667F3BCD, // 0 bit distance between 1.0 and √½
  0x3FE6A09E667F3BCD,                      // 1 √½
  0x000FFFFFFFFFFFFF,                      // 2 mantissa mask
  0x4338000000000000 - 1023,               // 3 1.5·2^52 as f64 bits, minus the exponent bias
], 16);
export const LOG64_COEFS: usize = memory.data<f64>([
  2.0, 1.0, 0.6931471805599453, 6755399441055744.0, // 0 two, 1 one, 2 ln2, 3 1.5·2^52
  1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11,      // 4 … 8
], 16);

/** Two lanes of log(x), x positive and normal (f64). Constants are loaded per call. */
// @ts-ignore: decorator
@inline export function vlogF64(x: v128): v128 {
  const b = i64x2.add(x, v128.load64_splat(LOG64_CONSTS));
  // exponent: (b >> 52) − 1023 as f64, through the 1.5·2^52 trick (exact for |e| < 2^51)
  const ebits = i64x2.add(i64x2.shr_s(b, 52), v128.load64_splat(LOG64_CONSTS + 24));
  const e = f64x2.sub(ebits, v128.load64_splat(LOG64_COEFS + 24));
  const m = i64x2.add(v128.and(b, v128.load64_splat(LOG64_CONSTS + 16)), v128.load64_splat(LOG64_CONSTS + 8));
  const f = f64x2.sub(m, v128.load64_splat(LOG64_COEFS + 8));
  const s = f64x2.div(f, f64x2.add(v128.load64_splat(LOG64_COEFS), f));
  const s2 = f64x2.mul(s, s);
  let p = f64x2.add(f64x2.mul(v128.load64_splat(LOG64_COEFS + 64), s2), v128.load64_splat(LOG64_COEFS + 56));
  p = f64x2.add(f64x2.mul(p, s2), v128.load64_splat(LOG64_COEFS + 48));
  p = f64x2.add(f64x2.mul(p, s2), v128.load64_splat(LOG64_COEFS + 40));
  p = f64x2.add(f64x2.mul(p, s2), v128.load64_splat(LOG64_COEFS + 32));
  p = f64x2.mul(p, s2);
  // 2s·(1 + p) = f − (f·s − 2s·p), as logPos
  const lm = f64x2.sub(f, f64x2.sub(f64x2.mul(f, s), f64x2.mul(f64x2.add(s, s), p)));
  return f64x2.add(f64x2.mul(e, v128.load64_splat(LOG64_COEFS + 16)), lm);
}
