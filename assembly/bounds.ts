// Bench-only kernels that measure the limits the real kernels are held to (bench/; docs/performance.md).
// expPass: out = exp(x) with the same vector exp as the softmax kernels — the compute bound.
// scalePass: out = c·x — the memory bound.

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4,
  expNeg, vexpNeg,
} from "./math/exp";
import { at } from "./math/vec";

/** out_j = exp(x_j) for x_j ≤ 0 (the softmax domain). */
export function expPass(x: usize, out: usize, len: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    // four vectors a step, as the kernels' pass 2: the fastest exp pass we found (1.18× two vectors a
    // step in the SIMD build, the same in the relaxed one; eight spill registers and lose)
    for (; j + 16 <= len; j += 16) {
      const a = vexpNeg(v128.load(at(x, j)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const b = vexpNeg(v128.load(at(x, j + 4)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const c = vexpNeg(v128.load(at(x, j + 8)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const d = vexpNeg(v128.load(at(x, j + 12)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(out, j), a); v128.store(at(out, j + 4), b);
      v128.store(at(out, j + 8), c); v128.store(at(out, j + 12), d);
    }
    for (; j + 4 <= len; j += 4) {
      v128.store(at(out, j), vexpNeg(v128.load(at(x, j)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4));
    }
  }
  for (; j < len; j++) store<f32>(at(out, j), expNeg(load<f32>(at(x, j))));
}

/** out_j = c·x_j. */
export function scalePass(x: usize, out: usize, len: i32, c: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; j + 8 <= len; j += 8) {
      v128.store(at(out, j), f32x4.mul(v128.load(at(x, j)), cv));
      v128.store(at(out, j + 4), f32x4.mul(v128.load(at(x, j + 4)), cv));
    }
  }
  for (; j < len; j++) store<f32>(at(out, j), load<f32>(at(x, j)) * c);
}
