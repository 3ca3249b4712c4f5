// Fused softmax cross-entropy forward + gradient (SPEC.md "crossEntropy").
//
// Index targets: crossEntropyIndex; probability targets: crossEntropyProb. Every row takes the fast
// three-pass path (rows.ts) unless pass 1 finds a non-finite logit (masked class, NaN, +Infinity);
// such rows take rowGeneric, a plain scalar path that applies the masking rules explicitly.
//
// Loss per row is assembled in f64 from the pass sums, with ℓ_j = (z_j − m) − log S:
//   uniform, no weights:   L = −(1−ε)ℓ_y − (ε/K)·Σ_j ℓ_j,  Σ_j ℓ_j = Σ_j (z_j − m) − K·log S
// and the gradient is  ∂L/∂z_j = s·((Σ r)·p_j − r_j) + zs·2λ·lse·p_j  with r the weighted target,
// s / zs the reduction scales. One exp per element; no call allocates.

import { rowMax, rowMaxFast, rowFinite, rowExpSum, rowExpSumW, rowExpSumT, rowAxpc, rowAxpcW, rowAxpcT, rowFill, rowSumB, rowSumC, rowSumD } from "./rows";
import { EXP_CONSTS, expNeg, vexpNeg } from "./math/exp";
import { at } from "./math/vec";
import { RESULTS, REDUCE_MEAN, REDUCE_NONE, WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET } from "./common";

// Per-row results of rowGeneric.
let genCe: f64 = 0;
let genLse2: f64 = 0;

/**
 * Checks labels and sums the reduction divisor. Returns the first row whose label is neither in
 * [0, k) nor ignoreIndex (−1 if none). RESULTS[0] = Σ over non-ignored rows of w_y (count if w = 0),
 * RESULTS[1] = count of non-ignored rows.
 */
export function labelScan(y: usize, n: i32, k: i32, ignoreIndex: i32, w: usize): i32 {
  let d: f64 = 0;
  let cnt: i32 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
    if (<u32>yi >= <u32>k) return i;
    cnt++;
    d += w ? <f64>load<f32>(at(w, yi)) : 1.0;
  }
  store<f64>(RESULTS, d);
  store<f64>(RESULTS + 8, <f64>cnt);
  return -1;
}

/**
 * One row, any input, scalar and explicit. `yi` ≥ 0: index target (smoothing per `others`, weights per
 * `wMode`); yi < 0: probability targets at `t`. Writes the gradient row when `grad`, and genCe / genLse2.
 */
function rowGeneric(
  z: usize, g: usize, grad: bool, k: i32, yi: i32, t: usize,
  eps: f64, others: bool, w: usize, wMode: i32, lambda: f64, s: f64, zs: f64,
): void {
  let m: f32 = -Infinity;
  let bad = false;
  let kv: i32 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != v || v == Infinity) bad = true;
    else if (v != -Infinity) { kv++; if (v > m) m = v; }
  }
  const targetMasked = yi >= 0 && load<f32>(at(z, yi)) == -Infinity;
  if (bad || (yi < 0 && kv == 0)) {
    genCe = NaN; genLse2 = NaN;
    if (grad) rowFill(g, k, NaN);
    return;
  }
  let S: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != -Infinity) S += expNeg(v - m);
  }
  const logS = Math.log(S);
  const lse = <f64>m + logS;
  genLse2 = lse * lse;
  if (targetMasked) {
    genCe = Infinity;
    if (grad) rowFill(g, k, NaN);
    return;
  }
  // Target weights r_j on the unmasked classes: index → A·[j=y] + B·u_j (·[j≠y] for 'others');
  // probability → u_j·(A·t_j + B). u_j = w_j for 'pytorch' / probability weights, else 1.
  let A: f64 = 1 - eps, B: f64 = eps / <f64>kv;
  let wy: f64 = 1;
  if (yi >= 0) {
    if (w) wy = <f64>load<f32>(at(w, yi));
    if (others) { if (kv > 1) B = eps / <f64>(kv - 1); else { A = 1; B = 0; } }
    if (wMode == WEIGHT_PYTORCH) A *= wy;
    else if (wMode == WEIGHT_TARGET) { A *= wy; B *= wy; }
  }
  const useW = w != 0 && (yi < 0 || wMode == WEIGHT_PYTORCH);
  let ce: f64 = 0, R: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v == -Infinity) continue;
    let r: f64;
    if (yi >= 0) {
      r = (others && j == yi) ? 0 : B;
      if (useW) r *= <f64>load<f32>(at(w, j));
      if (j == yi) r += A;
    } else {
      r = A * <f64>load<f32>(at(t, j)) + B;
      if (useW) r *= <f64>load<f32>(at(w, j));
    }
    R += r;
    ce -= r * ((<f64>v - <f64>m) - logS);
  }
  genCe = ce;
  if (!grad) return;
  const zterm = zs * 2 * lambda * lse;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v == -Infinity) { store<f32>(at(g, j), 0); continue; }
    const p = <f64>expNeg(v - m) / S;
    let r: f64;
    if (yi >= 0) {
      r = (others && j == yi) ? 0 : B;
      if (useW) r *= <f64>load<f32>(at(w, j));
      if (j == yi) r += A;
    } else {
      r = A * <f64>load<f32>(at(t, j)) + B;
      if (useW) r *= <f64>load<f32>(at(w, j));
    }
    store<f32>(at(g, j), <f32>(s * (R * p - r) + zterm * p));
  }
}

