// Vector and scalar exp for the softmax kernels.
//
// exp(x) = 2^n · exp(r), x = n·ln2 + r, |r| ≤ ln2/2, with exp(r) ≈ 1 + r + r²·P(r), P of degree 4.
// The coefficients were fitted for minimal relative error over the reduced range (see
// scripts/fit-exp.py); in float32 arithmetic the scalar expNeg (two-step Cody–Waite reduction) has
// max relative error 1.2e-7 for x ∈ [-87.3, 88.3]. The vector exp reduces in one step (see vexpNeg):
// the same near the row max, up to 2^-24·|x| more far below it. A degree-3 P (2.1e-7) is ~4% faster but used 40% of docs/spec.md's gradient
// error budget on its own (gradient entries near 1 inherit exp's relative error).
//
// Why the constants live in a data segment: V8 rematerialises `v128.const` inside loops (three
// instructions per use, per iteration); a `v128.load32_splat` from linear memory into a local before
// the loop stays in a register. Callers therefore load an `ExpConsts` set once per row or per call.
//
// Rounding uses the magic-constant trick (add 1.5·2^23, subtract it again): the float's low mantissa
// bits then hold n, which is shifted into the exponent field. It is cheaper in V8 than
// `f32x4.nearest` + `i32x4.trunc_sat_f32x4_s`.

// ---------------------------------------------------------------- the one source of the coefficients
// expNeg, the table the vector exp loads from (EXP_CONSTS), and expRed (math/phi.ts) all use these.

/** Lower clamp: ln(FLT_MIN); below it the result is FLT_MIN (expNeg) or 0 (expAny). */
export const EXP_MIN_ARG: f32 = -87.33654;
/** Upper clamp: ln(FLT_MAX). */
export const EXP_MAX_ARG: f32 = 88.3762626647949;
export const EXP_LOG2E: f32 = 1.4426950408889634;
/** 1.5·2^23 (bits MAGIC_BITS): adding and subtracting it rounds to an integer held in the low bits. */
export const EXP_MAGIC: f32 = 12582912.0;
/** ln 2 split for the two-step (Cody–Waite) reduction: the high part is exact in few bits, so n·hi is exact. */
export const EXP_LN2_HI: f32 = 0.693359375;
export const EXP_LN2_LO: f32 = -2.12194440e-4;
/** ln 2 rounded to f32: the vector exp's one-step reduction. */
export const EXP_LN2: f32 = 0.6931471805599453;
/** P(r) = P0 + P1·r + P2·r² + P3·r³ + P4·r⁴, fitted by scripts/fit-exp.py. */
export const EXP_P0: f32 = 0.4999999403953552;
export const EXP_P1: f32 = 0.1666652113199234;
export const EXP_P2: f32 = 0.04166838899254799;
export const EXP_P3: f32 = 0.0083687175065279;
export const EXP_P4: f32 = 0.0013814592966809869;

export const MAGIC_BITS: i32 = 0x4B400000;

/** The reduction constants and clamps in f64, for expRed (math/phi.ts), which reduces in f64. */
export const EXP_LOG2E_F64: f64 = 1.4426950408889634;
export const EXP_LN2_F64: f64 = 0.6931471805599453;
export const EXP_MIN_ARG_F64: f64 = -87.33654;
export const EXP_MAX_ARG_F64: f64 = 88.3762626647949;

/** The same constants as f32 in a data segment (16-byte aligned) for v128.load32_splat, at the EXP_AT_* addresses. */
export const EXP_CONSTS: usize = memory.data<f32>([
  EXP_MIN_ARG, EXP_LOG2E, EXP_MAGIC, EXP_LN2_HI, EXP_LN2_LO,
  EXP_P0, EXP_P1, EXP_P2, EXP_P3, 1.0,
  EXP_MAX_ARG, 0.0, EXP_P4, EXP_LN2,
], 16);
export const EXP_AT_MIN: usize = EXP_CONSTS;
export const EXP_AT_LOG2E: usize = EXP_CONSTS + 4;
export const EXP_AT_MAGIC: usize = EXP_CONSTS + 8;
export const EXP_AT_LN2_HI: usize = EXP_CONSTS + 12;
export const EXP_AT_LN2_LO: usize = EXP_CONSTS + 16;
export const EXP_AT_P0: usize = EXP_CONSTS + 20;
export const EXP_AT_P1: usize = EXP_CONSTS + 24;
export const EXP_AT_P2: usize = EXP_CONSTS + 28;
export const EXP_AT_P3: usize = EXP_CONSTS + 32;
/** 1.0 */
export const EXP_AT_ONE: usize = EXP_CONSTS + 36;
export const EXP_AT_MAX: usize = EXP_CONSTS + 40;
/** 0.0 */
export const EXP_AT_ZERO: usize = EXP_CONSTS + 44;
export const EXP_AT_P4: usize = EXP_CONSTS + 48;
export const EXP_AT_LN2: usize = EXP_CONSTS + 52;

