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
// Scalars arrive in the parameter block of focal_params.ts; pointers and counts as arguments. The
// calling thread runs every row (no pool): the result is the same for any thread count.

import { at, accF64, hsum2 } from "./math/vec";
import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4,
  expNeg, expAny, vexpNeg, madd, nmadd,
} from "./math/exp";
import { LOG_CONSTS, LOG_BITS, logPos, vlogPos } from "./math/log";
import {
  RESULTS, RESULT_DIVISOR, RESULT_COUNT, RESULT_LOSS, REDUCE_MEAN, REDUCE_NONE, WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET,
} from "./common";
import { labelScan } from "./ce_labels";
import { rowMax, rowFinite, expStoreSumOnly, rowFill, scaleSubtract } from "./rows";
import {
  FOCAL_PARAMS, FP_GAMMA, FP_ALPHA, FP_SMOOTHING, FP_ZLOSS, FP_IGNORE_INDEX, FP_OTHERS, FP_WEIGHT_MODE, FP_REDUCTION,
  FP_GRAD, FP_SCHEDULE, FOCAL_GAMMA_FLSD53,
  powU,
} from "./focal_params";

// ---- the call's settings (module globals: focal runs on the calling thread only)
let gamma: f64 = 0;
/** γ as an integer when it is one (0…64), else −1: the powers are then products. */
let gammaInt: i32 = 0;
let flsd = false;
let eps: f64 = 0;
let lambda: f64 = 0;
let others = false;
let wMode: i32 = WEIGHT_NONE;
let wPtr: usize = 0;
let alphaPtr: usize = 0;
let alphaS: f64 = 1;
/** α_j·(w_j where weights enter per class) as f32, or 0 when that is the scalar alphaS. */
let cwPtr: usize = 0;
let sRed: f64 = 1;
let zsRed: f64 = 1;
let wantGrad = false;

// ---- outputs of a row
let rowZ: f64 = 0;
let spanLoss: f64 = 0;
let spanA: f64 = 0;

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

function setup(k: i32, scratch: usize, perClassW: bool): void {
  const P = FOCAL_PARAMS;
  gamma = load<f64>(P + FP_GAMMA);
  flsd = load<i32>(P + FP_SCHEDULE) == FOCAL_GAMMA_FLSD53;
  gammaInt = flsd ? 3 : (gamma == Math.floor(gamma) && gamma <= 64 ? <i32>gamma : -1);
  eps = load<f64>(P + FP_SMOOTHING);
  lambda = load<f64>(P + FP_ZLOSS);
  others = load<i32>(P + FP_OTHERS) != 0;
  alphaS = load<f64>(P + FP_ALPHA);
  wantGrad = load<i32>(P + FP_GRAD) != 0;
  // the per-class coefficient row, when α or the weights vary by class
  cwPtr = 0;
  if (alphaPtr || perClassW) {
    cwPtr = scratch + (<usize>k << 2);
    for (let j = 0; j < k; j++) store<f32>(at(cwPtr, j), <f32>cw64(j, perClassW));
  }
}

/** Zero gradient and loss: the D = 0 rule of crossEntropy. */
function zeroResult(g: usize, n: i32, k: i32, rowLoss: usize): void {
  if (wantGrad) memory.fill(g, 0, <usize>n * <usize>k << 2);
  if (rowLoss) memory.fill(rowLoss, 0, <usize>n << 2);
  store<f64>(RESULTS + RESULT_LOSS, 0);
}

/**
 * Index targets. z: N×K logits; y: N labels; w: K class weights or 0; alpha: K per-class α or 0 (then
 * the block's scalar α); g: N×K gradient (may equal z); rowLoss: N floats for 'none', else 0; scratch:
 * 2K floats. Returns −1, or the first row with a bad label (nothing written then).
 */
