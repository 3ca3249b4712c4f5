// Row passes of calibration and temperature fitting (calibration.ts; docs/spec.md "calibration",
// "fitTemperature"), in the style of rows.ts: one row of `k` contiguous f32, nothing stored, every
// vector's sum added into f64 (accF64). Preconditions: the row is finite and m is its max (except
// maxAbsFinite, a plain scan).
//
// Second and third results go to extraB / extraC, read right after the call; each pass's doc says what
// they hold. (They are not shared with distillation_rows.ts.)

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4, EXP_AT_ZERO,
  expNeg, vexpNeg,
} from "./math/exp";
import { at, accF64, hsum2 } from "./math/vec";

/** Second and third results of the last pass of this file (see each pass). */
export let extraB: f64 = 0;
export let extraC: f64 = 0;

/** Calibration: returns S = Σ e_j with e_j = exp((z_j − m)·c) (nothing stored); extraB = Σ e_j². */
export function rowExpSumSq(z: usize, k: i32, m: f32, c: f32): f64 {
  let S: f64 = 0, Q: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const mv = f32x4.splat(m), cv = f32x4.splat(c);
    const k4 = k & ~3;
    let sa = f64x2.splat(0), qa = sa;
    for (; j < k4; j += 4) {
      const e0 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j)), mv), cv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      sa = accF64(sa, e0);
      qa = accF64(qa, f32x4.mul(e0, e0));
    }
    S += hsum2(sa); Q += hsum2(qa);
  }
  for (; j < k; j++) {
    const v = expNeg((load<f32>(at(z, j)) - m) * c);
    S += v; Q += <f64>(v * v);
  }
  extraB = Q;
  return S;
}

/**
 * Temperature fitting: with d_j = z_j − m and e_j = exp(β·d_j), returns Σ e_j;
 * extraB = Σ e_j·d_j, extraC = Σ e_j·d_j² (nothing stored).
 */
export function rowMoments(z: usize, k: i32, m: f32, beta: f32): f64 {
  let S: f64 = 0, M1: f64 = 0, M2: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const mv = f32x4.splat(m), bv = f32x4.splat(beta);
    const k4 = k & ~3;
    let sa = f64x2.splat(0), a1 = sa, a2 = sa;
    for (; j < k4; j += 4) {
      const d = f32x4.sub(v128.load(at(z, j)), mv);
      const e0 = vexpNeg(f32x4.mul(d, bv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const ed = f32x4.mul(e0, d);
      sa = accF64(sa, e0);
      a1 = accF64(a1, ed);
      a2 = accF64(a2, f32x4.mul(ed, d));
    }
    S += hsum2(sa); M1 += hsum2(a1); M2 += hsum2(a2);
  }
  for (; j < k; j++) {
    const d = load<f32>(at(z, j)) - m;
    const e0 = expNeg(d * beta);
    const ed = e0 * d;
    S += e0; M1 += ed; M2 += <f64>(ed * d);
  }
  extraB = M1;
  extraC = M2;
  return S;
}

/**
 * Temperature fitting's scan: the largest |x_e| over `len` contiguous f32, NaN and ±Infinity skipped
 * (0 when there is none). Reads only.
 */
export function maxAbsFinite(x: usize, len: usize): f32 {
  let m: f32 = 0;
  let e: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const inf = f32x4.splat(Infinity);
    let m0 = f32x4.splat(0), m1 = m0;
    const len8 = len & ~(<usize>7), len4 = len & ~(<usize>3);
    // |x| < Infinity is false for NaN and ±Infinity: those lanes become +0
    for (; e < len8; e += 8) {
      const a0 = f32x4.abs(v128.load(x + (e << 2))), a1 = f32x4.abs(v128.load(x + (e << 2) + 16));
      m0 = f32x4.pmax(m0, v128.and(a0, f32x4.lt(a0, inf)));
      m1 = f32x4.pmax(m1, v128.and(a1, f32x4.lt(a1, inf)));
    }
    for (; e < len4; e += 4) {
      const a0 = f32x4.abs(v128.load(x + (e << 2)));
      m0 = f32x4.pmax(m0, v128.and(a0, f32x4.lt(a0, inf)));
    }
    m0 = f32x4.pmax(m0, m1);
    m = max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  }
  for (; e < len; e++) {
    const a = abs<f32>(load<f32>(x + (e << 2)));
    if (a < Infinity && a > m) m = a;
  }
  return m;
}