/** Zero the gradient and report a zero loss: the SPEC's D = 0 rule. */
function zeroResult(g: usize, grad: bool, n: i32, k: i32, rowLoss: usize): void {
  if (grad) memory.fill(g, 0, <usize>n * <usize>k << 2);
  if (rowLoss) memory.fill(rowLoss, 0, <usize>n << 2);
  store<f64>(RESULTS + 16, 0);
}

// ---- per-call constants of crossEntropyIndex, and the per-row finish shared by its two paths

let cA: f64 = 0;      // coefficient of the target class ((1−ε), or 1 for 'others' with K = 1)
let cB: f64 = 0;      // smoothing mass per class carrying it (ε/K or ε/(K−1))
let cOth: bool = false;
let cK: f64 = 0;
let cW: f64 = 0;      // Σ_j w_j ('pytorch' weights)
let cMode: i32 = 0;
let cS: f64 = 0;      // reduction scale of the CE part
let cZs: f64 = 0;     // reduction scale of the z-loss part
let cLambda: f64 = 0;
// outputs of rowFinish
let fAlpha: f64 = 0;  // g_j = fAlpha·e_j − fC (·w_j for 'pytorch'), then g_y = fAlpha·e_y − fGy
let fC: f64 = 0;
let fGy: f64 = 0;
let fLse2: f64 = 0;

// Deferred logs. Without z-loss a row's loss is P + Q·log S with P, Q ≥ 0 known before the log, and
// its gradient does not need the log at all; the logs of LOG_BLOCK rows are then taken together,
// independent of each other (so they pipeline instead of sitting on each row's critical path).
const LOG_BLOCK: i32 = 64;
const LOG_S: usize = memory.data(8 * LOG_BLOCK, 16);
const LOG_P: usize = memory.data(8 * LOG_BLOCK, 16);
const LOG_Q: usize = memory.data(8 * LOG_BLOCK, 16);
const LOG_ROW: usize = memory.data(4 * LOG_BLOCK, 16);
let logN: i32 = 0;
let logCeSum: f64 = 0;   // Σ of the deferred rows' losses, flushed so far
let logRowLoss: usize = 0; // where 'none' puts per-row losses (0: not wanted)
/** Set by rowFinish: the row's loss was deferred (rowFinish returned 0 and the row loss is written later). */
let fDeferred: bool = false;

