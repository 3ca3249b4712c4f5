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

import {
  rowMax, rowMaxFast, rowFinite, rowExpSum, rowExpSumW, rowExpSumT, rowAxpc, rowAxpcW, rowAxpcT, rowFill,
  rowSumB, rowSumC, rowSumD, rowExpSumS, expSumRepairAtMax,
} from "./rows";
import { EXP_CONSTS, expNeg, vexpNeg } from "./math/exp";
import { at } from "./math/vec";
import { vlogF64 } from "./math/log";
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
let logSameQ: bool = false; // every deferred row has Q = logQ
let logQ: f64 = 0;
/** Set by rowFinish: the row's loss was deferred (rowFinish returned 0 and the row loss is written later). */
let fDeferred: bool = false;

/** Above this a running product of S values takes its log (S ≤ K < 2^31, so the next product stays finite). */
const PROD_MAX: f64 = 1e289; // ≈ 2^960

function logFlush(): void {
  let sum: f64 = 0;
  let b = 0;
  if (logSameQ && !logRowLoss) {
    // Every row has the same Q and no row loss is wanted: Σ (P + Q·log S) = Σ P + Q·log Π S, one log
    // for the block instead of one a row. Π S is a running f64 product (64 roundings: 1e-14 relative),
    // logged and restarted before it could overflow.
    let prod: f64 = 1, logs: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      let pa = f64x2.splat(0), pp = f64x2.splat(1);
      for (; b + 2 <= logN; b += 2) {
        const o: usize = <usize>b << 3;
        pa = f64x2.add(pa, v128.load(LOG_P + o));
        pp = f64x2.mul(pp, v128.load(LOG_S + o));
        if (f64x2.extract_lane(pp, 0) > PROD_MAX || f64x2.extract_lane(pp, 1) > PROD_MAX) {
          logs += Math.log(f64x2.extract_lane(pp, 0)) + Math.log(f64x2.extract_lane(pp, 1));
          pp = f64x2.splat(1);
        }
      }
      sum = f64x2.extract_lane(pa, 0) + f64x2.extract_lane(pa, 1);
      prod = f64x2.extract_lane(pp, 0);
      logs += Math.log(f64x2.extract_lane(pp, 1));
    }
    for (; b < logN; b++) {
      const o: usize = <usize>b << 3;
      sum += load<f64>(LOG_P + o);
      prod *= load<f64>(LOG_S + o);
      if (prod > PROD_MAX) { logs += Math.log(prod); prod = 1; }
    }
    logs += Math.log(prod);
    logCeSum += sum + logQ * logs;
    logN = 0;
    return;
  }
  if (ASC_FEATURE_SIMD) {
    // two rows per f64x2 log (vlogF64: 2e-11 relative, independent lanes that pipeline)
    let acc = f64x2.splat(0);
    for (; b + 2 <= logN; b += 2) {
      const o: usize = <usize>b << 3;
      const ce = f64x2.add(v128.load(LOG_P + o), f64x2.mul(v128.load(LOG_Q + o), vlogF64(v128.load(LOG_S + o))));
      acc = f64x2.add(acc, ce);
      if (logRowLoss) {
        store<f32>(at(logRowLoss, load<i32>(LOG_ROW + (<usize>b << 2))), <f32>f64x2.extract_lane(ce, 0));
        store<f32>(at(logRowLoss, load<i32>(LOG_ROW + (<usize>b << 2) + 4)), <f32>f64x2.extract_lane(ce, 1));
      }
    }
    sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  }
  for (; b < logN; b++) {
    const o: usize = <usize>b << 3;
    const S = load<f64>(LOG_S + o);
    const logS: f64 = ASC_FEATURE_SIMD ? f64x2.extract_lane(vlogF64(f64x2.splat(S)), 0) : Math.log(S);
    const ce = load<f64>(LOG_P + o) + load<f64>(LOG_Q + o) * logS;
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
    if (logN == LOG_BLOCK) logFlush();
    const o: usize = <usize>logN << 3;
    store<f64>(LOG_S + o, S);
    store<f64>(LOG_P + o, P);
    store<f64>(LOG_Q + o, Q);
    store<i32>(LOG_ROW + (<usize>logN << 2), row);
    logN++;
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
 * Widest K for which rows go across the SIMD lanes (four rows at a time). With the f64x2 finish, tile
 * against row path in ns a row (SIMD build, 512 rows, same-process A/B, min of 300 runs): K = 44: 64.8
 * vs 75.3; 56: 79.3 vs 86.1; 64: 89.1 vs 92.5; 72: 98.7 vs 102.5; 80: 108.9 vs 109.0; 96: 128.5 vs
 * 123.9 (relaxed build: even at K ≈ 80, 1.03× slower at 100). Before the f64x2 finish the crossover was
 * near 48, and without the 4×4 transposes near 18.
 */
const SMALL_K: i32 = 72;
/** Transposed tile of four rows: SMALL_K vectors, lane r = row r. */
const TILE: usize = memory.data(16 * SMALL_K, 16);
/** The targets' tile of tileProb (same layout). */
const TILE_T: usize = memory.data(16 * SMALL_K, 16);

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

// Per-call coefficients of the tile's vector finish (set by crossEntropyIndex), with a = w_y:
//   P = −A·a·ℓy − B·sumB·(pytorch ? 1 : a),  Q = vQW·a + vQW0,  Σr = pytorch ? Q : a,
//   c = s·B·(pytorch ? 1 : a),  g_y offset = vG0·a  — rowFinish's formulas, regrouped.
let vQW: f64 = 0;
let vQW0: f64 = 0;
let vG0: f64 = 0;
// outputs of finishPair, one v128 each (memory, not globals: the scalar build has no v128 type)
const FIN: usize = memory.data(16 * 7, 16);
const FIN_CE: usize = 0, FIN_ALPHA: usize = 16, FIN_C: usize = 32, FIN_GY: usize = 48, FIN_LSE2: usize = 64;
const FIN_P: usize = 80, FIN_Q: usize = 96;

/** Lanes 2–3 of a v128 of f32, moved to lanes 0–1 (for promote_low). */
// @ts-ignore: decorator
@inline function hiOf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 2, 3);
}

