// Row passes shared by the softmax-family kernels. Each works on one row of `k` contiguous f32.
// The structure that keeps these kernels near the exp bound (docs/performance.md):
//   pass 1: max (and a finiteness probe),
//   pass 2: e_j = exp(z_j − m), stored, summed — exactly one exp per element,
//   pass 3: scale / subtract the target, over the stored e.
// Every pass-2 sum goes into f64 one group of vectors at a time (accF64): an f32 lane accumulator that
// holds a dominant term rounds each small addend the same way, and K = 131072 must keep ~1e-7 relative
// accuracy in S, which every gradient entry divides by.
// Multiple results are returned through module globals (read right after the call).

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4,
  expNeg, vexpNeg,
} from "./math/exp";
import { hmax, at, accF64, hsum2 } from "./math/vec";


// Second results of the pass-2 variants, one global per meaning (read right after the call):
/** Σ (z_j − m), set by expStoreSum. */
export let shiftSum: f64 = 0;
/** Σ w_j (z_j − m), set by expStoreSumWeighted. */
export let weightedShiftSum: f64 = 0;
/** Σ t_j w_j (z_j − m), Σ t_j w_j and Σ w_j (z_j − m), set by expStoreSumTargets (w_j = 1 unweighted). */
export let targetShiftSum: f64 = 0;
export let targetSum: f64 = 0;
export let weightShiftSum: f64 = 0;
/** Set by rowMax: false when the row holds NaN, ±Infinity (masked classes) or overflows f32 when summed. */
export let rowFinite: bool = true;

/** Pass 1: maximum of the row (NaN is skipped) and, in `rowFinite`, whether Σ z_j is finite. */
export function rowMax(z: usize, k: i32): f32 {
  let m: f32 = -Infinity;
  let sum: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const k8 = k & ~7;
    if (k8 > 0) {
      let m0 = f32x4.splat(-Infinity), m1 = m0;
      let s0 = f32x4.splat(0), s1 = s0;
      for (; j < k8; j += 8) {
        const a = v128.load(at(z, j)), b = v128.load(at(z, j + 4));
        m0 = f32x4.pmax(m0, a); m1 = f32x4.pmax(m1, b);
        s0 = f32x4.add(s0, a); s1 = f32x4.add(s1, b);
      }
      m = hmax(f32x4.pmax(m0, m1));
      s0 = f32x4.add(s0, s1);
      sum = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
    }
  }
  for (; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v > m) m = v;
    sum += v;
  }
  // sum − sum is 0 for finite sums, NaN for ±Infinity and NaN.
  rowFinite = sum - sum == 0;
  return m;
}

/**
 * Pass 1 without the finiteness probe: the maximum only (NaN skipped). For callers that detect
 * non-finite rows from pass 2's sums instead (possible when pass 2 does not overwrite z).
 */
export function rowMaxFast(z: usize, k: i32): f32 {
  let m: f32 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const k16 = k & ~15;
    if (k >= 8) {
      let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
      for (; j < k16; j += 16) {
        m0 = f32x4.pmax(m0, v128.load(at(z, j)));
        m1 = f32x4.pmax(m1, v128.load(at(z, j + 4)));
        m2 = f32x4.pmax(m2, v128.load(at(z, j + 8)));
        m3 = f32x4.pmax(m3, v128.load(at(z, j + 12)));
      }
      for (; j + 4 <= k; j += 4) m0 = f32x4.pmax(m0, v128.load(at(z, j)));
      m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
    }
  }
  for (; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v > m) m = v;
  }
  return m;
}

