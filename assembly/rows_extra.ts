// Row passes for the soft-target family (distillation, calibration, temperature fitting), in the
// style of rows.ts: one row of `k` contiguous f32, one exp per element, f32 lane sums flushed into
// f64 every FLUSH elements. Extra results are returned through module globals read right after
// the call. Preconditions for all: the row is finite and m is its max, so every exponent is ≤ 0.

import { EXP_CONSTS, expNeg, vexpNeg } from "./math/exp";
import { hsumF64, at } from "./math/vec";

const FLUSH: i32 = 256;

/** Second and third results of the last pass of this file. */
export let extraB: f64 = 0;
export let extraC: f64 = 0;

/** e_j = exp((z_j − m)·c) into e (may equal z); returns Σ e_j. */
export function rowExpScaled(z: usize, e: usize, k: i32, m: f32, c: f32): f64 {
  let S: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2hi = v128.load32_splat(EXP_CONSTS + 12);
    const ln2lo = v128.load32_splat(EXP_CONSTS + 16), p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    const zero = v128.load32_splat(EXP_CONSTS + 44);
    const mv = f32x4.splat(m), cv = f32x4.splat(c);
    const k4 = k & ~3;
    while (j < k4) {
      const end = min(j + FLUSH, k4);
      let sa = zero;
      for (; j < end; j += 4) {
        const e0 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j)), mv), cv), lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
        v128.store(at(e, j), e0);
        sa = f32x4.add(sa, e0);
      }
      S += hsumF64(sa);
    }
  }
  for (; j < k; j++) {
    const v = expNeg((load<f32>(at(z, j)) - m) * c);
    store<f32>(at(e, j), v);
    S += v;
  }
  return S;
}

/**
 * The student pass of distillation. a_j = (s_j − ms)·c, b_j = (t_j − mt)·c; es_j = exp(a_j) into
 * `es` (may equal s; never t or et). Returns Σ es_j; extraB = Σ et_j·(b_j − a_j) (et = the teacher's
 * stored exp(b_j)), extraC = Σ a_j.
 */
export function rowKlStudent(s: usize, t: usize, et: usize, es: usize, k: i32, ms: f32, mt: f32, c: f32): f64 {
  let S: f64 = 0, D: f64 = 0, A: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2hi = v128.load32_splat(EXP_CONSTS + 12);
    const ln2lo = v128.load32_splat(EXP_CONSTS + 16), p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    const zero = v128.load32_splat(EXP_CONSTS + 44);
    const msv = f32x4.splat(ms), mtv = f32x4.splat(mt), cv = f32x4.splat(c);
    const k4 = k & ~3;
    while (j < k4) {
      const end = min(j + FLUSH, k4);
      let sa = zero, da = zero, aa = zero;
      for (; j < end; j += 4) {
        const ds = f32x4.sub(v128.load(at(s, j)), msv);
        const dt = f32x4.sub(v128.load(at(t, j)), mtv);
        const a = f32x4.mul(ds, cv);
        const e0 = vexpNeg(a, lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
        da = f32x4.add(da, f32x4.mul(v128.load(at(et, j)), f32x4.mul(f32x4.sub(dt, ds), cv)));
        v128.store(at(es, j), e0);
        sa = f32x4.add(sa, e0);
        aa = f32x4.add(aa, a);
      }
      S += hsumF64(sa); D += hsumF64(da); A += hsumF64(aa);
    }
  }
  for (; j < k; j++) {
    const ds = load<f32>(at(s, j)) - ms;
    const dt = load<f32>(at(t, j)) - mt;
    const a = ds * c;
    const e0 = expNeg(a);
    D += <f64>(load<f32>(at(et, j)) * ((dt - ds) * c));
    store<f32>(at(es, j), e0);
    S += e0; A += a;
  }
  extraB = D;
  extraC = A;
  return S;
}

