// Row passes of distillation (distillation.ts; docs/spec.md "distillation"), in the style of rows.ts:
// one row of `k` contiguous f32, one exp per element, every vector's sum added into f64 (accF64: a long
// f32 lane sum that holds a dominant e rounds each small addend the same way, which put distillation's
// gradient 8× over the bound of docs/spec.md "Accuracy" on one confident class among near-zero logits).
// Preconditions for all: the rows are finite and ms / mt are their maxima, so every exponent is ≤ 0.
//
// Second and third results go to extraB / extraC, read right after the call; each pass's doc says what
// they hold. (They are not shared with calibration_rows.ts.)

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4, EXP_AT_ZERO,
  expNeg, vexpNeg,
} from "./math/exp";
import {
  PHI_AT_H, PHI_AT_HI, PHI_AT_LN2, PHI_AT_LO, PHI_AT_LOG2E, PHI_AT_XHI, PHI_AT_XLO, PHI_LO, PHI_HI, phiH, expRed,
} from "./math/phi";
import { at, accF64, hsum2 } from "./math/vec";

/** Second and third results of the last pass of this file (see each pass). */
export let extraB: f64 = 0;
export let extraC: f64 = 0;

/**
 * The student pass of distillation. a_j = (s_j − ms)·c, b_j = (t_j − mt)·c; es_j = exp(a_j) into
 * `es` (may equal s; never t or et). Returns Σ es_j; extraB = Σ et_j·(b_j − a_j) (et = the teacher's
 * stored exp(b_j)), extraC = Σ a_j.
 */
