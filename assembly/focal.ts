// Softmax focal loss, fused forward + gradient (docs/spec.md "focal"): crossEntropy's `focal` option.
//
// Per row, with r the weighted smoothed target of crossEntropy, α_j the focal weight, p = softmax(z),
// u_j = 1 − p_j and nl_j = −log p_j = log S − (z_j − m):
//   L = Σ_j c_j·u_j^γ·nl_j                      c_j = α_j·r_j
//   a_j = c_j·u_j^(γ−1)·(u_j + γ·p_j·nl_j)      ∂L/∂z_k = s·(p_k·Σ_j a_j − a_k) + zs·2λ·lse·p_k
// (γ = 0: a_j = c_j and L is α-weighted cross-entropy.)
//
// Passes over a finite row (rows.ts): 1 max (and the finiteness probe), 2 e = exp(z − m) stored and
// summed (the label's group re-summed exactly), then
//   - without smoothing mass on index targets (B = 0) only the label's term is non-zero: its
//     coefficients are formed in f64 and pass 3 is crossEntropy's scale (g = e·coef), one store fixed;
//   - otherwise pass 3 forms every class's term (f32 lanes, summed in groups of four vectors into f64), storing a_j
//     in g (a_j / c where c is the same for every class: c then scales the sums and pass 4), and pass 4
//     writes g = e·coef − s·a. The powers (1 − p)^(γ−1) are products for integer γ, a binomial series in
//     p for other γ ≤ 8 where every p < 1/16, and exp((γ−1)·log(1 − p)) elsewhere.
// 1 − p is formed without cancellation: only a row's unique maximum can have p > ½ (then S < 2), and
// that class is taken out of the vector pass and done in f64 (so is the part of the label's coefficient
// beyond the smoothing mass every class gets; the label's p ≤ ½ term is in the vector pass) with
// u = Σ_{k≠max} e_k / S and nl = log1p(Σ_{k≠max} e_k) — the sum re-added from the stored e when S − 1
// holds too few of its bits — and nl/u → 1 as u → 0, so a confident row keeps its loss where u^γ
// underflows f32 and its gradient never meets 0·∞. Rows with a non-finite logit (masked classes
// included) take focalGeneric, scalar f64 throughout.
//
// A call is a parameter block (assembly/params.ts FOC_*) run as row blocks on the pool or the calling
// thread (focalPrepare / focalBlock / focalFinish; docs/spec.md "Threads"). linearCrossEntropy's loss
// step runs focalRows on its chunk's rows the same way (its blocks are crossEntropy's row blocks).

import { at, accF64, hsum2 } from "./math/vec";
import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4,
  EXP_MIN_ARG,
  expNeg, expAny, vexpNeg, madd, nmadd,
} from "./math/exp";
import {
  LOG_AT_BIAS, LOG_AT_C3, LOG_AT_C5, LOG_AT_C7, LOG_AT_C9, LOG_AT_LN2_HI, LOG_AT_LN2_LO, LOG_AT_MANT, LOG_AT_ONE,
  LOG_AT_SHIFT, LOG_AT_SQRTH, LOG_AT_TWO, logPos, vlogPos,
} from "./math/log";
import {
  RESULTS, RESULT_DIVISOR, RESULT_COUNT, RESULT_LOSS, REDUCE_MEAN, REDUCE_NONE, WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET,
} from "./common";
import { labelScan } from "./ce_labels";
import {
  rowMax, rowFinite, expStoreSumOnly, expStoreSumFloor, expSumNoStore, firstIndexOf, rowFill, scaleSubtract,
} from "./rows";
import { ceBlockRows } from "./cross_entropy";
import {
  FOC_ALPHA, FOC_ALPHA_V, FOC_BLOCKS, FOC_CW, FOC_CW_EFF, FOC_EPS, FOC_G, FOC_GAMMA, FOC_GRAD, FOC_IGNORE, FOC_INDEX,
  FOC_K, FOC_LAMBDA, FOC_N, FOC_OTHERS, FOC_REDUCTION, FOC_ROW_LOSS, FOC_S, FOC_SCHEDULE, FOC_SCRATCH, FOC_SLOTS,
  FOC_T, FOC_W, FOC_W_MODE, FOC_W_MODE_EFF, FOC_Z, FOC_ZS,
} from "./params";
import { pF64, pI32, pPtr } from "./param_fields";
import { FOCAL_GAMMA_FLSD53, powU } from "./focal_params";

// ---- the call's settings: globals of this instance, set from the parameter block at the start of
// every block (focalBegin), so each thread of the pool reads them into its own instance
let gamma: f64 = 0;
/** γ as an integer when it is one (0…64), else −1: the powers are then products. */
let gammaInt: i32 = 0;
let flsd: bool = false;
let eps: f64 = 0;
let lambda: f64 = 0;
let others: bool = false;
let wMode: i32 = WEIGHT_NONE;
let wPtr: usize = 0;
let alphaPtr: usize = 0;
let alphaS: f64 = 1;
/** α_j·(w_j where weights enter per class) as f32, or 0 when that is the scalar alphaS. */
let cwPtr: usize = 0;
let sRed: f64 = 1;
let zsRed: f64 = 1;
let wantGrad: bool = false;
/** The K of floorLo / floorMass (spanFloorLog and the mass it can add to a row's sum, per K). */
let floorK: i32 = -1;
let floorLo: f32 = 0;
let floorMass: f64 = 0;