/** Two f64x2 (rows 0–1, rows 2–3) rounded into one f32x4. */
// @ts-ignore: decorator
@inline function joinF32(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** A tile's four rows deferred to logFlush: CE = P + Q·log S, lanes rows 0–1 (L) and 2–3 (H). */
// @ts-ignore: decorator
@inline function tileDefer(i: i32, sL: v128, sH: v128, pL: v128, pH: v128, qL: v128, qH: v128): void {
  if (logN + 4 > LOG_BLOCK) logFlush();
  const o: usize = <usize>logN << 3;
  v128.store(LOG_S + o, sL); v128.store(LOG_S + o, sH, 16);
  v128.store(LOG_P + o, pL); v128.store(LOG_P + o, pH, 16);
  v128.store(LOG_Q + o, qL); v128.store(LOG_Q + o, qH, 16);
  const r: usize = LOG_ROW + (<usize>logN << 2);
  store<i32>(r, i); store<i32>(r, i + 1, 4); store<i32>(r, i + 2, 8); store<i32>(r, i + 3, 12);
  logN += 4;
  tileCeSum = 0;
  tileZSum = 0;
}

/** A tile's four rows with z-loss, losses known: per-row losses (CE + λ·lse²) if wanted, and the sums. */
// @ts-ignore: decorator
@inline function tileLosses(i: i32, rowLoss: usize, lambda: f64, ceL: v128, ceH: v128, zL: v128, zH: v128): void {
  if (rowLoss) {
    const lam = f64x2.splat(lambda);
    const lL = f64x2.add(ceL, f64x2.mul(lam, zL)), lH = f64x2.add(ceH, f64x2.mul(lam, zH));
    store<f32>(at(rowLoss, i), <f32>f64x2.extract_lane(lL, 0));
    store<f32>(at(rowLoss, i + 1), <f32>f64x2.extract_lane(lL, 1));
    store<f32>(at(rowLoss, i + 2), <f32>f64x2.extract_lane(lH, 0));
    store<f32>(at(rowLoss, i + 3), <f32>f64x2.extract_lane(lH, 1));
  }
  tileCeSum = (f64x2.extract_lane(ceL, 0) + f64x2.extract_lane(ceL, 1)) + (f64x2.extract_lane(ceH, 0) + f64x2.extract_lane(ceH, 1));
  tileZSum = (f64x2.extract_lane(zL, 0) + f64x2.extract_lane(zL, 1)) + (f64x2.extract_lane(zH, 0) + f64x2.extract_lane(zH, 1));
}

/**
 * rowFinish for two tile rows at once (f64x2 lanes): S, sumB = Σ (z − m) (weighted for 'pytorch'),
 * ly = z_y − m, m, a = w_y, ey = e_y. Stores α, c and the target's gradient (α·e_y − s·(…)) at FIN;
 * with z-loss also the rows' CE and lse², without it P and Q of CE = P + Q·log S (for logFlush).
 */
// @ts-ignore: decorator
@inline function finishPair(S: v128, sumB: v128, ly: v128, m: v128, a: v128, ey: v128, pt: bool): void {
  const A = f64x2.splat(cA), B = f64x2.splat(cB), s = f64x2.splat(cS);
  const Ba = pt ? B : f64x2.mul(B, a);
  const P = f64x2.neg(f64x2.add(f64x2.mul(f64x2.mul(A, a), ly), f64x2.mul(Ba, sumB)));
  const Q = f64x2.add(f64x2.mul(f64x2.splat(vQW), a), f64x2.splat(vQW0));
  const sumR = pt ? Q : a;
  let num = f64x2.mul(s, sumR);
  if (cLambda == 0) {
    // deferred: the tile hands P, Q and S to logFlush
    v128.store(FIN + FIN_P, P);
    v128.store(FIN + FIN_Q, Q);
  } else {
    const logS = vlogF64(S);
    const lse = f64x2.add(m, logS);
    v128.store(FIN + FIN_CE, f64x2.add(P, f64x2.mul(Q, logS)));
    v128.store(FIN + FIN_LSE2, f64x2.mul(lse, lse));
    num = f64x2.add(num, f64x2.mul(f64x2.splat(cZs * 2 * cLambda), lse));
  }
  const alpha = f64x2.div(num, S);
  v128.store(FIN + FIN_ALPHA, alpha);
  v128.store(FIN + FIN_C, f64x2.mul(s, Ba));
  v128.store(FIN + FIN_GY, f64x2.sub(f64x2.mul(alpha, ey), f64x2.mul(f64x2.splat(vG0), a)));
}

/** Set by gather4: every gathered value was finite (their f32 sum was). */
let gatherFinite: bool = true;

/**
 * Pass A of a tile: rows r0…r3 (k floats each) transposed into dst (column j at dst + 16·j, lane r =
 * row r), four columns at a time by a 4×4 transpose and the rest lane by lane. Returns the lanes' max
 * and sets gatherFinite (a finiteness probe: the lanes' f32 sums).
 */
function gather4(r0: usize, r1: usize, r2: usize, r3: usize, k: i32, dst: usize): v128 {
  let mx = f32x4.splat(-Infinity), probe = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const o: usize = <usize>j << 2;
    const t = dst + (o << 2);
    transpose4(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), t);
    const k0 = v128.load(t), k1 = v128.load(t, 16), k2 = v128.load(t, 32), k3 = v128.load(t, 48);
    mx = f32x4.pmax(mx, f32x4.pmax(f32x4.pmax(k0, k1), f32x4.pmax(k2, k3)));
    probe = f32x4.add(probe, f32x4.add(f32x4.add(k0, k1), f32x4.add(k2, k3)));
  }
  for (; j < k; j++) {
    const o: usize = <usize>j << 2;
    let v = f32x4.splat(load<f32>(r0 + o));
    v = f32x4.replace_lane(v, 1, load<f32>(r1 + o));
    v = f32x4.replace_lane(v, 2, load<f32>(r2 + o));
    v = f32x4.replace_lane(v, 3, load<f32>(r3 + o));
    v128.store(dst + (o << 2), v);
    mx = f32x4.pmax(mx, v);
    probe = f32x4.add(probe, v);
  }
  gatherFinite = i32x4.all_true(f32x4.eq(f32x4.sub(probe, probe), f32x4.splat(0)));
  return mx;
}

