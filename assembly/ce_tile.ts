// The small-K engine of cross-entropy (docs/spec.md "crossEntropy"; docs/performance.md):
// four rows across the SIMD lanes, transposed into a tile (gather4), exp'd and summed a column at a
// time, finished two rows per f64x2, and scattered back (scatter4). SIMD builds only; a tile with an
// ignored or non-finite row returns false and the caller takes those rows by the row path.

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4,
  expNeg, vexpNeg,
} from "./math/exp";
import { at } from "./math/vec";
import { vlogF64 } from "./math/log";
import { WEIGHT_NONE, WEIGHT_PYTORCH } from "./common";
import { CeCall } from "./ce_call";
import { LOG_BLOCK, LOG_S, LOG_P, LOG_Q, LOG_ROW, logFlush } from "./ce_deferred_logs";

/**
 * Widest K for which rows go across the SIMD lanes (four rows at a time). With the f64x2 finish, tile
 * against row path in ns a row (SIMD build, 512 rows, same-process A/B, min of 300 runs): K = 44: 64.8
 * vs 75.3; 56: 79.3 vs 86.1; 64: 89.1 vs 92.5; 72: 98.7 vs 102.5; 80: 108.9 vs 109.0; 96: 128.5 vs
 * 123.9 (relaxed build: even at K ≈ 80, 1.03× slower at 100). Before the f64x2 finish the crossover was
 * near 48, and without the 4×4 transposes near 18.
 */
export const SMALL_K: i32 = 72;
/** Transposed tile of four rows: SMALL_K vectors, lane r = row r. */
let TILE: usize = memory.data(16 * SMALL_K, 16);
/** The targets' tile of tileProb (same layout). */
let TILE_T: usize = memory.data(16 * SMALL_K, 16);


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


// outputs of finishPair, one v128 each (memory, not globals: the scalar build has no v128 type)
let FIN: usize = memory.data(16 * 7, 16);
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
@inline function tileDefer(ctx: CeCall, i: i32, sL: v128, sH: v128, pL: v128, pH: v128, qL: v128, qH: v128): void {
  if (ctx.logN + 4 > LOG_BLOCK) logFlush(ctx);
  const o: usize = <usize>ctx.logN << 3;
  v128.store(LOG_S + o, sL); v128.store(LOG_S + o, sH, 16);
  v128.store(LOG_P + o, pL); v128.store(LOG_P + o, pH, 16);
  v128.store(LOG_Q + o, qL); v128.store(LOG_Q + o, qH, 16);
  const r: usize = LOG_ROW + (<usize>ctx.logN << 2);
  store<i32>(r, i); store<i32>(r, i + 1, 4); store<i32>(r, i + 2, 8); store<i32>(r, i + 3, 12);
  ctx.logN += 4;
  ctx.tileCeSum = 0;
  ctx.tileZSum = 0;
}

/** A tile's four rows with z-loss, losses known: per-row losses (CE + λ·lse²) if wanted, and the sums. */
// @ts-ignore: decorator
@inline function tileLosses(ctx: CeCall, i: i32, rowLoss: usize, lambda: f64, ceL: v128, ceH: v128, zL: v128, zH: v128): void {
  if (rowLoss) {
    const lam = f64x2.splat(lambda);
    const lL = f64x2.add(ceL, f64x2.mul(lam, zL)), lH = f64x2.add(ceH, f64x2.mul(lam, zH));
    store<f32>(at(rowLoss, i), <f32>f64x2.extract_lane(lL, 0));
    store<f32>(at(rowLoss, i + 1), <f32>f64x2.extract_lane(lL, 1));
    store<f32>(at(rowLoss, i + 2), <f32>f64x2.extract_lane(lH, 0));
    store<f32>(at(rowLoss, i + 3), <f32>f64x2.extract_lane(lH, 1));
  }
  ctx.tileCeSum = (f64x2.extract_lane(ceL, 0) + f64x2.extract_lane(ceL, 1)) + (f64x2.extract_lane(ceH, 0) + f64x2.extract_lane(ceH, 1));
  ctx.tileZSum = (f64x2.extract_lane(zL, 0) + f64x2.extract_lane(zL, 1)) + (f64x2.extract_lane(zH, 0) + f64x2.extract_lane(zH, 1));
}