// ---- outputs of a row, and of a range of rows
let rowZ: f64 = 0;
let spanLoss: f64 = 0;
let spanA: f64 = 0;
/** Σ of the rows' focal losses, and of their lse² (z-loss), over the last focalRows. */
export let focalCeSum: f64 = 0;
export let focalZSum: f64 = 0;

/** γ of a row: the fixed γ, or FLSD-53's by the true class's probability. */
// @ts-ignore: decorator
@inline function rowGamma(pTrue: f64): f64 {
  return flsd ? (pTrue < 0.2 ? 5.0 : 3.0) : gamma;
}

/** α_j times the per-class weight (where weights enter per class), in f64. */
// @ts-ignore: decorator
@inline function cw64(j: i32, perClassW: bool): f64 {
  let c = alphaPtr ? <f64>load<f32>(at(alphaPtr, j)) : alphaS;
  if (perClassW) c *= <f64>load<f32>(at(wPtr, j));
  return c;
}

/**
 * Sets this instance's settings for a call (every block calls it: see the globals above). g: γ (3
 * under FLSD-53); w / mode: class weights and their effective mode; alpha: per-class α or 0; cw: the
 * coefficient row (focalCoefRow) or 0; s, zs: the call's scales.
 */
export function focalBegin(
  g: f64, schedule: i32, alphaScalar: f64, alpha: usize, cw: usize, epsilon: f64, lam: f64, oth: bool, w: usize, mode: i32,
  s: f64, zs: f64, grad: bool,
): void {
  gamma = g;
  flsd = schedule == FOCAL_GAMMA_FLSD53;
  gammaInt = flsd ? 3 : (g == Math.floor(g) && g <= 64 ? <i32>g : -1);
  alphaS = alphaScalar; alphaPtr = alpha; cwPtr = cw;
  eps = epsilon; lambda = lam; others = oth;
  wPtr = w; wMode = w ? mode : WEIGHT_NONE;
  sRed = s; zsRed = zs; wantGrad = grad;
}

/**
 * The per-class coefficient row c_j = α_j·(w_j where weights enter per class) into `cw` (K floats),
 * when α or the weights vary by class; returns cw then, else 0 (c is the scalar α). Run once per call,
 * before any block.
 */
export function focalCoefRow(cw: usize, k: i32, alpha: usize, alphaScalar: f64, w: usize, perClassW: bool): usize {
  if (!alpha && !perClassW) return 0;
  for (let j = 0; j < k; j++) {
    let c = alpha ? <f64>load<f32>(at(alpha, j)) : alphaScalar;
    if (perClassW) c *= <f64>load<f32>(at(w, j));
    store<f32>(at(cw, j), <f32>c);
  }
  return cw;
}

/** Bytes of one thread's scratch: the row of exponentials (16-aligned). */
export function focalScratchBytes(k: i32): i32 {
  return ((max(k, 1) << 2) + 15) & ~15;
}

/**
 * Rows [r0, r1) of a call whose settings are set (focalBegin): z N×K logits, g the gradient (may be
 * z; unused without grad), rowLoss N floats or 0, scratch one thread's row. Index targets: y the
 * labels (every label already checked), ignored rows get a zero gradient and loss; probability
 * targets (y = 0): t N×K. Sets focalCeSum / focalZSum to the range's sums, in row order.
 */
export function focalRows(
  z: usize, y: usize, t: usize, r0: i32, r1: i32, k: i32, ignoreIndex: i32, g: usize, rowLoss: usize, scratch: usize,
): void {
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = r0; i < r1; i++) {
    const zi = z + <usize>i * stride, gi = g + <usize>i * stride;
    let ce: f64;
    if (y) {
      const yi = load<i32>(at(y, i));
      if (yi == ignoreIndex) {
        if (wantGrad) rowFill(gi, k, 0);
        if (rowLoss) store<f32>(at(rowLoss, i), 0);
        continue;
      }
      ce = focalRow(zi, gi, scratch, 0, k, yi);
    } else {
      ce = focalRow(zi, gi, scratch, t + <usize>i * stride, k, -1);
    }
    ceSum += ce; zSum += rowZ;
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * rowZ));
  }
  focalCeSum = ceSum; focalZSum = zSum;
}

// ---- crossEntropy's focal option as a parameter-block job (assembly/jobs.ts): row blocks of
// crossEntropy's rule (ceBlockRows: from N and K alone), each block's sums in its own slot, added in
// block order by focalFinish (docs/spec.md "Threads")


