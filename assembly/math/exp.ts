// Vector and scalar exp for the softmax kernels.
//
// exp(x) = 2^n · exp(r), x = n·ln2 + r, |r| ≤ ln2/2, with exp(r) ≈ 1 + r + r²·P(r), P of degree 4.
// The coefficients were fitted for minimal relative error over the reduced range (see
// scripts/fit-exp.py); in float32 arithmetic the scalar expNeg (two-step Cody–Waite reduction) has
// max relative error 1.2e-7 for x ∈ [-87.3, 88.3]. The vector exp reduces in one step (see vexpNeg):
// the same near the row max, up to 2^-24·|x| more far below it. A degree-3 P (2.1e-7) is ~4% faster but used 40% of SPEC.md's gradient
// error budget on its own (gradient entries near 1 inherit exp's relative error).
//
// Why the constants live in a data segment: V8 rematerialises `v128.const` inside loops (three
// instructions per use, per iteration); a `v128.load32_splat` from linear memory into a local before
// the loop stays in a register. Callers therefore load an `ExpConsts` set once per row or per call.
//
// Rounding uses the magic-constant trick (add 1.5·2^23, subtract it again): the float's low mantissa
// bits then hold n, which is shifted into the exponent field. It is cheaper in V8 than
// `f32x4.nearest` + `i32x4.trunc_sat_f32x4_s`.

/** f32 constants, 16-byte aligned. Index × 4 = byte offset. */
export const EXP_CONSTS: usize = memory.data<f32>([
  -87.33654,          // 0 lower clamp: ln(FLT_MIN); below it the result is FLT_MIN, or 0 with the flush variant
  1.4426950408889634, // 1 log2(e)
  12582912.0,         // 2 magic 1.5·2^23 (bits 0x4B400000)
  0.693359375,        // 3 ln2 high part (exact in few bits, so n·hi is exact)
  -2.12194440e-4,     // 4 ln2 low part
  0.4999999403953552, // 5 P coefficient of r^0
  0.1666652113199234, // 6 r^1
  0.04166838899254799,// 7 r^2
  0.0083687175065279, // 8 r^3
  1.0,                // 9
  88.3762626647949,   // 10 upper clamp: ln(FLT_MAX)
  0.0,                // 11
  0.0013814592966809869, // 12 r^4
  0.6931471805599453, // 13 ln2 rounded to f32 (the vector exp's one-step reduction)
], 16);

export const MAGIC_BITS: i32 = 0x4B400000;

// ---------------------------------------------------------------- scalar (used by both builds)

/** exp(x) for x ≤ 0 (softmax arguments `z − max`). NaN in, NaN out. Below −87.34 returns ~1.2e-38. */
// @ts-ignore: decorator
@inline export function expNeg(x: f32): f32 {
  x = max<f32>(x, <f32>-87.33654);
  const t: f32 = x * <f32>1.4426950408889634 + <f32>12582912.0;
  const n: f32 = t - <f32>12582912.0;
  let r: f32 = x - n * <f32>0.693359375;
  r = r - n * <f32>-2.12194440e-4;
  const p: f32 = (((<f32>0.0013814592966809869 * r + <f32>0.0083687175065279) * r + <f32>0.04166838899254799) * r
    + <f32>0.1666652113199234) * r + <f32>0.4999999403953552;
  const y: f32 = (<f32>1.0 + r) + (r * r) * p;
  return reinterpret<f32>(reinterpret<i32>(y) + ((reinterpret<i32>(t) - MAGIC_BITS) << 23));
}

/** exp(x) for any x: clamps above at ln(FLT_MAX) too, and returns exactly 0 below the lower clamp. */
// @ts-ignore: decorator
@inline export function expAny(x: f32): f32 {
  if (x < <f32>-87.33654) return 0;
  return expNeg(min<f32>(x, <f32>88.3762626647949));
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
 * first operand when the comparison is false). `lo … p4` are the EXP_CONSTS splats, held in locals by
 * the caller (`ln2` is entry 13).
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