/** The polynomial part 1 + r + r²·P(r) of e^r, |r| ≤ ln2/2, in f32 (expNeg and expRed). */
// @ts-ignore: decorator
@inline export function expPoly(r: f32): f32 {
  const p: f32 = (((EXP_P4 * r + EXP_P3) * r + EXP_P2) * r + EXP_P1) * r + EXP_P0;
  return (<f32>1.0 + r) + (r * r) * p;
}

// ---------------------------------------------------------------- scalar (used by both builds)

/** exp(x) for x ≤ 0 (softmax arguments `z − max`). NaN in, NaN out. Below −87.34 returns ~1.2e-38. */
// @ts-ignore: decorator
@inline export function expNeg(x: f32): f32 {
  x = max<f32>(x, EXP_MIN_ARG);
  const t: f32 = x * EXP_LOG2E + EXP_MAGIC;
  const n: f32 = t - EXP_MAGIC;
  let r: f32 = x - n * EXP_LN2_HI;
  r = r - n * EXP_LN2_LO;
  const y: f32 = expPoly(r);
  return reinterpret<f32>(reinterpret<i32>(y) + ((reinterpret<i32>(t) - MAGIC_BITS) << 23));
}

/** exp(x) for any x: clamps above at ln(FLT_MAX) too, and returns exactly 0 below the lower clamp. */
// @ts-ignore: decorator
@inline export function expAny(x: f32): f32 {
  if (x < EXP_MIN_ARG) return 0;
  return expNeg(min<f32>(x, EXP_MAX_ARG));
}

// ---------------------------------------------------------------- vector (SIMD builds only)

/**
 * a·b + c. In the relaxed-SIMD build a fused multiply-add where the engine has one (one rounding
 * instead of two, and 1.7× faster exp on x86 with FMA); elsewhere a multiply and an add.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b, fused in the relaxed-SIMD build (see madd). */
// @ts-ignore: decorator
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/**
 * exp of four lanes, x ≤ 0 expected (no upper clamp). NaN propagates (pmax keeps the
 * first operand when the comparison is false). `lo … p4` are the EXP_CONSTS splats (EXP_AT_*), held in
 * locals by the caller.
 *
 * The reduction takes one step, r = x − n·ln2 with ln2 rounded to f32, where the scalar expNeg takes
 * two (Cody–Waite). With fused multiply-add (relaxed build) n·ln2 is exact inside the FMA and r is off
 * by |n|·1.9e-9 only. Unfused (SIMD build), n·ln2 rounds to half an ulp of itself, which adds up to
 * 2^-24·|x| relative error to e^x: nothing near the row max (1e-8 at x = −0.3, 6e-8 at x = −1), 3.8e-6
 * relative at x = −87 where e^x is 1e-38. Every bound the kernels are held to is absolute in the
 * gradient and relative to the whole sum in the loss, where that error weighs e^x·|x|·6e-8 ≤ 2.2e-8.
 * It saves two operations of ~23 and a register: 3–5% on every softmax-family kernel.
 */
// @ts-ignore: decorator
@inline export function vexpNeg(
  x: v128, lo: v128, log2e: v128, magic: v128, ln2: v128,
  p0: v128, p1: v128, p2: v128, p3: v128, one: v128, p4: v128,
): v128 {
  x = f32x4.pmax(x, lo);
  const t = madd(x, log2e, magic);
  const n = f32x4.sub(t, magic);
  const r = nmadd(n, ln2, x);
  let p = madd(p4, r, p3);
  p = madd(p, r, p2);
  p = madd(p, r, p1);
  p = madd(p, r, p0);
  const y = madd(f32x4.mul(r, r), p, f32x4.add(one, r));
  return i32x4.add(y, i32x4.shl(i32x4.sub(t, magic), 23));
}