/**
 * Checks the labels (index targets), derives the scales, the weights' mode and the coefficient row
 * into the block, and applies the empty-divisor rule. Returns −1, or the first row with a bad label
 * (nothing written then).
 */
export function focalPrepare(p: usize): i32 {
  const n = pI32(p, FOC_N), k = pI32(p, FOC_K), index = pI32(p, FOC_INDEX) != 0;
  const w = pPtr(p, FOC_W);
  store<u32>(p + FOC_CW_EFF, 0);
  const reduction = pI32(p, FOC_REDUCTION);
  const mean = reduction == REDUCE_MEAN;
  if (reduction != REDUCE_NONE) store<u32>(p + FOC_ROW_LOSS, 0);
  let mode: i32, D: f64, cnt: f64;
  if (index) {
    mode = w ? pI32(p, FOC_W_MODE) : WEIGHT_NONE;
    const bad = labelScan(pPtr(p, FOC_T), n, k, pI32(p, FOC_IGNORE), mode != WEIGHT_NONE ? w : 0);
    if (bad >= 0) return bad;
    D = load<f64>(RESULTS + RESULT_DIVISOR); cnt = load<f64>(RESULTS + RESULT_COUNT);
  } else {
    mode = w ? WEIGHT_PYTORCH : WEIGHT_NONE;
    D = <f64>n; cnt = D;
  }
  store<i32>(p + FOC_W_MODE_EFF, mode);
  store<f64>(p + FOC_S, mean && D > 0 ? 1 / D : 1);
  store<f64>(p + FOC_ZS, mean && cnt > 0 ? 1 / cnt : 1);
  if (mean && D == 0) {
    // the D = 0 rule of crossEntropy: zero gradient and loss, no row work
    if (pI32(p, FOC_GRAD)) memory.fill(pPtr(p, FOC_G), 0, <usize>n * <usize>k << 2);
    store<i32>(p + FOC_BLOCKS, 0);
    return -1;
  }
  if (n > 0) store<u32>(p + FOC_CW_EFF, <u32>focalCoefRow(pPtr(p, FOC_CW), k, pPtr(p, FOC_ALPHA_V), pF64(p, FOC_ALPHA), w, mode == WEIGHT_PYTORCH));
  store<i32>(p + FOC_BLOCKS, n == 0 ? 0 : (n + ceBlockRows(n, k) - 1) / ceBlockRows(n, k));
  return -1;
}

export function focalStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? pI32(p, FOC_BLOCKS) : -1;
}

/** Row block b on thread `thread` (its scratch row is the thread-th). */
export function focalBlock(p: usize, b: i32, thread: i32): void {
  const n = pI32(p, FOC_N), k = pI32(p, FOC_K), index = pI32(p, FOC_INDEX) != 0;
  focalBegin(
    pF64(p, FOC_GAMMA), pI32(p, FOC_SCHEDULE), pF64(p, FOC_ALPHA), pPtr(p, FOC_ALPHA_V), pPtr(p, FOC_CW_EFF), pF64(p, FOC_EPS),
    pF64(p, FOC_LAMBDA), index && pI32(p, FOC_OTHERS) != 0, pPtr(p, FOC_W), pI32(p, FOC_W_MODE_EFF), pF64(p, FOC_S), pF64(p, FOC_ZS),
    pI32(p, FOC_GRAD) != 0,
  );
  const r = ceBlockRows(n, k), r0 = b * r, r1 = min(n, r0 + r);
  const t = pPtr(p, FOC_T);
  focalRows(
    pPtr(p, FOC_Z), index ? t : 0, index ? 0 : t, r0, r1, k, pI32(p, FOC_IGNORE), pPtr(p, FOC_G), pPtr(p, FOC_ROW_LOSS),
    pPtr(p, FOC_SCRATCH) + <usize>thread * <usize>focalScratchBytes(k),
  );
  const slot = pPtr(p, FOC_SLOTS) + (<usize>b << 4);
  store<f64>(slot, focalCeSum);
  store<f64>(slot, focalZSum, 8);
}

/** The slots' sums in block order, then the loss into RESULTS ('none': the sum of row losses). */
export function focalFinish(p: usize): void {
  const nb = pI32(p, FOC_BLOCKS), slots = pPtr(p, FOC_SLOTS);
  let ce: f64 = 0, zz: f64 = 0;
  for (let b = 0; b < nb; b++) {
    ce += load<f64>(slots + (<usize>b << 4));
    zz += load<f64>(slots + (<usize>b << 4), 8);
  }
  const lam = pF64(p, FOC_LAMBDA);
  const loss = pI32(p, FOC_REDUCTION) == REDUCE_MEAN ? ce * pF64(p, FOC_S) + lam * zz * pF64(p, FOC_ZS) : ce + lam * zz;
  store<f64>(RESULTS + RESULT_LOSS, nb == 0 ? 0 : loss);
}

