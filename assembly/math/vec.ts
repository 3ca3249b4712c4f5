// Small shared vector idioms.

/** Sum of the four f32 lanes, in f64 (used when flushing partial sums). */
// @ts-ignore: decorator
@inline export function hsumF64(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1))
       + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

/** Max of the four f32 lanes (NaN lanes are ignored, as by pmax). */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const t = f32x4.pmax(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
  return f32x4.extract_lane(t, 0);
}

/** Byte offset of element i of an f32/i32 array. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/**
 * acc (f64x2) += the four f32 lanes of v, pairwise. Pass-2 sums flush each group of four vectors here:
 * an f32 lane that holds a dominant e = 1 and takes many tiny addends would round each of them the same
 * way (one confident class among many near-zero logits put S 1e-6 off, 3× the gradient bound of docs/spec.md "Accuracy").
 */
// @ts-ignore: decorator
@inline export function accF64(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))));
}

/** The two f64 lanes of an accF64 accumulator, summed. */
// @ts-ignore: decorator
@inline export function hsum2(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}