/**
 * The f64 correction that re-sums, term by term, the f32 partial sum of pass 2 that held e_jx: pass 2
 * adds each lane of a group of `group` floats (16: four vectors, 8: two) in f32 before the group goes
 * into f64, and when e_jx = 1 dominates a row whose other terms are tiny (a confident row: label the
 * clear argmax, loss = log S → 0) that f32 sum drops most of the tiny part of S = 1 + tiny, up to 20%
 * of a per-row loss at K = 3 (docs/spec.md "Accuracy": 1e-5 relative on such rows). Re-adding that one
 * lane's terms in f64 makes S exact to f64 rounding, for one row read of `group / 4` floats.
 * Preconditions: the pass stored e (reads e_j back), groups start at 0 and end at `end` (a multiple of
 * `group`); jx < 0 or jx ≥ end: nothing to repair (later terms went into f64 one vector at a time).
 */
// @ts-ignore: decorator
@inline function dominantRepair(e: usize, jx: i32, end: i32, group: i32): f64 {
  if (<u32>jx >= <u32>end) return 0;
  const b = (jx & ~(group - 1)) + (jx & 3);
  const a0 = load<f32>(at(e, b)), a1 = load<f32>(at(e, b + 4));
  if (group == 8) return (<f64>a0 + <f64>a1) - <f64>(a0 + a1);
  const a2 = load<f32>(at(e, b + 8)), a3 = load<f32>(at(e, b + 12));
  return ((<f64>a0 + <f64>a1) + (<f64>a2 + <f64>a3)) - <f64>((a0 + a1) + (a2 + a3));
}

/** The first j with z_j == m (m one of the row's values, such as its maximum), four lanes at a time; −1 if none. */
export function firstIndexOf(z: usize, k: i32, m: f32): i32 {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    for (; j + 4 <= k; j += 4) if (v128.any_true(f32x4.eq(v128.load(at(z, j)), mv))) break;
  }
  for (; j < k; j++) if (load<f32>(at(z, j)) == m) return j;
  return -1;
}

/**
 * Pass 2, plain: e_j = exp(z_j − m) into `e` (may equal `z`), returns Σ e_j; shiftSum = Σ (z_j − m).
 * jx ≥ 0: the index of the term that may dominate (the label), summed exactly (dominantRepair).
 * Preconditions: the row is finite (rowFinite), so every z_j − m ≤ 0.
 */
export function expStoreSum(z: usize, e: usize, k: i32, m: f32, jx: i32 = -1): f64 {
  return expSumBody(z, e, k, m, true, true, jx, false, 0);
}

/**
 * Pass 2 without Σ (z − m) (shiftSum is left alone): for callers that do not need it — cross-entropy
 * without smoothing mass, whose pass 1 then is the probe. That sum costs about a seventh of the pass.
 */
export function expStoreSumOnly(z: usize, e: usize, k: i32, m: f32, jx: i32 = -1): f64 {
  return expSumBody(z, e, k, m, true, false, jx, false, 0);
}

/**
 * expStoreSumOnly with a higher floor: every stored e_j is at least exp(lo) (lo ≥ ln FLT_MIN), e_j =
 * exp(max(z_j − m, lo)). The focal pass (focal.ts) uses it to keep e·(1/S) out of the subnormals.
 */
export function expStoreSumFloor(z: usize, e: usize, k: i32, m: f32, jx: i32, lo: f32): f64 {
  return expSumBody(z, e, k, m, true, false, jx, true, lo);
}

/** Σ exp(z_j − m) only, storing nothing (logSoftmax). */
export function expSumNoStore(z: usize, k: i32, m: f32): f64 {
  return expSumBody(z, 0, k, m, false, false, -1, false, 0);
}

/**
 * The body of the four above; `store`, `withD` and `floored` are constants at every call, so each is
 * specialised. `floored`: the exponent's lower clamp is `loArg` instead of ln FLT_MIN.
 */