/** The first class of probability targets ti with the largest target (FLSD's true class). */
function targetArgmax(ti: usize, k: i32): i32 {
  let b = 0;
  let bv = load<f32>(ti);
  for (let j = 1; j < k; j++) {
    const v = load<f32>(at(ti, j));
    if (v > bv) { bv = v; b = j; }
  }
  return b;
}

/** Σ e_j over [j0, j1), each vector into f64. */
function sumRange(e: usize, j0: i32, j1: i32): f64 {
  let S: f64 = 0;
  let j = j0;
  if (ASC_FEATURE_SIMD) {
    let acc = f64x2.splat(0);
    for (; j + 4 <= j1; j += 4) acc = accF64(acc, v128.load(at(e, j)));
    S = hsum2(acc);
  }
  for (; j < j1; j++) S += <f64>load<f32>(at(e, j));
  return S;
}

/**
 * One row (not ignored): returns its focal loss and sets rowZ = lse² (0 without z-loss). yi ≥ 0: index
 * target; yi < 0: probability targets at ti. scratch: the e row, then the coefficient row.
 */
function focalRow(zi: usize, gi: usize, scratch: usize, ti: usize, k: i32, yi: i32): f64 {
  const m = rowMax(zi, k);
  if (!rowFinite) return focalGeneric(zi, gi, ti, k, yi);
  const index = yi >= 0;
  const kf = <f64>k;
  // target coefficients: q_j = A·[j = y] + B (no B on y for 'others'); probability: A·t_j + B
  let A: f64 = 1 - eps, B: f64 = eps / kf;
  if (index && others) { if (k > 1) B = eps / (kf - 1); else { A = 1; B = 0; } }
  const rowMult: f64 = index && wMode == WEIGHT_TARGET ? <f64>load<f32>(at(wPtr, yi)) : 1;
  const perClassW = wMode == WEIGHT_PYTORCH;
  const s = sRed, zs = zsRed;

  if (index && B == 0) {
    // Only the label's term: f64 coefficients, then crossEntropy's scale pass.
    const dst = wantGrad ? gi : scratch;
    const zy = load<f32>(at(zi, yi));
    let S = expStoreSumOnly(zi, dst, k, m, yi);
    const dy = <f64>zy - <f64>m;
    let p: f64, u: f64, nl: f64, rho: f64, logS: f64;
    if (dy == 0 && S < 2) {
      let rest = S - 1;
      if (rest < 1e-6) rest = sumRange(dst, 0, yi) + sumRange(dst, yi + 1, k);
      S = 1 + rest;
      logS = Math.log1p(rest);
      p = 1 / S; u = rest / S; nl = logS;
      rho = rest > 0 ? S * logS / rest : 1;
    } else {
      logS = Math.log(S);
      p = Math.exp(dy) / S; u = 1 - p; nl = logS - dy;
      rho = nl / u;
    }
    const gm = rowGamma(p);
    const c = rowMult * cw64(yi, perClassW) * A;
    const f = powU(u, gm);
    const ay = c * f * (1 + gm * p * rho);
    const lse = <f64>m + logS;
    rowZ = lambda != 0 ? lse * lse : 0;
    if (wantGrad) {
      const zt = lambda != 0 ? zs * 2 * lambda * lse : 0;
      scaleSubtract(gi, k, <f32>((s * ay + zt) / S), 0);
      store<f32>(at(gi, yi), <f32>(zt * p - s * ay * u));
    }
    return c * f * nl;
  }

  // General: every class carries mass. The stored e have the floor exp(lo) ≥ P_MIN·K ≥ P_MIN·S, so
  // pass 3's p = e/S are never subnormal (products with them would be ~100× slower on x86).
  const e = scratch;
  const hint = index ? yi : -1;
  if (k != floorK) {
    floorK = k;
    floorLo = <f32>spanFloorLog(k);
    floorMass = <f64>k * Math.exp(<f64>floorLo);
  }
  let S = expStoreSumFloor(zi, e, k, m, hint, floorLo);
  let logS = Math.log(S);
  let jx = -1;
  let rest: f64 = 0;
  if (S < 2) {
    jx = index && load<f32>(at(zi, yi)) == m ? yi : firstIndexOf(zi, k, m);
    rest = S - 1;
    // The floor adds at most K·exp(lo) to the other classes' sum: where that could move rest by 1e-7
    // of itself (a very confident row), rest is summed again from the logits with the plain floor
    // (nothing stored: pass 3 keeps the floored e, whose p it barely moves).
    if (rest < 1e7 * floorMass) {
      rest = expSumNoStore(zi, jx, m) + expSumNoStore(zi + (<usize>(jx + 1) << 2), k - jx - 1, m);
    } else if (jx != hint || rest < 1e-6) rest = sumRange(e, 0, jx) + sumRange(e, jx + 1, k);
    S = 1 + rest;
    logS = Math.log1p(rest);
  }
  const invS = 1 / S;
  // the true class (FLSD-53) and its p
  let gm = gamma;
  if (flsd) {
    const tc = index ? yi : targetArgmax(ti, k);
    gm = rowGamma(tc == jx ? invS : Math.exp(<f64>load<f32>(at(zi, tc)) - <f64>m) * invS);
  }
  const gInt = flsd ? <i32>gm : gammaInt;
  const cB = <f32>(B * rowMult);
  // the span's c when it is the same for every class (see focalSpan), else 0
  const uni: f32 = index && !cwPtr ? cB * <f32>alphaS : 0;
  let loss: f64 = 0, aSum: f64 = 0;
  const label = index && yi != jx;
  const dY = label ? <f64>load<f32>(at(zi, yi)) - <f64>m : 0; // read before pass 3 (g may be z)
  // The vector pass covers every class but the unique max when S < 2 (its 1 − p needs f64). The label,
  // when it is not that max, is in it with the others' coefficient (smoothing mass B): p ≤ ½ there, so
  // its term is as exact as theirs; the rest of its coefficient is added below in f64.
  if (jx < 0) {
    focalSpan(zi, e, gi, ti, 0, k, m, <f32>logS, <f32>invS, cB, <f32>A, <f32>B, <f32>gm, gInt, uni);
    loss += spanLoss; aSum += spanA;
  } else {
    if (jx > 0) {
      focalSpan(zi, e, gi, ti, 0, jx, m, <f32>logS, <f32>invS, cB, <f32>A, <f32>B, <f32>gm, gInt, uni);
      loss += spanLoss; aSum += spanA;
    }
    if (jx + 1 < k) {
      focalSpan(zi, e, gi, ti, jx + 1, k, m, <f32>logS, <f32>invS, cB, <f32>A, <f32>B, <f32>gm, gInt, uni);
      loss += spanLoss; aSum += spanA;
    }
  }
  // the max's term (S < 2), in f64
  let aX: f64 = 0, pX: f64 = 0;
  if (jx >= 0) {
    pX = invS;
    const u = rest * invS, rho = rest > 0 ? S * logS / rest : 1;
    let c: f64;
    if (index) c = rowMult * cw64(jx, perClassW) * (jx == yi ? A + (others ? 0 : B) : B);
    else c = cw64(jx, perClassW) * (A * <f64>load<f32>(at(ti, jx)) + B);
    const f = powU(u, gm);
    aX = c * f * (1 + gm * pX * rho);
    loss += c * f * logS;
    aSum += aX;
  }
  // the label's term beyond the smoothing mass the vector pass gave it (index targets, label ≠ that max)
  let aY: f64 = 0, pY: f64 = 0;
  if (label) {
    pY = Math.exp(dY) * invS;
    const u = 1 - pY, nl = logS - dY;
    const cw = rowMult * cw64(yi, perClassW);
    const cAll = cw * (A + (others ? 0 : B)), cExtra = cAll - cw * B;
    const f = powU(u, gm);
    const h = f * (1 + gm * pY * (nl / u));
    aY = cAll * h;
    loss += cExtra * f * nl;
    aSum += cExtra * h;
  }
  const lse = <f64>m + logS;
  rowZ = lambda != 0 ? lse * lse : 0;
  if (wantGrad) {
    const zt = lambda != 0 ? zs * 2 * lambda * lse : 0;
    focalScale(gi, e, k, <f32>((s * aSum + zt) * invS), uni != 0 ? <f32>(s * <f64>uni) : <f32>s);
    if (jx >= 0) store<f32>(at(gi, jx), <f32>(s * (pX * aSum - aX) + zt * pX));
    if (label) store<f32>(at(gi, yi), <f32>(s * (pY * aSum - aY) + zt * pY));
  }
  return loss;
}