/**
 * Pass C of a tile: g = α·e − c_j for the four rows at g0, g0 + stride, …, from the tile's columns of
 * e; c_j = cv·w_j (cv without weights, w = 0), plus tv·t_j from the targets' tile when withT. Four
 * columns at a time through a 4×4 transpose, the rest lane by lane.
 */
function scatter4(g0: usize, stride: usize, k: i32, av: v128, cv: v128, w: usize, tv: v128, withT: bool): void {
  const g1 = g0 + stride, g2 = g1 + stride, g3 = g2 + stride;
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const o: usize = <usize>j << 2, t = TILE + (o << 2), tt = TILE_T + (o << 2);
    let c0 = cv, c1 = cv, c2 = cv, c3 = cv;
    if (w) {
      c0 = f32x4.mul(cv, v128.load32_splat(at(w, j))); c1 = f32x4.mul(cv, v128.load32_splat(at(w, j + 1)));
      c2 = f32x4.mul(cv, v128.load32_splat(at(w, j + 2))); c3 = f32x4.mul(cv, v128.load32_splat(at(w, j + 3)));
    }
    if (withT) {
      c0 = f32x4.add(c0, f32x4.mul(tv, v128.load(tt))); c1 = f32x4.add(c1, f32x4.mul(tv, v128.load(tt, 16)));
      c2 = f32x4.add(c2, f32x4.mul(tv, v128.load(tt, 32))); c3 = f32x4.add(c3, f32x4.mul(tv, v128.load(tt, 48)));
    }
    const r0 = f32x4.sub(f32x4.mul(v128.load(t), av), c0);
    const r1 = f32x4.sub(f32x4.mul(v128.load(t, 16), av), c1);
    const r2 = f32x4.sub(f32x4.mul(v128.load(t, 32), av), c2);
    const r3 = f32x4.sub(f32x4.mul(v128.load(t, 48), av), c3);
    const q0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), q1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const q2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), q3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    v128.store(g0 + o, v128.shuffle<f32>(q0, q2, 0, 1, 4, 5));
    v128.store(g1 + o, v128.shuffle<f32>(q0, q2, 2, 3, 6, 7));
    v128.store(g2 + o, v128.shuffle<f32>(q1, q3, 0, 1, 4, 5));
    v128.store(g3 + o, v128.shuffle<f32>(q1, q3, 2, 3, 6, 7));
  }
  for (; j < k; j++) {
    const o: usize = <usize>j << 2;
    let c = w ? f32x4.mul(cv, v128.load32_splat(at(w, j))) : cv;
    if (withT) c = f32x4.add(c, f32x4.mul(tv, v128.load(TILE_T + (o << 2))));
    const r = f32x4.sub(f32x4.mul(v128.load(TILE + (o << 2)), av), c);
    store<f32>(g0 + o, f32x4.extract_lane(r, 0));
    store<f32>(g1 + o, f32x4.extract_lane(r, 1));
    store<f32>(g2 + o, f32x4.extract_lane(r, 2));
    store<f32>(g3 + o, f32x4.extract_lane(r, 3));
  }
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
    // pass A: columns into the tile, max and finiteness probe per lane
    const mx = gather4(z0, z1, z2, z3, k, TILE);
    if (!gatherFinite) return false;
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
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2 = v128.load32_splat(EXP_CONSTS + 52);
    const p0 = v128.load32_splat(EXP_CONSTS + 20);
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
      const e = vexpNeg(d, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const eB = vexpNeg(dB, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
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
      const e = vexpNeg(d, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(t, e);
      sLo = f64x2.add(sLo, f64x2.promote_low_f32x4(e));
      sHi = f64x2.add(sHi, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
      dv = f32x4.add(dv, pt ? f32x4.mul(d, v128.load32_splat(at(w, j2))) : d);
    }
    // The pair sums above held e_y in f32 with its partner column: on a confident row (label the clear
    // argmax) e_y = 1 and the partner's tiny e lost most of its bits, and the row loss is log S with S =
    // 1 + tiny (20% off at K = 3). Re-add each row's pair (y, y ^ 1) in f64 (the odd last column has no
    // partner: 0). With 'others' the tile held 1 at y, which is what was summed, fixed up just below.
    // the target's e (with 'others' the 1 that stood in for it until the fix-up below)
    let eyv = f32x4.splat(load<f32>(TILE + (<usize>y0 << 4)));
    eyv = f32x4.replace_lane(eyv, 1, load<f32>(TILE + (<usize>y1 << 4) + 4));
    eyv = f32x4.replace_lane(eyv, 2, load<f32>(TILE + (<usize>y2 << 4) + 8));
    eyv = f32x4.replace_lane(eyv, 3, load<f32>(TILE + (<usize>y3 << 4) + 12));
    {
      const kEven = k & ~1;
      const av = eyv;
      let bv = f32x4.splat(y0 < kEven ? load<f32>(TILE + (<usize>(y0 ^ 1) << 4)) : 0);
      bv = f32x4.replace_lane(bv, 1, y1 < kEven ? load<f32>(TILE + (<usize>(y1 ^ 1) << 4) + 4) : 0);
      bv = f32x4.replace_lane(bv, 2, y2 < kEven ? load<f32>(TILE + (<usize>(y2 ^ 1) << 4) + 8) : 0);
      bv = f32x4.replace_lane(bv, 3, y3 < kEven ? load<f32>(TILE + (<usize>(y3 ^ 1) << 4) + 12) : 0);
      const sv = f32x4.add(av, bv);
      sLo = f64x2.add(sLo, f64x2.sub(f64x2.add(f64x2.promote_low_f32x4(av), f64x2.promote_low_f32x4(bv)), f64x2.promote_low_f32x4(sv)));
      sHi = f64x2.add(sHi, f64x2.sub(f64x2.add(f64x2.promote_low_f32x4(hiOf(av)), f64x2.promote_low_f32x4(hiOf(bv))),
        f64x2.promote_low_f32x4(hiOf(sv))));
    }
    if (cOth) {
      let ey = f32x4.splat(expNeg(zy0 - m0));
      ey = f32x4.replace_lane(ey, 1, expNeg(zy1 - m1));
      ey = f32x4.replace_lane(ey, 2, expNeg(zy2 - m2));
      ey = f32x4.replace_lane(ey, 3, expNeg(zy3 - m3));
      const one = f64x2.splat(1);
      sLo = f64x2.add(sLo, f64x2.sub(f64x2.promote_low_f32x4(ey), one));
      sHi = f64x2.add(sHi, f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(ey, ey, 2, 3, 2, 3)), one));
      store<f32>(TILE + (<usize>y0 << 4), f32x4.extract_lane(ey, 0));
      store<f32>(TILE + (<usize>y1 << 4) + 4, f32x4.extract_lane(ey, 1));
      store<f32>(TILE + (<usize>y2 << 4) + 8, f32x4.extract_lane(ey, 2));
      store<f32>(TILE + (<usize>y3 << 4) + 12, f32x4.extract_lane(ey, 3));
      eyv = ey;
    }
    // Per-row finish, two rows per f64x2 (lo: rows 0–1, hi: rows 2–3): rowFinish's formulas with the
    // per-call coefficients of crossEntropyIndex (see vQW … vG0), and the log taken here (vlogF64)
    // instead of deferred. a = w_y (1 without weights).
    let zyv = f32x4.splat(zy0);
    zyv = f32x4.replace_lane(zyv, 1, zy1); zyv = f32x4.replace_lane(zyv, 2, zy2); zyv = f32x4.replace_lane(zyv, 3, zy3);
    const lyv = f32x4.sub(zyv, mx);
    let av4 = f32x4.splat(1);
    if (cMode != WEIGHT_NONE) {
      av4 = f32x4.splat(load<f32>(at(w, y0)));
      av4 = f32x4.replace_lane(av4, 1, load<f32>(at(w, y1)));
      av4 = f32x4.replace_lane(av4, 2, load<f32>(at(w, y2)));
      av4 = f32x4.replace_lane(av4, 3, load<f32>(at(w, y3)));
    }
    finishPair(sLo, f64x2.promote_low_f32x4(dv), f64x2.promote_low_f32x4(lyv), f64x2.promote_low_f32x4(mx),
      f64x2.promote_low_f32x4(av4), f64x2.promote_low_f32x4(eyv), pt);
    const alLo = v128.load(FIN + FIN_ALPHA), cLo = v128.load(FIN + FIN_C), gyLo = v128.load(FIN + FIN_GY);
    const pLo = v128.load(FIN + FIN_P), qLo = v128.load(FIN + FIN_Q);
    const ceLo = v128.load(FIN + FIN_CE), lzLo = v128.load(FIN + FIN_LSE2);
    finishPair(sHi, f64x2.promote_low_f32x4(hiOf(dv)), f64x2.promote_low_f32x4(hiOf(lyv)), f64x2.promote_low_f32x4(hiOf(mx)),
      f64x2.promote_low_f32x4(hiOf(av4)), f64x2.promote_low_f32x4(hiOf(eyv)), pt);
    const alHi = v128.load(FIN + FIN_ALPHA), cHi = v128.load(FIN + FIN_C), gyHi = v128.load(FIN + FIN_GY);
    const lam = cLambda;
    if (lam == 0) {
      // the four logs go to logFlush with the deferred rows of the row path
      tileDefer(i, sLo, sHi, pLo, v128.load(FIN + FIN_P), qLo, v128.load(FIN + FIN_Q));
    } else {
      tileLosses(i, rowLoss, lam, ceLo, v128.load(FIN + FIN_CE), lzLo, v128.load(FIN + FIN_LSE2));
    }
    if (!grad) return true;
    // pass C: g = α·e − c, scattered back to the four rows, then the target fix-ups
    const av = joinF32(alLo, alHi), cv = joinF32(cLo, cHi), gyv = joinF32(gyLo, gyHi);
    const g0 = g + <usize>i * stride, g1 = g0 + stride, g2 = g1 + stride, g3 = g2 + stride;
    scatter4(g0, stride, k, av, cv, pt ? w : 0, cv, false);
    store<f32>(at(g0, y0), f32x4.extract_lane(gyv, 0));
    store<f32>(at(g1, y1), f32x4.extract_lane(gyv, 1));
    store<f32>(at(g2, y2), f32x4.extract_lane(gyv, 2));
    store<f32>(at(g3, y3), f32x4.extract_lane(gyv, 3));
    return true;
  }
  return false;
}