// @ts-ignore: decorator
@inline function expSumBody(
  z: usize, e: usize, k: i32, m: f32, keep: bool, withD: bool, jx: i32, floored: bool, loArg: f32,
): f64 {
  let S: f64 = 0, D: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = floored ? f32x4.splat(loArg) : v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const mv = f32x4.splat(m);
    const k4 = k & ~3;
    let sa = f64x2.splat(0), da = f64x2.splat(0);
    // four vectors a step (against two or one: fewer loop overheads, more independent exps in flight);
    // each group's pairwise f32 sum goes straight into f64 (accF64)
    for (; j + 16 <= k4; j += 16) {
      const d0 = f32x4.sub(v128.load(at(z, j)), mv);
      const d1 = f32x4.sub(v128.load(at(z, j + 4)), mv);
      const d2 = f32x4.sub(v128.load(at(z, j + 8)), mv);
      const d3 = f32x4.sub(v128.load(at(z, j + 12)), mv);
      const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e1 = vexpNeg(d1, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e2 = vexpNeg(d2, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e3 = vexpNeg(d3, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      if (keep) {
        v128.store(at(e, j), e0); v128.store(at(e, j + 4), e1);
        v128.store(at(e, j + 8), e2); v128.store(at(e, j + 12), e3);
      }
      sa = accF64(sa, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
      if (withD) da = accF64(da, f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)));
    }
    for (; j < k4; j += 4) {
      const d0 = f32x4.sub(v128.load(at(z, j)), mv);
      const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      if (keep) v128.store(at(e, j), e0);
      sa = accF64(sa, e0);
      if (withD) da = accF64(da, d0);
    }
    S = hsum2(sa); D = hsum2(da);
    if (keep) S += dominantRepair(e, jx, k & ~15, 16);
  }
  for (; j < k; j++) {
    const d = load<f32>(at(z, j)) - m;
    const v = expNeg(floored ? max<f32>(d, loArg) : d);
    if (keep) store<f32>(at(e, j), v);
    S += v; D += d;
  }
  if (withD) shiftSum = D;
  return S;
}

/**
 * e_j = exp((z_j − m)·invT) into e (may equal z), returns Σ e, each group of four vectors summed into
 * f64 (softmax with temperature, and distillation's teacher at T ≤ 1).
 */
export function expStoreSumScaled(z: usize, e: usize, k: i32, m: f32, invT: f32): f64 {
  let S: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const mv = f32x4.splat(m), tv = f32x4.splat(invT);
    const k4 = k & ~3;
    let sa = f64x2.splat(0);
    // four vectors a step, as expStoreSum; each group's sum straight into f64 (see accF64)
    for (; j + 16 <= k4; j += 16) {
      const e0 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j)), mv), tv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e1 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j + 4)), mv), tv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e2 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j + 8)), mv), tv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e3 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j + 12)), mv), tv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(e, j), e0); v128.store(at(e, j + 4), e1);
      v128.store(at(e, j + 8), e2); v128.store(at(e, j + 12), e3);
      sa = accF64(sa, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
    }
    for (; j < k4; j += 4) {
      const e0 = vexpNeg(f32x4.mul(f32x4.sub(v128.load(at(z, j)), mv), tv), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(e, j), e0);
      sa = accF64(sa, e0);
    }
    S = hsum2(sa);
  }
  for (; j < k; j++) {
    const v = expNeg((load<f32>(at(z, j)) - m) * invT);
    store<f32>(at(e, j), v);
    S += v;
  }
  return S;
}