function logFlush(): void {
  let sum: f64 = 0;
  for (let b = 0; b < logN; b++) {
    const o: usize = <usize>b << 3;
    const ce = load<f64>(LOG_P + o) + load<f64>(LOG_Q + o) * Math.log(load<f64>(LOG_S + o));
    sum += ce;
    if (logRowLoss) store<f32>(at(logRowLoss, load<i32>(LOG_ROW + (<usize>b << 2))), <f32>ce);
  }
  logCeSum += sum;
  logN = 0;
}

/**
 * The row's loss from its pass sums (fast path, K' = K): S = Σ e_j, sumB = Σ (z_j − m) (or
 * Σ w_j (z_j − m) for 'pytorch') over the classes that carry smoothing mass — all of them, or all but
 * y for 'others' (the passes leave y out of that sum: subtracting it afterwards cancels badly when the
 * target term dominates) — and ly = z_y − m. Sets the gradient coefficients fAlpha, fC, fGy.
 * Without z-loss the loss is deferred (fDeferred; see logFlush) and 0 is returned.
 */
// @ts-ignore: decorator
@inline function rowFinish(S: f64, sumB: f64, ly: f64, m: f64, wy: f64, row: i32): f64 {
  const A = cA, B = cB, s = cS;
  // loss = P + Q·log S, both parts ≥ 0 (ly ≤ 0, sumB ≤ 0): no cancellation
  let P: f64, Q: f64, sumR: f64;
  if (cMode == WEIGHT_PYTORCH) {
    const Wm = cOth ? cW - wy : cW; // Σ w_j over the classes that carry smoothing mass
    P = -A * wy * ly - B * sumB;
    Q = A * wy + B * Wm;
    sumR = Q;
    fC = s * B;
    fGy = s * A * wy + (cOth ? 0 : fC * wy);
  } else {
    const mult: f64 = cMode == WEIGHT_TARGET ? wy : 1;
    P = mult * (-A * ly - B * sumB);
    Q = mult * (A + B * (cOth ? cK - 1 : cK));
    sumR = mult; // Σ_j q_j = 1
    fC = s * B * mult;
    fGy = s * A * mult + (cOth ? 0 : fC);
  }
  if (cLambda == 0) {
    fAlpha = s * sumR / S;
    fLse2 = 0;
    fDeferred = true;
    const o: usize = <usize>logN << 3;
    store<f64>(LOG_S + o, S);
    store<f64>(LOG_P + o, P);
    store<f64>(LOG_Q + o, Q);
    store<i32>(LOG_ROW + (<usize>logN << 2), row);
    if (++logN == LOG_BLOCK) logFlush();
    return 0;
  }
  fDeferred = false;
  const logS = Math.log(S);
  const lse = m + logS;
  fLse2 = lse * lse;
  fAlpha = (s * sumR + cZs * 2 * cLambda * lse) / S;
  return P + Q * logS;
}

/**
 * Widest K for which rows go across the SIMD lanes (four rows at a time), measured against the row
 * path in ns a row (min of 200 runs, 100k logits): K = 24: 48.7 vs 60.0; 32: 59.0 vs 65.8;
 * 48: 80.5 vs 80.6; 64: 101.3 vs 96.1 (with the 4×4 transposes; without them the tile lost from K ≈ 18).
 */
const SMALL_K: i32 = 40;
/** Transposed tile of four rows: SMALL_K vectors, lane r = row r. */
const TILE: usize = memory.data(16 * SMALL_K, 16);

let tileCeSum: f64 = 0;
let tileZSum: f64 = 0;

/**
 * 4×4 transpose of rows a, b, c, d (four consecutive columns of four rows) into four column vectors
 * stored at dst, dst + 16, dst + 32, dst + 48.
 */
// @ts-ignore: decorator
@inline function transpose4(a: v128, b: v128, c: v128, d: v128, dst: usize): void {
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
  v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
  v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
}

/**
 * Four rows at once, one row per lane (small K, where per-row overhead dominates). Returns false,
 * writing nothing, when a row is ignored or not finite: the caller then takes the row path.
 */