/**
 * Probabilities below this are taken as 0 in pass 3's scalar tail: subnormal f32 products are ~100×
 * slower on x86, and such a p changes a_j = c·(u^γ + γ·u^(γ−1)·p·nl) by less than 1e-28·c. (The
 * vector loop needs no test: pass 2's floor keeps every p ≥ P_MIN, see spanFloorLog.)
 */
const P_MIN: f32 = 1e-30;

/**
 * The exponent floor of the general path's pass 2: ln(P_MIN·K) (at least ln FLT_MIN), so that every
 * stored e ≥ P_MIN·K ≥ P_MIN·S. Raising e_j from below that floor moves p_j by < P_MIN·K/S ≤ 2e-21, S by
 * < P_MIN·K² — far below every bound (docs/spec.md "Accuracy") — except in a very confident row's
 * Σ_{k≠max} e_k, which focalRow then sums again with the plain floor.
 */
function spanFloorLog(k: i32): f64 {
  return max(Math.log(<f64>P_MIN * <f64>max(k, 1)), <f64>EXP_MIN_ARG);
}

/**
 * Pass 3 over classes [j0, j1) (not the row's max when S < 2; the label with the others' c): spanLoss =
 * Σ c·u^γ·nl and spanA = Σ a. Every p here is ≤ ½, so u = 1 − p ∈ [½, 1]. With the gradient, g_j
 * receives a_j — or, where c is the same for every class of the span (`uni` ≠ 0: index targets
 * without per-class α or PyTorch-mode weights), a_j / c, the factor c then applied once to the sums
 * here and to g by pass 4: two products per class fewer. The vector loop is specialised by γ (0…5:
 * the powers as products; other integers: a product loop; other γ: a binomial series or exp/log).
 */