export function rowKlStudent(s: usize, t: usize, et: usize, es: usize, k: i32, ms: f32, mt: f32, c: f32): f64 {
  let S: f64 = 0, D: f64 = 0, A: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const msv = f32x4.splat(ms), mtv = f32x4.splat(mt), cv = f32x4.splat(c);
    const k4 = k & ~3;
    let sa = f64x2.splat(0), da = sa, aa = sa;
    // Four vectors a step, S summed exactly as expStoreSumScaled sums the teacher at T ≤ 1 (pairwise in
    // f32, then into f64): identical distributions then give identical sums and a KL of exactly 0.
    for (; j + 16 <= k4; j += 16) {
      const ds0 = f32x4.sub(v128.load(at(s, j)), msv), ds1 = f32x4.sub(v128.load(at(s, j + 4)), msv);
      const ds2 = f32x4.sub(v128.load(at(s, j + 8)), msv), ds3 = f32x4.sub(v128.load(at(s, j + 12)), msv);
      const a0 = f32x4.mul(ds0, cv), a1 = f32x4.mul(ds1, cv), a2 = f32x4.mul(ds2, cv), a3 = f32x4.mul(ds3, cv);
      const u0 = f32x4.mul(v128.load(at(et, j)), f32x4.mul(f32x4.sub(f32x4.sub(v128.load(at(t, j)), mtv), ds0), cv));
      const u1 = f32x4.mul(v128.load(at(et, j + 4)), f32x4.mul(f32x4.sub(f32x4.sub(v128.load(at(t, j + 4)), mtv), ds1), cv));
      const u2 = f32x4.mul(v128.load(at(et, j + 8)), f32x4.mul(f32x4.sub(f32x4.sub(v128.load(at(t, j + 8)), mtv), ds2), cv));
      const u3 = f32x4.mul(v128.load(at(et, j + 12)), f32x4.mul(f32x4.sub(f32x4.sub(v128.load(at(t, j + 12)), mtv), ds3), cv));
      const e0 = vexpNeg(a0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e1 = vexpNeg(a1, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e2 = vexpNeg(a2, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e3 = vexpNeg(a3, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(es, j), e0); v128.store(at(es, j + 4), e1);
      v128.store(at(es, j + 8), e2); v128.store(at(es, j + 12), e3);
      sa = accF64(sa, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
      da = accF64(da, f32x4.add(f32x4.add(u0, u1), f32x4.add(u2, u3)));
      aa = accF64(aa, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
    }
    for (; j < k4; j += 4) {
      const ds = f32x4.sub(v128.load(at(s, j)), msv);
      const dt = f32x4.sub(v128.load(at(t, j)), mtv);
      const a = f32x4.mul(ds, cv);
      const e0 = vexpNeg(a, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      da = accF64(da, f32x4.mul(v128.load(at(et, j)), f32x4.mul(f32x4.sub(dt, ds), cv)));
      v128.store(at(es, j), e0);
      sa = accF64(sa, e0);
      aa = accF64(aa, a);
    }
    S += hsum2(sa); D += hsum2(da); A += hsum2(aa);
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

/**
 * The teacher pass of distillation for T > 1: et_j = exp(b_j) into et, b_j = (t_j − mt)·c; returns
 * Σ et_j; extraB = Σ et_j·(b_j − a_j) (a_j = (s_j − ms)·c), an f32-accurate Σ pt_j·u_j used only as the
 * shift of rowKlPhi (whose result does not depend on the shift's exact value); extraC = min_j b_j
 * (below −87.3 exp clamps: et_j is then not e^{b_j}, which rowKlPhi needs).
 */
export function rowTeacherKl(t: usize, s: usize, et: usize, k: i32, mt: f32, ms: f32, c: f32): f64 {
  let S: f64 = 0, D: f64 = 0, mb: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const msv = f32x4.splat(ms), mtv = f32x4.splat(mt), cv = f32x4.splat(c);
    let mbv = zero;
    const k4 = k & ~3;
    let sa = f64x2.splat(0), da = sa;
    for (; j < k4; j += 4) {
      const dt = f32x4.sub(v128.load(at(t, j)), mtv);
      const ds = f32x4.sub(v128.load(at(s, j)), msv);
      const b = f32x4.mul(dt, cv);
      mbv = f32x4.pmin(mbv, b);
      const e0 = vexpNeg(b, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(et, j), e0);
      sa = accF64(sa, e0);
      da = accF64(da, f32x4.mul(e0, f32x4.mul(f32x4.sub(dt, ds), cv)));
    }
    S += hsum2(sa); D += hsum2(da);
    mb = min(min(f32x4.extract_lane(mbv, 0), f32x4.extract_lane(mbv, 1)), min(f32x4.extract_lane(mbv, 2), f32x4.extract_lane(mbv, 3)));
  }
  for (; j < k; j++) {
    const dt = load<f32>(at(t, j)) - mt;
    const ds = load<f32>(at(s, j)) - ms;
    const b = dt * c;
    if (b < mb) mb = b;
    const e0 = expNeg(b);
    store<f32>(at(et, j), e0);
    S += e0;
    D += <f64>(e0 * ((dt - ds) * c));
  }
  extraB = D;
  extraC = <f64>mb;
  return S;
}

/**
 * The accurate KL pass of distillation (T > 1). With v_j = (t_j − s_j)·ci − K0 formed in f64 from the
 * raw inputs (t_j − s_j is exact there; K0 = (mt − ms)·ci + shift), returns X = Σ et_j·φ(v_j)
 * (φ of math/phi.ts); extraB = Δ = Σ et_j·v_j; extraC = max_j (−v_j) (the caller checks the range).
 * When w ≠ 0 stores W_j = et_j·expm1(−v_j) there, for the gradient (ps_j − pt_j = (e^{−L}·W_j +
 * expm1(−L)·et_j)/St, L = log Σ pt_j e^{−v_j}).
 * Where e^{−v_j} is large the product et_j·e^{−v_j} is taken as one exp of its f64 exponent
 * b_j − v_j = (t_j − mt)·ci − v_j: et_j alone carries the f32 rounding of t_j − mt (relative error up
 * to |b_j|·1e-7), which the large factor would otherwise turn into a visible error (found by fuzzing).
 */
export function rowKlPhi(s: usize, t: usize, et: usize, w: usize, k: i32, ci: f64, K0: f64, mt: f64): f64 {
  let X: f64 = 0, Dl: f64 = 0, mx: f64 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const h0 = v128.load32_splat(PHI_AT_H), h1 = v128.load32_splat(PHI_AT_H + 4);
    const h2 = v128.load32_splat(PHI_AT_H + 8), h3 = v128.load32_splat(PHI_AT_H + 12);
    const h4 = v128.load32_splat(PHI_AT_H + 16), h5 = v128.load32_splat(PHI_AT_H + 20);
    const h6 = v128.load32_splat(PHI_AT_H + 24), h7 = v128.load32_splat(PHI_AT_H + 28);
    const h8 = v128.load32_splat(PHI_AT_H + 32);
    const vlo = v128.load32_splat(PHI_AT_LO), vhi = v128.load32_splat(PHI_AT_HI);
    const log2e = v128.load64_splat(PHI_AT_LOG2E), ln2 = v128.load64_splat(PHI_AT_LN2);
    const xlo = v128.load64_splat(PHI_AT_XLO), xhi = v128.load64_splat(PHI_AT_XHI);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const civ = f64x2.splat(ci), k0v = f64x2.splat(K0), mtv = f64x2.splat(mt);
    let mxv = f64x2.splat(-Infinity);
    const k4 = k & ~3;
    let xa = f64x2.splat(0), da = xa;
    for (; j < k4; j += 4) {
      // x = −v in f64, two lanes at a time
      const sl = f64x2.promote_low_f32x4(v128.load64_zero(at(s, j)));
      const sh = f64x2.promote_low_f32x4(v128.load64_zero(at(s, j + 2)));
      const tl = f64x2.promote_low_f32x4(v128.load64_zero(at(t, j)));
      const th = f64x2.promote_low_f32x4(v128.load64_zero(at(t, j + 2)));
      const xl = f64x2.sub(k0v, f64x2.mul(f64x2.sub(tl, sl), civ));
      const xh = f64x2.sub(k0v, f64x2.mul(f64x2.sub(th, sh), civ));
      mxv = f64x2.pmax(mxv, f64x2.pmax(xl, xh));
      const v = f32x4.neg(v128.shuffle<f32>(f32x4.demote_f64x2_zero(xl), f32x4.demote_f64x2_zero(xh), 0, 1, 4, 5));
      const small = v128.and(f32x4.ge(v, vlo), f32x4.le(v, vhi));
      let phi: v128, wv: v128;
      let ps = zero, ws = zero;
      const anySmall = v128.any_true(small);
      if (anySmall) {
        let h = f32x4.add(f32x4.mul(h8, v), h7);
        h = f32x4.add(f32x4.mul(h, v), h6);
        h = f32x4.add(f32x4.mul(h, v), h5);
        h = f32x4.add(f32x4.mul(h, v), h4);
        h = f32x4.add(f32x4.mul(h, v), h3);
        h = f32x4.add(f32x4.mul(h, v), h2);
        h = f32x4.add(f32x4.mul(h, v), h1);
        h = f32x4.add(f32x4.mul(h, v), h0);
        ps = f32x4.mul(f32x4.mul(v, v), h);
        ws = f32x4.sub(ps, v);
      }
      if (anySmall && v128.all_true<i32>(small)) {
        phi = ps; wv = ws;
      } else {
        // et_j·e^{x_j} = e^{y_j}, y = b + x in f64: reduction in f64, polynomial in f32, scale by 2^n
        const yl = f64x2.add(xl, f64x2.mul(f64x2.sub(tl, mtv), civ));
        const yh = f64x2.add(xh, f64x2.mul(f64x2.sub(th, mtv), civ));
        const cl = f64x2.pmin(f64x2.pmax(yl, xlo), xhi);
        const ch = f64x2.pmin(f64x2.pmax(yh, xlo), xhi);
        const nl = f64x2.nearest(f64x2.mul(cl, log2e));
        const nh = f64x2.nearest(f64x2.mul(ch, log2e));
        const r = v128.shuffle<f32>(
          f32x4.demote_f64x2_zero(f64x2.sub(cl, f64x2.mul(nl, ln2))),
          f32x4.demote_f64x2_zero(f64x2.sub(ch, f64x2.mul(nh, ln2))), 0, 1, 4, 5);
        const n = v128.shuffle<i32>(i32x4.trunc_sat_f64x2_s_zero(nl), i32x4.trunc_sat_f64x2_s_zero(nh), 0, 1, 4, 5);
        let p = f32x4.add(f32x4.mul(p4, r), p3);
        p = f32x4.add(f32x4.mul(p, r), p2);
        p = f32x4.add(f32x4.mul(p, r), p1);
        p = f32x4.add(f32x4.mul(p, r), p0);
        const y = f32x4.add(f32x4.add(one, r), f32x4.mul(f32x4.mul(r, r), p));
        const e = i32x4.add(y, i32x4.shl(n, 23));
        const ev0 = v128.load(at(et, j));
        // et·expm1(−v) = e^{y} − et and et·φ(v) = that + et·v, against et·(series) where v is small
        const wd = f32x4.sub(e, ev0);
        const pd = f32x4.add(wd, f32x4.mul(ev0, v));
        phi = v128.bitselect(f32x4.mul(ev0, ps), pd, small);
        wv = v128.bitselect(f32x4.mul(ev0, ws), wd, small);
      }
      const ev = v128.load(at(et, j));
      if (anySmall && v128.all_true<i32>(small)) {
        phi = f32x4.mul(ev, phi);
        wv = f32x4.mul(ev, wv);
      }
      xa = accF64(xa, phi);
      da = accF64(da, f32x4.mul(ev, v));
      if (w) v128.store(at(w, j), wv);
    }
    X += hsum2(xa); Dl += hsum2(da);
    mx = max<f64>(f64x2.extract_lane(mxv, 0), f64x2.extract_lane(mxv, 1));
  }
  for (; j < k; j++) {
    const x = K0 - (<f64>load<f32>(at(t, j)) - <f64>load<f32>(at(s, j))) * ci;
    if (x > mx) mx = x;
    const v = -<f32>x;
    const ev = load<f32>(at(et, j));
    let phi: f32, wv: f32; // et·φ(v) and et·expm1(−v)
    if (v >= PHI_LO && v <= PHI_HI) {
      const ph = (v * v) * phiH(v);
      phi = ev * ph;
      wv = ev * (ph - v);
    } else {
      wv = expRed(x + (<f64>load<f32>(at(t, j)) - mt) * ci) - ev;
      phi = wv + ev * v;
    }
    X += <f64>phi;
    Dl += <f64>(ev * v);
    if (w) store<f32>(at(w, j), wv);
  }
  extraB = Dl;
  extraC = mx;
  return X;
}

/** Distillation's gradient for T > 1: g_j = cP·W_j + cQ·et_j + cC·ec_j − cD, W from rowKlPhi (ec = 0 leaves its term out). */
export function rowCombineKl(g: usize, et: usize, w: usize, ec: usize, k: i32, cP: f32, cQ: f32, cC: f32, cD: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const pv = f32x4.splat(cP), qv = f32x4.splat(cQ), cv = f32x4.splat(cC), dv = f32x4.splat(cD);
    const k4 = k & ~3;
    for (; j < k4; j += 4) {
      let v = f32x4.sub(f32x4.add(f32x4.mul(v128.load(at(w, j)), pv), f32x4.mul(v128.load(at(et, j)), qv)), dv);
      if (ec) v = f32x4.add(v, f32x4.mul(v128.load(at(ec, j)), cv));
      v128.store(at(g, j), v);
    }
  }
  for (; j < k; j++) {
    let v = (load<f32>(at(w, j)) * cP + load<f32>(at(et, j)) * cQ) - cD;
    if (ec) v += load<f32>(at(ec, j)) * cC;
    store<f32>(at(g, j), v);
  }
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