/**
 * rowFinish for two tile rows at once (f64x2 lanes): S, sumB = Σ (z − m) (weighted for 'pytorch'),
 * ly = z_y − m, m, a = w_y, ey = e_y. Stores α, c and the target's gradient (α·e_y − s·(…)) at FIN;
 * with z-loss also the rows' CE and lse², without it P and Q of CE = P + Q·log S (for logFlush).
 */
// @ts-ignore: decorator
@inline function finishPair(ctx: CeCall, S: v128, sumB: v128, ly: v128, m: v128, a: v128, ey: v128, pt: bool): void {
  const A = f64x2.splat(ctx.A), B = f64x2.splat(ctx.B), s = f64x2.splat(ctx.s);
  const Ba = pt ? B : f64x2.mul(B, a);
  const P = f64x2.neg(f64x2.add(f64x2.mul(f64x2.mul(A, a), ly), f64x2.mul(Ba, sumB)));
  const Q = f64x2.add(f64x2.mul(f64x2.splat(ctx.tileQW), a), f64x2.splat(ctx.tileQW0));
  const sumR = pt ? Q : a;
  let num = f64x2.mul(s, sumR);
  if (ctx.lambda == 0) {
    // deferred: the tile hands P, Q and S to logFlush
    v128.store(FIN + FIN_P, P);
    v128.store(FIN + FIN_Q, Q);
  } else {
    const logS = vlogF64(S);
    const lse = f64x2.add(m, logS);
    v128.store(FIN + FIN_CE, f64x2.add(P, f64x2.mul(Q, logS)));
    v128.store(FIN + FIN_LSE2, f64x2.mul(lse, lse));
    num = f64x2.add(num, f64x2.mul(f64x2.splat(ctx.zs * 2 * ctx.lambda), lse));
  }
  const alpha = f64x2.div(num, S);
  v128.store(FIN + FIN_ALPHA, alpha);
  v128.store(FIN + FIN_C, f64x2.mul(s, Ba));
  v128.store(FIN + FIN_GY, f64x2.sub(f64x2.mul(alpha, ey), f64x2.mul(f64x2.splat(ctx.tileGy0), a)));
}



/**
 * Pass A of a tile: rows r0…r3 (k floats each) transposed into dst (column j at dst + 16·j, lane r =
 * row r), four columns at a time by a 4×4 transpose and the rest lane by lane. Returns the lanes' max
 * and sets gatherFinite (a finiteness probe: the lanes' f32 sums).
 */