function focalSpan(
  zi: usize, e: usize, gi: usize, ti: usize, j0: i32, j1: i32, m: f32, logS: f32, invS: f32,
  cB: f32, A: f32, B: f32, gm: f32, gInt: i32, uni: f32,
): void {
  let j = j0;
  spanLoss = 0; spanA = 0;
  if (ASC_FEATURE_SIMD) {
    if (uni != 0) {
      if (gInt == 3) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 3, true);
      else if (gInt == 5) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 5, true);
      else if (gInt == 2) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 2, true);
      else if (gInt > 0) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 6, true);
      else if (gInt < 0) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, -1, true);
      else j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 0, true);
    } else {
      if (gInt == 3) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 3, false);
      else if (gInt == 5) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 5, false);
      else if (gInt > 0) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 6, false);
      else if (gInt < 0) j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, -1, false);
      else j = spanVec(zi, e, gi, ti, j0, j1, m, logS, invS, cB, A, B, gm, 0, false);
    }
  }
  const cw = cwPtr;
  const aS = <f32>alphaS;
  const prob = ti != 0;
  const grad = wantGrad;
  let loss: f64 = 0, aSum: f64 = 0;
  for (; j < j1; j++) {
    const d = load<f32>(at(zi, j)) - m;
    let p = load<f32>(at(e, j)) * invS;
    if (p < P_MIN) p = 0;
    const u = <f32>1 - p;
    const nl = logS - d;
    let c: f32;
    if (uni != 0) c = 1;
    else if (prob) c = (A * load<f32>(at(ti, j)) + B) * (cw ? load<f32>(at(cw, j)) : aS);
    else c = cw ? load<f32>(at(cw, j)) * cB : cB * aS;
    let f: f32, pm1: f32;
    if (gInt >= 0) {
      pm1 = 1;
      for (let r = 1; r < gInt; r++) pm1 *= u;
      f = gInt == 0 ? <f32>1 : pm1 * u;
    } else {
      f = expNeg(gm * logPos(u));
      pm1 = f / u;
    }
    loss += <f64>(c * f * nl);
    const a = c * (f + gm * pm1 * (p * nl));
    aSum += <f64>a;
    if (grad) store<f32>(at(gi, j), a);
  }
  spanLoss += loss; spanA += aSum;
  if (uni != 0) { spanLoss *= <f64>uni; spanA *= <f64>uni; }
}

/**
 * u^(G−1) for the constant G of a specialisation (1…5), or by a loop of products for gInt ≥ 1 (G = 6).
 */
// @ts-ignore: decorator
@inline function vpowm1(u: v128, one: v128, G: i32, gInt: i32): v128 {
  if (G <= 1) return one;
  if (G == 2) return u;
  if (G == 3) return f32x4.mul(u, u);
  if (G == 4) return f32x4.mul(f32x4.mul(u, u), u);
  if (G == 5) { const u2 = f32x4.mul(u, u); return f32x4.mul(u2, u2); }
  let r = gInt <= 1 ? one : u;
  for (let q = 2; q < gInt; q++) r = f32x4.mul(r, u);
  return r;
}

/**
 * The vector loop of focalSpan for γ = G (0…5), G = 6 (another integer, gInt) or G = −1 (any γ);
 * U: the span's c is uniform (factored out, see focalSpan). Per class, with w = u + γ·p·nl:
 * f = u·u^(γ−1), the loss term f·nl and h = u^(γ−1)·w (a = c·h). Each group of four vectors is summed
 * in f32 and then into f64 (as pass 2's sums). Returns the first class it left for the scalar tail.
 */