function tile4(z: usize, y: usize, i: i32, k: i32, ignoreIndex: i32, w: usize, g: usize, grad: bool, rowLoss: usize): bool {
  const stride: usize = <usize>k << 2;
  const z0 = z + <usize>i * stride, z1 = z0 + stride, z2 = z1 + stride, z3 = z2 + stride;
  const y0 = load<i32>(at(y, i)), y1 = load<i32>(at(y, i + 1)), y2 = load<i32>(at(y, i + 2)), y3 = load<i32>(at(y, i + 3));
  if (y0 == ignoreIndex || y1 == ignoreIndex || y2 == ignoreIndex || y3 == ignoreIndex) return false;
  if (ASC_FEATURE_SIMD) {
    // pass A: columns into the tile (four at a time by a 4×4 transpose, the rest lane by lane), max and
    // finiteness probe per lane
    let mx = f32x4.splat(-Infinity), probe = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const o: usize = <usize>j << 2;
      const t = TILE + (o << 2);
      transpose4(v128.load(z0 + o), v128.load(z1 + o), v128.load(z2 + o), v128.load(z3 + o), t);
      const k0 = v128.load(t), k1 = v128.load(t, 16), k2 = v128.load(t, 32), k3 = v128.load(t, 48);
      mx = f32x4.pmax(mx, f32x4.pmax(f32x4.pmax(k0, k1), f32x4.pmax(k2, k3)));
      probe = f32x4.add(probe, f32x4.add(f32x4.add(k0, k1), f32x4.add(k2, k3)));
    }
    for (; j < k; j++) {
      const o: usize = <usize>j << 2;
      let v = f32x4.splat(load<f32>(z0 + o));
      v = f32x4.replace_lane(v, 1, load<f32>(z1 + o));
      v = f32x4.replace_lane(v, 2, load<f32>(z2 + o));
      v = f32x4.replace_lane(v, 3, load<f32>(z3 + o));
      v128.store(TILE + (o << 2), v);
      mx = f32x4.pmax(mx, v);
      probe = f32x4.add(probe, v);
    }
    if (!i32x4.all_true(f32x4.eq(f32x4.sub(probe, probe), f32x4.splat(0)))) return false;
    const m0 = f32x4.extract_lane(mx, 0), m1 = f32x4.extract_lane(mx, 1), m2 = f32x4.extract_lane(mx, 2), m3 = f32x4.extract_lane(mx, 3);
    const zy0 = load<f32>(at(z0, y0)), zy1 = load<f32>(at(z1, y1)), zy2 = load<f32>(at(z2, y2)), zy3 = load<f32>(at(z3, y3));
    if (cOth) {
      // leave y out of the smoothing sum: its tile entry becomes the max (d = 0, e = 1, fixed below)
      store<f32>(TILE + (<usize>y0 << 4), m0);
      store<f32>(TILE + (<usize>y1 << 4) + 4, m1);
      store<f32>(TILE + (<usize>y2 << 4) + 8, m2);
      store<f32>(TILE + (<usize>y3 << 4) + 12, m3);
    }
    // pass B: e = exp(z − m) in place in the tile, lane sums
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2hi = v128.load32_splat(EXP_CONSTS + 12);
    const ln2lo = v128.load32_splat(EXP_CONSTS + 16), p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    // S per lane (row) in f64: pairs of columns summed in f32, then into two f64x2 accumulators (rows
    // 0–1 and 2–3). An f32 lane sum rounds every tiny addend the same way once it holds the dominant
    // e = 1: one confident class among near-zero logits put S 1e-6 off (1.6× SPEC's gradient bound).
    let sLo = f64x2.splat(0), sHi = sLo, dv = f32x4.splat(0);
    const pt = cMode == WEIGHT_PYTORCH;
    let j2 = 0;
    for (; j2 + 2 <= k; j2 += 2) {
      const t = TILE + (<usize>j2 << 4);
      const d = f32x4.sub(v128.load(t), mx), dB = f32x4.sub(v128.load(t, 16), mx);
      const e = vexpNeg(d, lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
      const eB = vexpNeg(dB, lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
      v128.store(t, e); v128.store(t, eB, 16);
      const pair = f32x4.add(e, eB);
      sLo = f64x2.add(sLo, f64x2.promote_low_f32x4(pair));
      sHi = f64x2.add(sHi, f64x2.promote_low_f32x4(v128.shuffle<f32>(pair, pair, 2, 3, 2, 3)));
      dv = f32x4.add(dv, pt
        ? f32x4.add(f32x4.mul(d, v128.load32_splat(at(w, j2))), f32x4.mul(dB, v128.load32_splat(at(w, j2 + 1))))
        : f32x4.add(d, dB));
    }
    if (j2 < k) {
      const t = TILE + (<usize>j2 << 4);
      const d = f32x4.sub(v128.load(t), mx);
      const e = vexpNeg(d, lo, log2e, magic, ln2hi, ln2lo, p0, p1, p2, p3, one, p4);
      v128.store(t, e);
      sLo = f64x2.add(sLo, f64x2.promote_low_f32x4(e));
      sHi = f64x2.add(sHi, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
      dv = f32x4.add(dv, pt ? f32x4.mul(d, v128.load32_splat(at(w, j2))) : d);
    }
    let s0 = f64x2.extract_lane(sLo, 0), s1 = f64x2.extract_lane(sLo, 1);
    let s2 = f64x2.extract_lane(sHi, 0), s3 = f64x2.extract_lane(sHi, 1);
    if (cOth) {
      const ey0 = expNeg(zy0 - m0), ey1 = expNeg(zy1 - m1), ey2 = expNeg(zy2 - m2), ey3 = expNeg(zy3 - m3);
      s0 += <f64>ey0 - 1; s1 += <f64>ey1 - 1; s2 += <f64>ey2 - 1; s3 += <f64>ey3 - 1;
      store<f32>(TILE + (<usize>y0 << 4), ey0);
      store<f32>(TILE + (<usize>y1 << 4) + 4, ey1);
      store<f32>(TILE + (<usize>y2 << 4) + 8, ey2);
      store<f32>(TILE + (<usize>y3 << 4) + 12, ey3);
    }
    // per-row finish (scalar f64)
    const wy0: f64 = cMode != WEIGHT_NONE ? <f64>load<f32>(at(w, y0)) : 1;
    const wy1: f64 = cMode != WEIGHT_NONE ? <f64>load<f32>(at(w, y1)) : 1;
    const wy2: f64 = cMode != WEIGHT_NONE ? <f64>load<f32>(at(w, y2)) : 1;
    const wy3: f64 = cMode != WEIGHT_NONE ? <f64>load<f32>(at(w, y3)) : 1;
    const ce0 = rowFinish(s0, <f64>f32x4.extract_lane(dv, 0), <f64>(zy0 - m0), <f64>m0, wy0, i + 0);
    const a0 = fAlpha, c0 = fC, gy0 = fGy, l0 = fLse2;
    const ce1 = rowFinish(s1, <f64>f32x4.extract_lane(dv, 1), <f64>(zy1 - m1), <f64>m1, wy1, i + 1);
    const a1 = fAlpha, c1 = fC, gy1 = fGy, l1 = fLse2;
    const ce2 = rowFinish(s2, <f64>f32x4.extract_lane(dv, 2), <f64>(zy2 - m2), <f64>m2, wy2, i + 2);
    const a2 = fAlpha, c2 = fC, gy2 = fGy, l2 = fLse2;
    const ce3 = rowFinish(s3, <f64>f32x4.extract_lane(dv, 3), <f64>(zy3 - m3), <f64>m3, wy3, i + 3);
    const a3 = fAlpha, c3 = fC, gy3 = fGy, l3 = fLse2;
    const lam = cLambda;
    const zl0 = lam == 0 ? 0 : l0, zl1 = lam == 0 ? 0 : l1, zl2 = lam == 0 ? 0 : l2, zl3 = lam == 0 ? 0 : l3;
    if (rowLoss && !fDeferred) { // (all four rows defer together: it depends on λ only)
      store<f32>(at(rowLoss, i), <f32>(ce0 + lam * zl0));
      store<f32>(at(rowLoss, i + 1), <f32>(ce1 + lam * zl1));
      store<f32>(at(rowLoss, i + 2), <f32>(ce2 + lam * zl2));
      store<f32>(at(rowLoss, i + 3), <f32>(ce3 + lam * zl3));
    }
    tileCeSum = (ce0 + ce1) + (ce2 + ce3);
    tileZSum = (zl0 + zl1) + (zl2 + zl3);
    if (!grad) return true;
    // pass C: g = α·e − c, scattered back to the four rows, then the target fix-ups
    let av = f32x4.splat(<f32>a0);
    av = f32x4.replace_lane(av, 1, <f32>a1); av = f32x4.replace_lane(av, 2, <f32>a2); av = f32x4.replace_lane(av, 3, <f32>a3);
    let cv = f32x4.splat(<f32>c0);
    cv = f32x4.replace_lane(cv, 1, <f32>c1); cv = f32x4.replace_lane(cv, 2, <f32>c2); cv = f32x4.replace_lane(cv, 3, <f32>c3);
    const g0 = g + <usize>i * stride, g1 = g0 + stride, g2 = g1 + stride, g3 = g2 + stride;
    // the target's e, read before the tile is overwritten
    const e0 = <f64>load<f32>(TILE + (<usize>y0 << 4)), e1 = <f64>load<f32>(TILE + (<usize>y1 << 4) + 4);
    const e2 = <f64>load<f32>(TILE + (<usize>y2 << 4) + 8), e3 = <f64>load<f32>(TILE + (<usize>y3 << 4) + 12);
    j = 0;
    for (; j + 4 <= k; j += 4) {
      // four columns, then a 4×4 transpose into one vector store per row
      const o: usize = <usize>j << 2, t = TILE + (o << 2);
      const r0 = f32x4.sub(f32x4.mul(v128.load(t), av), pt ? f32x4.mul(cv, v128.load32_splat(at(w, j))) : cv);
      const r1 = f32x4.sub(f32x4.mul(v128.load(t, 16), av), pt ? f32x4.mul(cv, v128.load32_splat(at(w, j + 1))) : cv);
      const r2 = f32x4.sub(f32x4.mul(v128.load(t, 32), av), pt ? f32x4.mul(cv, v128.load32_splat(at(w, j + 2))) : cv);
      const r3 = f32x4.sub(f32x4.mul(v128.load(t, 48), av), pt ? f32x4.mul(cv, v128.load32_splat(at(w, j + 3))) : cv);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(g0 + o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(g1 + o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(g2 + o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(g3 + o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (; j < k; j++) {
      const o: usize = <usize>j << 2;
      const cj = pt ? f32x4.mul(cv, v128.load32_splat(at(w, j))) : cv;
      const r = f32x4.sub(f32x4.mul(v128.load(TILE + (o << 2)), av), cj);
      store<f32>(g0 + o, f32x4.extract_lane(r, 0));
      store<f32>(g1 + o, f32x4.extract_lane(r, 1));
      store<f32>(g2 + o, f32x4.extract_lane(r, 2));
      store<f32>(g3 + o, f32x4.extract_lane(r, 3));
    }
    store<f32>(at(g0, y0), <f32>(a0 * e0 - gy0));
    store<f32>(at(g1, y1), <f32>(a1 * e1 - gy1));
    store<f32>(at(g2, y2), <f32>(a2 * e2 - gy2));
    store<f32>(at(g3, y3), <f32>(a3 * e3 - gy3));
    return true;
  }
  return false;
}

/**
 * Index targets. z: N×K logits; y: N labels; w: K class weights or 0; g: N×K gradient (may equal z)
 * when grad, else a K-float scratch row; rowLoss: N floats for reduction 'none', else 0.
 * Returns −1, or the first row with a bad label (nothing written then).
 * RESULTS[2] = the reduced loss (for 'none': the sum of row losses).
 */
export function crossEntropyIndex(
  z: usize, y: usize, n: i32, k: i32, eps: f64, others: bool, ignoreIndex: i32,
  w: usize, wMode: i32, lambda: f64, reduction: i32, g: usize, grad: bool, rowLoss: usize,
): i32 {
  if (!w) wMode = WEIGHT_NONE;
  const badRow = labelScan(y, n, k, ignoreIndex, wMode != WEIGHT_NONE ? w : 0);
  if (badRow >= 0) return badRow;
  const D = load<f64>(RESULTS), cnt = load<f64>(RESULTS + 8);
  const mean = reduction == REDUCE_MEAN;
  if (D == 0 && mean) { zeroResult(g, grad, n, k, rowLoss); return -1; }
  const s: f64 = mean ? 1 / D : 1;
  const zs: f64 = mean ? 1 / cnt : 1;
  let W: f64 = 0;
  if (wMode == WEIGHT_PYTORCH) for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j));
  const kf = <f64>k;
  // Smoothing mass per non-target class, and the target's own coefficient (fast path: K' = K).
  const oth = others && k > 1;
  cB = oth ? eps / (kf - 1) : (others ? 0 : eps / kf);
  cA = (others && k == 1) ? 1 : 1 - eps;
  cOth = oth; cK = kf; cW = W; cMode = wMode; cS = s; cZs = zs; cLambda = lambda;
  logN = 0; logCeSum = 0; logRowLoss = rowLoss;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  let i = 0;
  // Small K: four rows across the lanes (only where a tile can be scattered without racing the
  // in-place reads: the tile holds its own copy, so g may equal z).
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = n & ~3;
    while (i < n4) {
      if (tile4(z, y, i, k, ignoreIndex, w, g, grad, rowLoss)) {
        ceSum += tileCeSum; zSum += tileZSum;
        i += 4;
        continue;
      }
      // a tile with an ignored or non-finite row: those four rows take the row path
      const end = i + 4;
      for (; i < end; i++) {
        indexRow(z, y, i, k, ignoreIndex, eps, others, w, g, grad, rowLoss, stride);
        ceSum += rowCe; zSum += rowZ;
      }
    }
  }
  for (; i < n; i++) {
    indexRow(z, y, i, k, ignoreIndex, eps, others, w, g, grad, rowLoss, stride);
    ceSum += rowCe; zSum += rowZ;
  }
  logFlush();
  ceSum += logCeSum;
  store<f64>(RESULTS + 16, mean ? ceSum * s + lambda * zSum * zs : ceSum + lambda * zSum);
  return -1;
}

let rowCe: f64 = 0;
let rowZ: f64 = 0;

/** One row of crossEntropyIndex by the three-pass path (or rowGeneric). Sets rowCe, rowZ. */
// @ts-ignore: decorator
@inline function indexRow(
  z: usize, y: usize, i: i32, k: i32, ignoreIndex: i32, eps: f64, others: bool,
  w: usize, g: usize, grad: bool, rowLoss: usize, stride: usize,
): void {
  const zi = z + <usize>i * stride;
  const gi = grad ? g + <usize>i * stride : g;
  const yi = load<i32>(at(y, i));
  if (yi == ignoreIndex) {
    if (grad) rowFill(gi, k, 0);
    if (rowLoss) store<f32>(at(rowLoss, i), 0);
    rowCe = 0; rowZ = 0;
    return;
  }
  const wy: f64 = cMode != WEIGHT_NONE ? <f64>load<f32>(at(w, yi)) : 1;
  const zy = load<f32>(at(zi, yi));
  // In place, pass 2 overwrites z, so non-finite rows must be caught in pass 1 (the probe); otherwise
  // pass 2's sums catch them (Σ(z − m) is −∞ or NaN) and the row is redone from the intact z.
  const probe = zi == gi;
  const m = probe ? rowMax(zi, k) : rowMaxFast(zi, k);
  let ce: f64 = 0, lse2: f64 = 0;
  let fast = !probe || rowFinite;
  // 'others' leaves y out of the smoothing sum: z_y is set to m for pass 2 (d = 0 adds nothing;
  // e = 1 is swapped for the real exp below) and put back — unless z_y is not finite (generic path).
  const excl = cOth && zy - zy == 0;
  if (fast && cOth && !excl) fast = false;
  if (fast) {
    const pt = cMode == WEIGHT_PYTORCH;
    if (excl) store<f32>(at(zi, yi), m);
    let S = pt ? rowExpSumW(zi, gi, w, k, m) : rowExpSum(zi, gi, k, m);
    const sumB = rowSumB;
    if (excl) {
      const e = expNeg(zy - m);
      if (zi != gi) store<f32>(at(zi, yi), zy);
      store<f32>(at(gi, yi), e);
      S += <f64>e - 1;
    }
    fast = probe || (sumB - sumB == 0 && S - S == 0);
    if (fast) {
      ce = rowFinish(S, sumB, <f64>(zy - m), <f64>m, wy, i);
      lse2 = fLse2;
      if (grad) {
        const ey = <f64>load<f32>(at(gi, yi));
        if (pt) rowAxpcW(gi, w, k, <f32>fAlpha, <f32>fC);
        else rowAxpc(gi, k, <f32>fAlpha, <f32>fC);
        store<f32>(at(gi, yi), <f32>(fAlpha * ey - fGy));
      }
    }
  }
  if (!fast) {
    rowGeneric(zi, gi, grad, k, yi, 0, eps, others, w, cMode, cLambda, cS, cZs);
    ce = genCe; lse2 = genLse2;
  }
  if (cLambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
  if (rowLoss && !(fast && fDeferred)) store<f32>(at(rowLoss, i), <f32>(ce + cLambda * lse2));
  rowCe = ce;
  rowZ = lse2;
}

/**
 * Probability targets t (N×K). 'mean' divides by N. Arguments as crossEntropyIndex; g may equal z.
 */
export function crossEntropyProb(
  z: usize, t: usize, n: i32, k: i32, eps: f64, w: usize, lambda: f64, reduction: i32,
  g: usize, grad: bool, rowLoss: usize,
): void {
  const mean = reduction == REDUCE_MEAN;
  if (n == 0) { zeroResult(g, grad, n, k, rowLoss); return; }
  const s: f64 = mean ? 1 / <f64>n : 1;
  const A: f64 = 1 - eps, B: f64 = eps / <f64>k;
  let W: f64 = <f64>k; // Σ_j w_j
  if (w) { W = 0; for (let j = 0; j < k; j++) W += <f64>load<f32>(at(w, j)); }
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride;
    const gi = grad ? g + <usize>i * stride : g;
    const ti = t + <usize>i * stride;
    const probe = zi == gi; // see indexRow
    const m = probe ? rowMax(zi, k) : rowMaxFast(zi, k);
    let ce: f64 = 0, lse2: f64 = 0;
    // K = 1: the loss is 0 and the CE gradient exactly 0; the generic path gets that without rounding
    let fast = (!probe || rowFinite) && k > 1;
    if (fast) {
      const S = rowExpSumT(zi, gi, ti, w, k, m);
      const R = A * rowSumC + B * W, RD = A * rowSumB + B * rowSumD;
      // a masked class makes r·(z − m) −∞ or NaN (r = 0), NaN/+∞ logits make it NaN
      fast = probe || (RD - RD == 0 && S - S == 0);
      if (fast) {
        const logS = Math.log(S);
        ce = R * logS - RD;
        const lse = <f64>m + logS;
        lse2 = lse * lse;
        if (grad) {
          const alpha = (s * R + s * 2 * lambda * lse) / S;
          rowAxpcT(gi, ti, w, k, <f32>alpha, <f32>(s * A), <f32>(s * B));
        }
      }
    }
    if (!fast) {
      rowGeneric(zi, gi, grad, k, -1, ti, eps, false, w, WEIGHT_PYTORCH, lambda, s, s);
      ce = genCe; lse2 = genLse2;
    }
    if (lambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * lse2));
    ceSum += ce;
    zSum += lse2;
  }
  store<f64>(RESULTS + 16, mean ? (ceSum + lambda * zSum) * s : ceSum + lambda * zSum);
}