/** Pass 2 with class weights: as expStoreSum, but weightedShiftSum = Σ w_j (z_j − m). */
export function expStoreSumWeighted(z: usize, e: usize, w: usize, k: i32, m: f32, jx: i32 = -1): f64 {
  let S: f64 = 0, D: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const mv = f32x4.splat(m);
    const k4 = k & ~3;
    let sa = f64x2.splat(0), da = f64x2.splat(0);
    for (; j + 8 <= k4; j += 8) {
      const d0 = f32x4.sub(v128.load(at(z, j)), mv);
      const d1 = f32x4.sub(v128.load(at(z, j + 4)), mv);
      const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const e1 = vexpNeg(d1, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(e, j), e0); v128.store(at(e, j + 4), e1);
      sa = accF64(sa, f32x4.add(e0, e1));
      da = accF64(da, f32x4.add(f32x4.mul(d0, v128.load(at(w, j))), f32x4.mul(d1, v128.load(at(w, j + 4)))));
    }
    for (; j < k4; j += 4) {
      const d0 = f32x4.sub(v128.load(at(z, j)), mv);
      const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(at(e, j), e0);
      sa = accF64(sa, e0);
      da = accF64(da, f32x4.mul(d0, v128.load(at(w, j))));
    }
    S = hsum2(sa); D = hsum2(da);
    S += dominantRepair(e, jx, k & ~7, 8);
  }
  for (; j < k; j++) {
    const d = load<f32>(at(z, j)) - m;
    const v = expNeg(d);
    store<f32>(at(e, j), v);
    S += v; D += d * load<f32>(at(w, j));
  }
  weightedShiftSum = D;
  return S;
}

/**
 * Pass 2 with probability targets, r_j = (a·t_j + b)·w_j (w = 0: no weights). Returns Σ e_j;
 * targetShiftSum = Σ t_j w_j (z_j − m), targetSum = Σ t_j w_j, weightShiftSum = Σ w_j (z_j − m). The caller
 * assembles Σ r (z − m) = a·targetShiftSum + b·weightShiftSum and Σ r = a·targetSum + b·Σ w: the uniform part b is never summed
 * lane by lane (K equal terms would pile up rounding in one direction). `e` may equal `z` but not `t`.
 */