// @ts-ignore: decorator
@inline function spanVec(
  zi: usize, e: usize, gi: usize, ti: usize, j0: i32, j1: i32, m: f32, logS: f32, invS: f32,
  cB: f32, A: f32, B: f32, gm: f32, G: i32, U: bool,
): i32 {
  const gInt = <i32>gm;
  const cw = cwPtr;
  const aS = <f32>alphaS;
  const prob = ti != 0;
  const grad = wantGrad;
  const one = f32x4.splat(1);
  const mv = f32x4.splat(m), lsv = f32x4.splat(logS), isv = f32x4.splat(invS);
  const cBv = f32x4.splat(cB), cBa = f32x4.splat(cB * aS), Av = f32x4.splat(A), Bv = f32x4.splat(B);
  const aSv = f32x4.splat(aS), gv = f32x4.splat(gm);
  // any γ ≤ 8: the binomial series of (1 − p)^(γ−1) through p⁴ where every lane has p < 1/64 (the
  // first term left out, |C(γ−1, 5)|·p⁵ ≤ 21·64⁻⁵ ≈ 2e-8 for γ − 1 ∈ [−1, 7], is below f32's resolution)
  const binom = G < 0 && gm <= 8;
  const g1 = gm - 1;
  const c1 = -g1, c2 = c1 * (-(g1 - 1)) / 2, c3 = c2 * (-(g1 - 2)) / 3, c4 = c3 * (-(g1 - 3)) / 4;
  const b1 = f32x4.splat(c1), b2 = f32x4.splat(c2), b3 = f32x4.splat(c3), b4 = f32x4.splat(c4);
  const small = f32x4.splat(<f32>(1.0 / 64));
  const g1v = f32x4.splat(g1);
  let la = f64x2.splat(0), aa = f64x2.splat(0);
  let l4 = f32x4.splat(0), a4 = f32x4.splat(0);
  let j = j0;
  // groups of four vectors (their f32 sums then go into f64), one inner loop each: no per-vector counter
  while (j + 4 <= j1) {
    const gEnd = min(j + 16, j1);
    l4 = f32x4.splat(0); a4 = f32x4.splat(0);
    for (; j + 4 <= gEnd; j += 4) {
      const d = f32x4.sub(v128.load(at(zi, j)), mv);
      // p ≥ P_MIN: pass 2 stored every e at or above its floor (spanFloorLog)
      const p = f32x4.mul(v128.load(at(e, j)), isv);
      const u = f32x4.sub(one, p);
      const nl = f32x4.sub(lsv, d);
      let pm1: v128;
      if (G == 0) {
        pm1 = one;
      } else if (G > 0) {
        pm1 = vpowm1(u, one, G, gInt);
      } else if (binom && !v128.any_true(f32x4.ge(p, small))) {
        // every lane has p < 1/64: u^(γ−1) = (1 − p)^(γ−1) by its binomial series through p⁴, in
        // Horner's order: no power of p is formed alone (p⁴ of a small p would be a subnormal, ~100×
        // slower on x86), and four registers of coefficients keep the loop out of spills
        pm1 = madd(madd(madd(madd(b4, p, b3), p, b2), p, b1), p, one);
      } else {
        // some lane has p ≥ 1/64 (a few per row at most), or γ > 8: u^(γ−1) = exp((γ−1)·log u), u ∈ [½, 1]
        pm1 = vpowVec(u, g1v);
      }
      const f = G == 0 ? one : G == 1 ? u : f32x4.mul(pm1, u);
      // h = u^(γ−1)·(u + γ·p·nl); the loss term f·nl
      const h = G == 0 ? one : f32x4.mul(pm1, madd(f32x4.mul(gv, p), nl, u));
      let a: v128;
      if (U) {
        l4 = madd(f, nl, l4);
        a = h;
      } else {
        let c: v128;
        if (prob) {
          const r = madd(Av, v128.load(at(ti, j)), Bv);
          c = f32x4.mul(r, cw ? v128.load(at(cw, j)) : aSv);
        } else {
          c = cw ? f32x4.mul(v128.load(at(cw, j)), cBv) : cBa;
        }
        l4 = madd(f32x4.mul(c, f), nl, l4);
        a = f32x4.mul(c, h);
      }
      a4 = f32x4.add(a4, a);
      if (grad) v128.store(at(gi, j), a);
    }
    la = accF64(la, l4); aa = accF64(aa, a4);
  }
  spanLoss = hsum2(la); spanA = hsum2(aa);
  return j;
}

/** u^x for four lanes of u ∈ [½, 1] and |x·log u| small: exp(x·log u) by the vector log and exp. */
function vpowVec(u: v128, x: v128): v128 {
  const lg = vlogPos(
    u, v128.load32_splat(LOG_AT_SHIFT), v128.load32_splat(LOG_AT_SQRTH), v128.load32_splat(LOG_AT_MANT),
    v128.load32_splat(LOG_AT_BIAS), v128.load32_splat(LOG_AT_TWO), v128.load32_splat(LOG_AT_ONE),
    v128.load32_splat(LOG_AT_LN2_HI), v128.load32_splat(LOG_AT_LN2_LO), v128.load32_splat(LOG_AT_C3),
    v128.load32_splat(LOG_AT_C5), v128.load32_splat(LOG_AT_C7), v128.load32_splat(LOG_AT_C9),
  );
  return vexpNeg(
    f32x4.mul(x, lg), v128.load32_splat(EXP_AT_MIN), v128.load32_splat(EXP_AT_LOG2E), v128.load32_splat(EXP_AT_MAGIC),
    v128.load32_splat(EXP_AT_LN2), v128.load32_splat(EXP_AT_P0), v128.load32_splat(EXP_AT_P1), v128.load32_splat(EXP_AT_P2),
    v128.load32_splat(EXP_AT_P3), v128.load32_splat(EXP_AT_ONE), v128.load32_splat(EXP_AT_P4),
  );
}