/** g_j = cA·es_j − cB·et_j + cC·ec_j − cD. g may equal es; et / ec = 0 leave their term out. */
export function rowCombine(g: usize, es: usize, et: usize, ec: usize, k: i32, cA: f32, cB: f32, cC: f32, cD: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(cA), bv = f32x4.splat(cB), cv = f32x4.splat(cC), dv = f32x4.splat(cD);
    const k4 = k & ~3;
    for (; j < k4; j += 4) {
      let v = f32x4.sub(f32x4.mul(v128.load(at(es, j)), av), dv);
      if (et) v = f32x4.sub(v, f32x4.mul(v128.load(at(et, j)), bv));
      if (ec) v = f32x4.add(v, f32x4.mul(v128.load(at(ec, j)), cv));
      v128.store(at(g, j), v);
    }
  }
  for (; j < k; j++) {
    let v = load<f32>(at(es, j)) * cA - cD;
    if (et) v -= load<f32>(at(et, j)) * cB;
    if (ec) v += load<f32>(at(ec, j)) * cC;
    store<f32>(at(g, j), v);
  }
}

/** Calibration: returns S = Σ e_j with e_j = exp((z_j − m)·c) (nothing stored); extraB = Σ e_j². */
export function rowExpSumSq(z: usize, k: i32, m: f32, c: f32): f64 {
  let S: f64 = 0, Q: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2hi = v128.load32_splat(EXP_CONSTS + 12);
    const ln2lo = v128.load32_splat(EXP_CONSTS + 16), p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    const zero = v128.load32_splat(EXP_CONSTS + 44);
    const mv = f32x4.splat(m), cv = f32x4.splat(c);
    const k4 = k & ~3;
    while (j < k4) {
      const end = min(j + FLUSH, k4);
      let sa = zero, qa = zero;
      for (; j < end; j += 4) {
        const e0 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j)), mv), cv), lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
        sa = f32x4.add(sa, e0);
        qa = f32x4.add(qa, f32x4.mul(e0, e0));
      }
      S += hsumF64(sa); Q += hsumF64(qa);
    }
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
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2hi = v128.load32_splat(EXP_CONSTS + 12);
    const ln2lo = v128.load32_splat(EXP_CONSTS + 16), p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    const zero = v128.load32_splat(EXP_CONSTS + 44);
    const mv = f32x4.splat(m), bv = f32x4.splat(beta);
    const k4 = k & ~3;
    while (j < k4) {
      const end = min(j + FLUSH, k4);
      let sa = zero, a1 = zero, a2 = zero;
      for (; j < end; j += 4) {
        const d = f32x4.sub(v128.load(at(z, j)), mv);
        const e0 = vexpNeg(f32x4.mul(d, bv), lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
        const ed = f32x4.mul(e0, d);
        sa = f32x4.add(sa, e0);
        a1 = f32x4.add(a1, ed);
        a2 = f32x4.add(a2, f32x4.mul(ed, d));
      }
      S += hsumF64(sa); M1 += hsumF64(a1); M2 += hsumF64(a2);
    }
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
 * Scalar f64 softmax of z/T over the unmasked (≠ −Infinity) classes, for the rare rows the fast passes
 * do not take: p (K f64) and log p (K f64; −Infinity / 0 on masked classes). Returns K' (0: nothing
 * written). Precondition: no NaN or +Infinity in the row.
 */
export function softmax64(z: usize, k: i32, T: f64, p: usize, lp: usize): i32 {
  let m: f64 = -Infinity;
  let kv = 0;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    if (v != -Infinity) { kv++; if (v > m) m = v; }
  }
  if (kv == 0) return 0;
  let S: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    if (v != -Infinity) S += Math.exp(v - m);
  }
  const logS = Math.log(S);
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    const l = v == -Infinity ? -Infinity : (v - m) - logS;
    store<f64>(lp + (<usize>j << 3), l);
    store<f64>(p + (<usize>j << 3), v == -Infinity ? 0 : Math.exp(l));
  }
  return kv;
}

/** Whether the row holds a NaN or +Infinity. */
export function hasNaNOrInf(z: usize, k: i32): bool {
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != v || v == Infinity) return true;
  }
  return false;
}