export function expStoreSumTargets(z: usize, e: usize, t: usize, w: usize, k: i32, m: f32): f64 {
  let S: f64 = 0, TD: f64 = 0, T: f64 = 0, WD: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const mv = f32x4.splat(m);
    const k4 = k & ~3;
    // Every sum goes into f64 a group of four vectors at a time, each group summed pairwise in f32 (two
    // roundings): targets are often K equal values (uniform or smoothed), which a long f32 lane sum would
    // round the same way each time. Four vectors a step, and a loop each with and without weights, as
    // the index-target pass (1.4–1.6× faster than one vector a step with a flush per vector).
    // A confident row (targets on the clear argmax) needs S's dominant 1 summed exactly: the caller
    // then adds expSumRepairAtMax (here no label tells where the 1 is; one vector at a time into f64
    // instead cost 13% on every row).
    let sa = f64x2.splat(0), tda = sa, ta = sa, wda = sa;
    if (w) {
      for (; j + 16 <= k4; j += 16) {
        const d0 = f32x4.sub(v128.load(at(z, j)), mv), d1 = f32x4.sub(v128.load(at(z, j + 4)), mv);
        const d2 = f32x4.sub(v128.load(at(z, j + 8)), mv), d3 = f32x4.sub(v128.load(at(z, j + 12)), mv);
        const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e1 = vexpNeg(d1, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e2 = vexpNeg(d2, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e3 = vexpNeg(d3, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        v128.store(at(e, j), e0); v128.store(at(e, j + 4), e1);
        v128.store(at(e, j + 8), e2); v128.store(at(e, j + 12), e3);
        sa = accF64(sa, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
        const w0 = v128.load(at(w, j)), w1 = v128.load(at(w, j + 4));
        const w2 = v128.load(at(w, j + 8)), w3 = v128.load(at(w, j + 12));
        const t0 = f32x4.mul(v128.load(at(t, j)), w0), t1 = f32x4.mul(v128.load(at(t, j + 4)), w1);
        const t2 = f32x4.mul(v128.load(at(t, j + 8)), w2), t3 = f32x4.mul(v128.load(at(t, j + 12)), w3);
        ta = accF64(ta, f32x4.add(f32x4.add(t0, t1), f32x4.add(t2, t3)));
        tda = accF64(tda, f32x4.add(f32x4.add(f32x4.mul(t0, d0), f32x4.mul(t1, d1)), f32x4.add(f32x4.mul(t2, d2), f32x4.mul(t3, d3))));
        wda = accF64(wda, f32x4.add(f32x4.add(f32x4.mul(w0, d0), f32x4.mul(w1, d1)), f32x4.add(f32x4.mul(w2, d2), f32x4.mul(w3, d3))));
      }
    } else {
      for (; j + 16 <= k4; j += 16) {
        const d0 = f32x4.sub(v128.load(at(z, j)), mv), d1 = f32x4.sub(v128.load(at(z, j + 4)), mv);
        const d2 = f32x4.sub(v128.load(at(z, j + 8)), mv), d3 = f32x4.sub(v128.load(at(z, j + 12)), mv);
        const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e1 = vexpNeg(d1, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e2 = vexpNeg(d2, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        const e3 = vexpNeg(d3, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
        v128.store(at(e, j), e0); v128.store(at(e, j + 4), e1);
        v128.store(at(e, j + 8), e2); v128.store(at(e, j + 12), e3);
        sa = accF64(sa, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
        const t0 = v128.load(at(t, j)), t1 = v128.load(at(t, j + 4));
        const t2 = v128.load(at(t, j + 8)), t3 = v128.load(at(t, j + 12));
        ta = accF64(ta, f32x4.add(f32x4.add(t0, t1), f32x4.add(t2, t3)));
        tda = accF64(tda, f32x4.add(f32x4.add(f32x4.mul(t0, d0), f32x4.mul(t1, d1)), f32x4.add(f32x4.mul(t2, d2), f32x4.mul(t3, d3))));
        wda = accF64(wda, f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)));
      }
    }
    for (; j < k4; j += 4) {
      const d0 = f32x4.sub(v128.load(at(z, j)), mv);
      let t0 = v128.load(at(t, j));
      let wd0 = d0;
      const e0 = vexpNeg(d0, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      if (w) {
        const w0 = v128.load(at(w, j));
        t0 = f32x4.mul(t0, w0);
        wd0 = f32x4.mul(d0, w0);
      }
      v128.store(at(e, j), e0);
      sa = accF64(sa, e0);
      tda = accF64(tda, f32x4.mul(t0, d0));
      ta = accF64(ta, t0);
      wda = accF64(wda, wd0);
    }
    S = hsum2(sa); TD = hsum2(tda); T = hsum2(ta); WD = hsum2(wda);
  }
  for (; j < k; j++) {
    const d = load<f32>(at(z, j)) - m;
    let tj = load<f32>(at(t, j));
    let wd = d;
    const v = expNeg(d);
    if (w) {
      const wj = load<f32>(at(w, j));
      tj *= wj;
      wd *= wj;
    }
    store<f32>(at(e, j), v);
    S += v; TD += <f64>tj * <f64>d; T += tj; WD += wd;
  }
  targetShiftSum = TD;
  targetSum = T;
  weightShiftSum = WD;
  return S;
}

/**
 * dominantRepair for the first term of a stored row e that is exactly 1 (e_j = exp(0): the row max),
 * for passes that sum groups of 16 (expStoreSum, expStoreSumTargets) and know no label. A scan of the stored
 * row up to the max's group: callers take it only for rows whose loss is small enough for the f32
 * rounding of S to matter (a confident row), and a row with two maxima has S ≥ 2 (nothing to repair).
 */
export function expSumRepairAtMax(e: usize, k: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    const end = k & ~15;
    const one = f32x4.splat(1);
    for (let j = 0; j < end; j += 16) {
      const hit = v128.or(
        v128.or(f32x4.eq(v128.load(at(e, j)), one), f32x4.eq(v128.load(at(e, j + 4)), one)),
        v128.or(f32x4.eq(v128.load(at(e, j + 8)), one), f32x4.eq(v128.load(at(e, j + 12)), one)));
      if (v128.any_true(hit)) return dominantRepair(e, j + ctz(i32x4.bitmask(hit)), end, 16);
    }
  }
  return 0;
}

/** Pass 3, plain: g_j = α·e_j − c (in place over e = g). */
export function scaleSubtract(g: usize, k: i32, alpha: f32, c: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(alpha), cv = f32x4.splat(c);
    const k16 = k & ~15;
    for (; j < k16; j += 16) {
      v128.store(at(g, j), f32x4.sub(f32x4.mul(v128.load(at(g, j)), av), cv));
      v128.store(at(g, j + 4), f32x4.sub(f32x4.mul(v128.load(at(g, j + 4)), av), cv));
      v128.store(at(g, j + 8), f32x4.sub(f32x4.mul(v128.load(at(g, j + 8)), av), cv));
      v128.store(at(g, j + 12), f32x4.sub(f32x4.mul(v128.load(at(g, j + 12)), av), cv));
    }
    for (; j + 4 <= k; j += 4) v128.store(at(g, j), f32x4.sub(f32x4.mul(v128.load(at(g, j)), av), cv));
  }
  for (; j < k; j++) store<f32>(at(g, j), load<f32>(at(g, j)) * alpha - c);
}

/** Pass 3 with weights: g_j = α·e_j − c·w_j. */
export function scaleSubtractWeighted(g: usize, w: usize, k: i32, alpha: f32, c: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(alpha), cv = f32x4.splat(c);
    const k4 = k & ~3;
    for (; j < k4; j += 4) {
      v128.store(at(g, j), f32x4.sub(f32x4.mul(v128.load(at(g, j)), av), f32x4.mul(cv, v128.load(at(w, j)))));
    }
  }
  for (; j < k; j++) store<f32>(at(g, j), load<f32>(at(g, j)) * alpha - c * load<f32>(at(w, j)));
}

/** Pass 3 with probability targets: g_j = α·e_j − s·(a·t_j + b)·w_j (w = 0: no weights). */
export function scaleSubtractTargets(g: usize, t: usize, w: usize, k: i32, alpha: f32, sa: f32, sb: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(alpha), sav = f32x4.splat(sa), sbv = f32x4.splat(sb);
    const k4 = k & ~3;
    if (!w) {
      // four vectors a step without weights (the common case)
      for (; j + 16 <= k4; j += 16) {
        v128.store(at(g, j), f32x4.sub(f32x4.mul(v128.load(at(g, j)), av), f32x4.add(f32x4.mul(sav, v128.load(at(t, j))), sbv)));
        v128.store(at(g, j + 4), f32x4.sub(f32x4.mul(v128.load(at(g, j + 4)), av), f32x4.add(f32x4.mul(sav, v128.load(at(t, j + 4))), sbv)));
        v128.store(at(g, j + 8), f32x4.sub(f32x4.mul(v128.load(at(g, j + 8)), av), f32x4.add(f32x4.mul(sav, v128.load(at(t, j + 8))), sbv)));
        v128.store(at(g, j + 12), f32x4.sub(f32x4.mul(v128.load(at(g, j + 12)), av), f32x4.add(f32x4.mul(sav, v128.load(at(t, j + 12))), sbv)));
      }
    }
    for (; j < k4; j += 4) {
      let r = f32x4.add(f32x4.mul(sav, v128.load(at(t, j))), sbv);
      if (w) r = f32x4.mul(r, v128.load(at(w, j)));
      v128.store(at(g, j), f32x4.sub(f32x4.mul(v128.load(at(g, j)), av), r));
    }
  }
  for (; j < k; j++) {
    let r = sa * load<f32>(at(t, j)) + sb;
    if (w) r *= load<f32>(at(w, j));
    store<f32>(at(g, j), load<f32>(at(g, j)) * alpha - r);
  }
}

/** Fill k floats with v. */
export function rowFill(g: usize, k: i32, v: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    for (; j + 4 <= k; j += 4) v128.store(at(g, j), vv);
  }
  for (; j < k; j++) store<f32>(at(g, j), v);
}