export function focalIndex(z: usize, y: usize, n: i32, k: i32, w: usize, alpha: usize, g: usize, rowLoss: usize, scratch: usize): i32 {
  const P = FOCAL_PARAMS;
  wPtr = w; alphaPtr = alpha;
  wMode = w ? load<i32>(P + FP_WEIGHT_MODE) : WEIGHT_NONE;
  const ignoreIndex = load<i32>(P + FP_IGNORE_INDEX);
  const badRow = labelScan(y, n, k, ignoreIndex, wMode != WEIGHT_NONE ? w : 0);
  if (badRow >= 0) return badRow;
  setup(k, scratch, wMode == WEIGHT_PYTORCH);
  const mean = load<i32>(P + FP_REDUCTION) == REDUCE_MEAN;
  if (load<i32>(P + FP_REDUCTION) != REDUCE_NONE) rowLoss = 0;
  const D = load<f64>(RESULTS + RESULT_DIVISOR), cnt = load<f64>(RESULTS + RESULT_COUNT);
  if (mean && D == 0) { zeroResult(g, n, k, rowLoss); return -1; }
  sRed = mean ? 1 / D : 1;
  zsRed = mean ? 1 / cnt : 1;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride, gi = g + <usize>i * stride;
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) {
      if (wantGrad) rowFill(gi, k, 0);
      if (rowLoss) store<f32>(at(rowLoss, i), 0);
      continue;
    }
    const ce = focalRow(zi, gi, scratch, 0, k, yi);
    ceSum += ce; zSum += rowZ;
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * rowZ));
  }
  store<f64>(RESULTS + RESULT_LOSS, mean ? ceSum * sRed + lambda * zSum * zsRed : ceSum + lambda * zSum);
  return -1;
}

/** Probability targets t (N×K); 'mean' divides by N. Arguments as focalIndex. */
export function focalProb(z: usize, t: usize, n: i32, k: i32, w: usize, alpha: usize, g: usize, rowLoss: usize, scratch: usize): void {
  const P = FOCAL_PARAMS;
  wPtr = w; alphaPtr = alpha;
  wMode = w ? WEIGHT_PYTORCH : WEIGHT_NONE;
  setup(k, scratch, w != 0);
  others = false;
  const mean = load<i32>(P + FP_REDUCTION) == REDUCE_MEAN;
  if (load<i32>(P + FP_REDUCTION) != REDUCE_NONE) rowLoss = 0;
  if (mean && n == 0) { zeroResult(g, n, k, rowLoss); return; }
  sRed = mean ? 1 / <f64>n : 1;
  zsRed = sRed;
  const stride: usize = <usize>k << 2;
  let ceSum: f64 = 0, zSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride, gi = g + <usize>i * stride;
    const ce = focalRow(zi, gi, scratch, t + <usize>i * stride, k, -1);
    ceSum += ce; zSum += rowZ;
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * rowZ));
  }
  store<f64>(RESULTS + RESULT_LOSS, mean ? (ceSum + lambda * zSum) * sRed : ceSum + lambda * zSum);
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