/** Pass 4: g_j = e_j·coef − s·g_j (g from pass 3: a_j, or a_j / c with s carrying c). */
function focalScale(g: usize, e: usize, k: i32, coef: f32, s: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(coef), sv = f32x4.splat(s);
    for (; j + 4 <= k; j += 4) {
      v128.store(at(g, j), nmadd(v128.load(at(g, j)), sv, f32x4.mul(v128.load(at(e, j)), cv)));
    }
  }
  for (; j < k; j++) store<f32>(at(g, j), load<f32>(at(e, j)) * coef - load<f32>(at(g, j)) * s);
}

// ---------------------------------------------------------------- any row, scalar f64

let genP: f64 = 0;
let genLoss: f64 = 0;

/**
 * Term j of a generic row: returns a_j, sets genLoss (its loss) and genP. jStar: the first max;
 * rest = Σ_{k≠j*} e_k; kv: unmasked classes.
 */
function genTerm(zi: usize, ti: usize, j: i32, yi: i32, m: f64, jStar: i32, rest: f64, S: f64, logS: f64, kv: i32, gm: f64): f64 {
  const v = <f64>load<f32>(at(zi, j));
  let p: f64, u: f64, nl: f64, rho: f64;
  if (j == jStar) {
    p = 1 / S; u = rest / S; nl = logS;
    rho = rest > 0 ? S * logS / rest : 1;
  } else {
    const d = v - m;
    p = Math.exp(d) / S; u = 1 - p; nl = logS - d;
    rho = nl / u;
  }
  genP = p;
  // r_j as crossEntropy's, over the kv unmasked classes
  let r: f64;
  const kvf = <f64>kv;
  if (yi >= 0) {
    let q: f64;
    if (!others) q = (j == yi ? 1 - eps : 0) + eps / kvf;
    else if (kv == 1) q = j == yi ? 1 : 0;
    else q = j == yi ? 1 - eps : eps / (kvf - 1);
    r = wMode == WEIGHT_TARGET ? <f64>load<f32>(at(wPtr, yi)) * q : wMode == WEIGHT_PYTORCH ? <f64>load<f32>(at(wPtr, j)) * q : q;
  } else {
    r = (1 - eps) * <f64>load<f32>(at(ti, j)) + eps / kvf;
    if (wPtr) r *= <f64>load<f32>(at(wPtr, j));
  }
  const c = r * (alphaPtr ? <f64>load<f32>(at(alphaPtr, j)) : alphaS);
  if (c == 0) { genLoss = 0; return 0; }
  const f = powU(u, gm);
  genLoss = c * f * nl;
  return c * f * (1 + gm * p * rho);
}

/** A row with a non-finite logit (or a masked class), in f64: the rules of crossEntropy's generic row. */
function focalGeneric(zi: usize, gi: usize, ti: usize, k: i32, yi: i32): f64 {
  rowZ = 0;
  let m: f64 = -Infinity;
  let jStar = -1, kv = 0;
  let bad = false;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(zi, j));
    if (v != v || v == Infinity) bad = true;
    else if (v != -Infinity) { kv++; if (v > m) { m = v; jStar = j; } }
  }
  if (bad || (yi < 0 && kv == 0)) {
    if (wantGrad) rowFill(gi, k, NaN);
    return NaN;
  }
  if (yi >= 0 && load<f32>(at(zi, yi)) == -Infinity) {
    if (wantGrad) rowFill(gi, k, NaN);
    return Infinity;
  }
  let rest: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(zi, j));
    if (j != jStar && v != -Infinity) rest += Math.exp(v - m);
  }
  const S = 1 + rest, logS = Math.log1p(rest);
  const lse = m + logS;
  rowZ = lambda != 0 ? lse * lse : 0;
  const tc = yi >= 0 ? yi : targetArgmax(ti, k);
  const vt = <f64>load<f32>(at(zi, tc));
  const gm = rowGamma(vt == -Infinity ? 0 : tc == jStar ? 1 / S : Math.exp(vt - m) / S);
  let loss: f64 = 0, aSum: f64 = 0;
  for (let j = 0; j < k; j++) {
    if (load<f32>(at(zi, j)) == -Infinity) continue;
    aSum += genTerm(zi, ti, j, yi, m, jStar, rest, S, logS, kv, gm);
    loss += genLoss;
  }
  if (wantGrad) {
    const zt = lambda != 0 ? zsRed * 2 * lambda * lse : 0;
    for (let j = 0; j < k; j++) {
      if (load<f32>(at(zi, j)) == -Infinity) { store<f32>(at(gi, j), 0); continue; }
      const a = genTerm(zi, ti, j, yi, m, jStar, rest, S, logS, kv, gm);
      store<f32>(at(gi, j), <f32>(sRed * (genP * aSum - a) + zt * genP));
    }
  }
  return loss;
}