// per-call constants of crossEntropyProb, for tileProb
let pA: f64 = 0;
let pB: f64 = 0;
let pW: f64 = 0;
let pS: f64 = 0;
let pLambda: f64 = 0;

/**
 * Probability targets, four rows across the lanes (small K): crossEntropyProb's row formulas with
 * r_j = (A·t_j + B)·w_j. Returns false, writing nothing, when a row holds a non-finite logit or target:
 * the caller then takes the row path.
 */
function tileProb(z: usize, t: usize, i: i32, k: i32, w: usize, g: usize, grad: bool, rowLoss: usize): bool {
  if (ASC_FEATURE_SIMD) {
    const stride: usize = <usize>k << 2;
    const z0 = z + <usize>i * stride, t0 = t + <usize>i * stride;
    const mx = gather4(z0, z0 + stride, z0 + 2 * stride, z0 + 3 * stride, k, TILE);
    if (!gatherFinite) return false;
    gather4(t0, t0 + stride, t0 + 2 * stride, t0 + 3 * stride, k, TILE_T);
    if (!gatherFinite) return false;
    const lo = v128.load32_splat(EXP_CONSTS), log2e = v128.load32_splat(EXP_CONSTS + 4);
    const magic = v128.load32_splat(EXP_CONSTS + 8), ln2 = v128.load32_splat(EXP_CONSTS + 52);
    const p0 = v128.load32_splat(EXP_CONSTS + 20);
    const p1 = v128.load32_splat(EXP_CONSTS + 24), p2 = v128.load32_splat(EXP_CONSTS + 28);
    const p3 = v128.load32_splat(EXP_CONSTS + 32), one = v128.load32_splat(EXP_CONSTS + 36);
    const p4 = v128.load32_splat(EXP_CONSTS + 48);
    // pass B: e = exp(z − m) in place; per lane S = Σ e, T = Σ t·w, TD = Σ t·w·(z − m), WD = Σ w·(z − m),
    // each summed a column at a time into f64 (rows 0–1 and 2–3): targets are often equal values that a
    // long f32 lane sum would round the same way each time. t·w goes back into the targets' tile.
    let sL = f64x2.splat(0), sH = sL, tL = sL, tH = sL, tdL = sL, tdH = sL, wdL = sL, wdH = sL;
    for (let j = 0; j < k; j++) {
      const o: usize = <usize>j << 4;
      const d = f32x4.sub(v128.load(TILE + o), mx);
      const e = vexpNeg(d, lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      v128.store(TILE + o, e);
      let tw = v128.load(TILE_T + o), wd = d;
      if (w) {
        const wj = v128.load32_splat(at(w, j));
        tw = f32x4.mul(tw, wj);
        wd = f32x4.mul(d, wj);
        v128.store(TILE_T + o, tw);
      }
      const td = f32x4.mul(tw, d);
      sL = f64x2.add(sL, f64x2.promote_low_f32x4(e)); sH = f64x2.add(sH, f64x2.promote_low_f32x4(hiOf(e)));
      tL = f64x2.add(tL, f64x2.promote_low_f32x4(tw)); tH = f64x2.add(tH, f64x2.promote_low_f32x4(hiOf(tw)));
      tdL = f64x2.add(tdL, f64x2.promote_low_f32x4(td)); tdH = f64x2.add(tdH, f64x2.promote_low_f32x4(hiOf(td)));
      wdL = f64x2.add(wdL, f64x2.promote_low_f32x4(wd)); wdH = f64x2.add(wdH, f64x2.promote_low_f32x4(hiOf(wd)));
    }
    // finish, two rows per f64x2: R = A·T + B·W, RD = A·TD + B·WD, CE = R·log S − RD
    const A = f64x2.splat(pA), B = f64x2.splat(pB), Wv = f64x2.splat(pW * pB), sv = f64x2.splat(pS);
    const rL = f64x2.add(f64x2.mul(A, tL), Wv), rH = f64x2.add(f64x2.mul(A, tH), Wv);
    const rdL = f64x2.add(f64x2.mul(A, tdL), f64x2.mul(B, wdL)), rdH = f64x2.add(f64x2.mul(A, tdH), f64x2.mul(B, wdH));
    let numL = f64x2.mul(sv, rL), numH = f64x2.mul(sv, rH);
    if (pLambda == 0) {
      // deferred: P = −RD, Q = R (logFlush)
      tileDefer(i, sL, sH, f64x2.neg(rdL), f64x2.neg(rdH), rL, rH);
    } else {
      const logL = vlogF64(sL), logH = vlogF64(sH);
      const lseL = f64x2.add(f64x2.promote_low_f32x4(mx), logL), lseH = f64x2.add(f64x2.promote_low_f32x4(hiOf(mx)), logH);
      const lam2 = f64x2.splat(pS * 2 * pLambda);
      numL = f64x2.add(numL, f64x2.mul(lam2, lseL));
      numH = f64x2.add(numH, f64x2.mul(lam2, lseH));
      tileLosses(i, rowLoss, pLambda, f64x2.sub(f64x2.mul(rL, logL), rdL), f64x2.sub(f64x2.mul(rH, logH), rdH),
        f64x2.mul(lseL, lseL), f64x2.mul(lseH, lseH));
    }
    if (!grad) return true;
    // pass C: g = α·e − s·(A·t + B)·w (t·w is in the targets' tile when weighted), scattered back
    const av = joinF32(f64x2.div(numL, sL), f64x2.div(numH, sH));
    const sav = f32x4.splat(<f32>(pS * pA)), sbv = f32x4.splat(<f32>(pS * pB));
    scatter4(g + <usize>i * stride, stride, k, av, sbv, w, sav, true);
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
  const kp: f64 = oth ? kf - 1 : kf;
  vQW = wMode == WEIGHT_PYTORCH ? cA - (oth ? cB : 0) : cA + cB * kp;
  vQW0 = wMode == WEIGHT_PYTORCH ? cB * W : 0;
  vG0 = s * cA + (oth ? 0 : s * cB);
  logN = 0; logCeSum = 0; logRowLoss = rowLoss;
  // without weights every row's Q is the same (see rowFinish), which logFlush can use
  logSameQ = wMode == WEIGHT_NONE;
  logQ = cA + cB * (oth ? kf - 1 : kf);
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
  //
  // Pass 1 stays, also out of place. Shifting by the max of a sample instead and redoing the rare rows
  // whose max lies far above it saved 3–9% at large K, but was not accurate enough: z − shift rounds to
  // half an f32 ulp of itself, up to 1.9e-6 for the logits near the max when the shift is 32–64 below
  // it, and the row loss then missed SPEC's 1e-6 (1.6× the bound when measured).
  //
  // Without smoothing mass (B = 0) the loss does not need Σ (z − m): pass 2 leaves it out (about a
  // seventh of its time) and pass 1 probes for non-finite logits instead, in place or not.
  const noD = cB == 0;
  const probe = zi == gi || noD;
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
    // y's term is summed exactly (dominantRepair): on a confident row it is the 1 of S = 1 + tiny
    let S = noD ? rowExpSumS(zi, gi, k, m, yi) : pt ? rowExpSumW(zi, gi, w, k, m, yi) : rowExpSum(zi, gi, k, m, yi);
    const sumB = noD ? 0 : rowSumB;
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
  pA = A; pB = B; pW = W; pS = s; pLambda = lambda;
  logN = 0; logCeSum = 0; logRowLoss = rowLoss; logSameQ = false;
  let i = 0;
  // Small K: four rows across the lanes (the tile holds its own copy, so g may equal z)
  if (ASC_FEATURE_SIMD && k <= SMALL_K && k > 1) {
    const n4 = n & ~3;
    while (i < n4) {
      if (tileProb(z, t, i, k, w, g, grad, rowLoss)) {
        ceSum += tileCeSum; zSum += tileZSum;
        i += 4;
        continue;
      }
      const end = i + 4;
      for (; i < end; i++) {
        probRow(z, t, i, k, eps, w, lambda, s, A, B, W, g, grad, rowLoss, stride);
        ceSum += rowCe; zSum += rowZ;
      }
    }
  }
  for (; i < n; i++) {
    probRow(z, t, i, k, eps, w, lambda, s, A, B, W, g, grad, rowLoss, stride);
    ceSum += rowCe; zSum += rowZ;
  }
  logFlush();
  ceSum += logCeSum;
  store<f64>(RESULTS + 16, mean ? (ceSum + lambda * zSum) * s : ceSum + lambda * zSum);
}

/** One row of crossEntropyProb (three passes, or rowGeneric). Sets rowCe, rowZ. */
function probRow(
  z: usize, t: usize, i: i32, k: i32, eps: f64, w: usize, lambda: f64, s: f64, A: f64, B: f64, W: f64,
  g: usize, grad: bool, rowLoss: usize, stride: usize,
): void {
  {
    const zi = z + <usize>i * stride;
    const gi = grad ? g + <usize>i * stride : g;
    const ti = t + <usize>i * stride;
    const probe = zi == gi; // see indexRow
    const m = probe ? rowMax(zi, k) : rowMaxFast(zi, k);
    let ce: f64 = 0, lse2: f64 = 0;
    // K = 1: the loss is 0 and the CE gradient exactly 0; the generic path gets that without rounding
    let fast = (!probe || rowFinite) && k > 1;
    if (fast) {
      let S = rowExpSumT(zi, gi, ti, w, k, m);
      const R = A * rowSumC + B * W, RD = A * rowSumB + B * rowSumD;
      // a masked class makes r·(z − m) −∞ or NaN (r = 0), NaN/+∞ logits make it NaN
      fast = probe || (RD - RD == 0 && S - S == 0);
      if (fast) {
        // A confident row (loss ≪ Σ r): its loss log S needs S's dominant 1 summed exactly (rows.ts)
        let logS = Math.log(S);
        ce = R * logS - RD;
        if (ce < R * 0.25) {
          S += expSumRepairAtMax(gi, k);
          logS = Math.log(S);
          ce = R * logS - RD;
        }
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
    rowCe = ce;
    rowZ = lse2;
  }
}