/** First j with z_j == m (the row's maximum, present), four lanes at a time. */
function findMax(z: usize, k: i32, m: f32): i32 {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    for (; j + 4 <= k; j += 4) if (v128.any_true(f32x4.eq(v128.load(at(z, j)), mv))) break;
  }
  for (; j < k; j++) if (load<f32>(at(z, j)) == m) return j;
  return -1;
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

  // General: every class carries mass.
  const e = scratch;
  const hint = index ? yi : -1;
  let S = expStoreSumOnly(zi, e, k, m, hint);
  let logS = Math.log(S);
  let jx = -1;
  let rest: f64 = 0;
  if (S < 2) {
    jx = index && load<f32>(at(zi, yi)) == m ? yi : findMax(zi, k, m);
    rest = S - 1;
    if (jx != hint || rest < 1e-6) rest = sumRange(e, 0, jx) + sumRange(e, jx + 1, k);
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
 * Probabilities below this are taken as 0 in pass 3: subnormal f32 products are ~100× slower on x86,
 * and such a p changes a_j = c·(u^γ + γ·u^(γ−1)·p·nl) by less than 1e-28·c.
 */
const P_MIN: f32 = 1e-30;

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
  const pmin = f32x4.splat(P_MIN);
  // any γ ≤ 8: the binomial series of (1 − p)^(γ−1) through p⁶ where every lane has p < 1/16 (the
  // first term left out, |C(γ−1, 7)|·p⁷ ≤ 16⁻⁷ ≈ 4e-9 for γ − 1 ∈ [−1, 7], is below f32's resolution)
  const binom = G < 0 && gm <= 8;
  const g1 = gm - 1;
  const c1 = -g1, c2 = c1 * (-(g1 - 1)) / 2, c3 = c2 * (-(g1 - 2)) / 3;
  const c4 = c3 * (-(g1 - 3)) / 4, c5 = c4 * (-(g1 - 4)) / 5, c6 = c5 * (-(g1 - 5)) / 6;
  const b1 = f32x4.splat(c1), b2 = f32x4.splat(c2), b3 = f32x4.splat(c3);
  const b4 = f32x4.splat(c4), b5 = f32x4.splat(c5), b6 = f32x4.splat(c6);
  const small = f32x4.splat(<f32>(1.0 / 16));
  const g1v = f32x4.splat(g1);
  let la = f64x2.splat(0), aa = f64x2.splat(0);
  let l4 = f32x4.splat(0), a4 = f32x4.splat(0);
  let cnt = 0;
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const d = f32x4.sub(v128.load(at(zi, j)), mv);
    // p below P_MIN taken as 0 (it weighs < 1e-28 in a_j): keeps subnormal f32 out of the products
    const p0 = f32x4.mul(v128.load(at(e, j)), isv);
    const p = v128.and(p0, f32x4.gt(p0, pmin));
    const u = f32x4.sub(one, p);
    const nl = f32x4.sub(lsv, d);
    let pm1: v128;
    if (G == 0) {
      pm1 = one;
    } else if (G > 0) {
      pm1 = vpowm1(u, one, G, gInt);
    } else if (binom && !v128.any_true(f32x4.ge(p, small))) {
      // every lane has p < 1/16: u^(γ−1) = (1 − p)^(γ−1) by its binomial series through p⁶, in
      // Estrin's order (a short dependency chain: Horner's made this loop latency-bound)
      const p2 = f32x4.mul(p, p);
      const lo = madd(p2, madd(b3, p, b2), madd(b1, p, one));
      pm1 = madd(f32x4.mul(p2, p2), madd(p2, b6, madd(b5, p, b4)), lo);
    } else {
      // some lane has p ≥ 1/16 (a few per row at most), or γ > 8: u^(γ−1) = exp((γ−1)·log u), u ∈ [½, 1]
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
    if (++cnt == 4) {
      la = accF64(la, l4); aa = accF64(aa, a4);
      l4 = f32x4.splat(0); a4 = f32x4.splat(0);
      cnt = 0;
    }
  }
  la = accF64(la, l4); aa = accF64(aa, a4);
  spanLoss = hsum2(la); spanA = hsum2(aa);
  return j;
}

/** u^x for four lanes of u ∈ [½, 1] and |x·log u| small: exp(x·log u) by the vector log and exp. */
function vpowVec(u: v128, x: v128): v128 {
  const lb = LOG_BITS, lc = LOG_CONSTS;
  const lg = vlogPos(
    u, v128.load32_splat(lb), v128.load32_splat(lb + 4), v128.load32_splat(lb + 8), v128.load32_splat(lb + 12),
    v128.load32_splat(lc), v128.load32_splat(lc + 4), v128.load32_splat(lc + 8), v128.load32_splat(lc + 12),
    v128.load32_splat(lc + 16), v128.load32_splat(lc + 20), v128.load32_splat(lc + 24), v128.load32_splat(lc + 28),
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