function gather4(ctx: CeCall, r0: usize, r1: usize, r2: usize, r3: usize, k: i32, dst: usize): v128 {
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
  ctx.gatherFinite = i32x4.all_true(f32x4.eq(f32x4.sub(probe, probe), f32x4.splat(0)));
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
export function tile4(ctx: CeCall, z: usize, y: usize, i: i32, k: i32, ignoreIndex: i32, w: usize, g: usize, grad: bool, rowLoss: usize): bool {
  const stride: usize = <usize>k << 2;
  const z0 = z + <usize>i * stride, z1 = z0 + stride, z2 = z1 + stride, z3 = z2 + stride;
  const y0 = load<i32>(at(y, i)), y1 = load<i32>(at(y, i + 1)), y2 = load<i32>(at(y, i + 2)), y3 = load<i32>(at(y, i + 3));
  if (y0 == ignoreIndex || y1 == ignoreIndex || y2 == ignoreIndex || y3 == ignoreIndex) return false;
  if (ASC_FEATURE_SIMD) {
    // pass A: columns into the tile, max and finiteness probe per lane
    const mx = gather4(ctx, z0, z1, z2, z3, k, TILE);
    if (!ctx.gatherFinite) return false;
    const m0 = f32x4.extract_lane(mx, 0), m1 = f32x4.extract_lane(mx, 1), m2 = f32x4.extract_lane(mx, 2), m3 = f32x4.extract_lane(mx, 3);
    const zy0 = load<f32>(at(z0, y0)), zy1 = load<f32>(at(z1, y1)), zy2 = load<f32>(at(z2, y2)), zy3 = load<f32>(at(z3, y3));
    if (ctx.others) {
      // leave y out of the smoothing sum: its tile entry becomes the max (d = 0, e = 1, fixed below)
      store<f32>(TILE + (<usize>y0 << 4), m0);
      store<f32>(TILE + (<usize>y1 << 4) + 4, m1);
      store<f32>(TILE + (<usize>y2 << 4) + 8, m2);
      store<f32>(TILE + (<usize>y3 << 4) + 12, m3);
    }
    // pass B: e = exp(z − m) in place in the tile, lane sums
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    // S per lane (row) in f64: pairs of columns summed in f32, then into two f64x2 accumulators (rows
    // 0–1 and 2–3). An f32 lane sum rounds every tiny addend the same way once it holds the dominant
    // e = 1: one confident class among near-zero logits put S 1e-6 off (1.6× the gradient bound of docs/spec.md "Accuracy").
    let sLo = f64x2.splat(0), sHi = sLo, dv = f32x4.splat(0);
    const pt = ctx.weightMode == WEIGHT_PYTORCH;
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
    if (ctx.others) {
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
    // per-call coefficients of crossEntropyIndex (ctx.tileQW … ctx.tileGy0), and the log taken here (vlogF64)
    // instead of deferred. a = w_y (1 without weights).
    let zyv = f32x4.splat(zy0);
    zyv = f32x4.replace_lane(zyv, 1, zy1); zyv = f32x4.replace_lane(zyv, 2, zy2); zyv = f32x4.replace_lane(zyv, 3, zy3);
    const lyv = f32x4.sub(zyv, mx);
    let av4 = f32x4.splat(1);
    if (ctx.weightMode != WEIGHT_NONE) {
      av4 = f32x4.splat(load<f32>(at(w, y0)));
      av4 = f32x4.replace_lane(av4, 1, load<f32>(at(w, y1)));
      av4 = f32x4.replace_lane(av4, 2, load<f32>(at(w, y2)));
      av4 = f32x4.replace_lane(av4, 3, load<f32>(at(w, y3)));
    }
    finishPair(ctx, sLo, f64x2.promote_low_f32x4(dv), f64x2.promote_low_f32x4(lyv), f64x2.promote_low_f32x4(mx),
      f64x2.promote_low_f32x4(av4), f64x2.promote_low_f32x4(eyv), pt);
    const alLo = v128.load(FIN + FIN_ALPHA), cLo = v128.load(FIN + FIN_C), gyLo = v128.load(FIN + FIN_GY);
    const pLo = v128.load(FIN + FIN_P), qLo = v128.load(FIN + FIN_Q);
    const ceLo = v128.load(FIN + FIN_CE), lzLo = v128.load(FIN + FIN_LSE2);
    finishPair(ctx, sHi, f64x2.promote_low_f32x4(hiOf(dv)), f64x2.promote_low_f32x4(hiOf(lyv)), f64x2.promote_low_f32x4(hiOf(mx)),
      f64x2.promote_low_f32x4(hiOf(av4)), f64x2.promote_low_f32x4(hiOf(eyv)), pt);
    const alHi = v128.load(FIN + FIN_ALPHA), cHi = v128.load(FIN + FIN_C), gyHi = v128.load(FIN + FIN_GY);
    const lam = ctx.lambda;
    if (lam == 0) {
      // the four logs go to logFlush with the deferred rows of the row path
      tileDefer(ctx, i, sLo, sHi, pLo, v128.load(FIN + FIN_P), qLo, v128.load(FIN + FIN_Q));
    } else {
      tileLosses(ctx, i, rowLoss, lam, ceLo, v128.load(FIN + FIN_CE), lzLo, v128.load(FIN + FIN_LSE2));
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


/**
 * Probability targets, four rows across the lanes (small K): crossEntropyProb's row formulas with
 * r_j = (A·t_j + B)·w_j. Returns false, writing nothing, when a row holds a non-finite logit or target:
 * the caller then takes the row path.
 */
export function tileProb(ctx: CeCall, z: usize, t: usize, i: i32, k: i32, w: usize, g: usize, grad: bool, rowLoss: usize): bool {
  if (ASC_FEATURE_SIMD) {
    const stride: usize = <usize>k << 2;
    const z0 = z + <usize>i * stride, t0 = t + <usize>i * stride;
    const mx = gather4(ctx, z0, z0 + stride, z0 + 2 * stride, z0 + 3 * stride, k, TILE);
    if (!ctx.gatherFinite) return false;
    gather4(ctx, t0, t0 + stride, t0 + 2 * stride, t0 + 3 * stride, k, TILE_T);
    if (!ctx.gatherFinite) return false;
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
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
    const A = f64x2.splat(ctx.A), B = f64x2.splat(ctx.B), Wv = f64x2.splat(ctx.sumW * ctx.B), sv = f64x2.splat(ctx.s);
    const rL = f64x2.add(f64x2.mul(A, tL), Wv), rH = f64x2.add(f64x2.mul(A, tH), Wv);
    const rdL = f64x2.add(f64x2.mul(A, tdL), f64x2.mul(B, wdL)), rdH = f64x2.add(f64x2.mul(A, tdH), f64x2.mul(B, wdH));
    let numL = f64x2.mul(sv, rL), numH = f64x2.mul(sv, rH);
    if (ctx.lambda == 0) {
      // deferred: P = −RD, Q = R (logFlush)
      tileDefer(ctx, i, sL, sH, f64x2.neg(rdL), f64x2.neg(rdH), rL, rH);
    } else {
      const logL = vlogF64(sL), logH = vlogF64(sH);
      const lseL = f64x2.add(f64x2.promote_low_f32x4(mx), logL), lseH = f64x2.add(f64x2.promote_low_f32x4(hiOf(mx)), logH);
      const lam2 = f64x2.splat(ctx.s * 2 * ctx.lambda);
      numL = f64x2.add(numL, f64x2.mul(lam2, lseL));
      numH = f64x2.add(numH, f64x2.mul(lam2, lseH));
      tileLosses(ctx, i, rowLoss, ctx.lambda, f64x2.sub(f64x2.mul(rL, logL), rdL), f64x2.sub(f64x2.mul(rH, logH), rdH),
        f64x2.mul(lseL, lseL), f64x2.mul(lseH, lseH));
    }
    if (!grad) return true;
    // pass C: g = α·e − s·(A·t + B)·w (t·w is in the targets' tile when weighted), scattered back
    const av = joinF32(f64x2.div(numL, sL), f64x2.div(numH, sH));
    const sav = f32x4.splat(<f32>(ctx.s * ctx.A)), sbv = f32x4.splat(<f32>(ctx.s * ctx.B));
    scatter4(g + <usize>i * stride, stride, k, av, sbv, w, sav, true);
    return true;
  }
  return false;
}

/** Moves the tile scratch into a pool worker's context block at `base` (assembly/thread_context.ts). */
export function rebaseTile(base: usize): usize {
  TILE = base; TILE_T = base + 16 * <usize>SMALL_K; FIN = base + 32 * <usize>SMALL_K;
  return base + TILE_BYTES;
}

/** Bytes of the tile scratch (TILE, TILE_T, FIN) in a context block. */
export const TILE_BYTES: usize = 32 * <usize>SMALL_K + 16 * 7;
