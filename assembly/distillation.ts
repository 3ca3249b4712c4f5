// Knowledge distillation, fused loss + gradient (docs/spec.md "distillation"; Hinton et al. 2015):
//   row_i = α·T²·KL(softmax(t_i/T) ‖ softmax(s_i/T)) + (1−α)·CE_ε(s_i, y_i)
//   ∂row_i/∂s_i = α·T·(ps − pt) + (1−α)·(p − q)       (p = softmax(s_i), q the smoothed target)
// With a_j = (s_j − ms)/T, b_j = (t_j − mt)/T, es = exp(a), et = exp(b) and their sums Ss, St:
//   KL = (1/St)·Σ_j et_j·(b_j − a_j) + log Ss − log St                                   (direct)
// (exactly 0 for identical rows, since the same f32 operations produce the same sums). Its terms are
// O(1/T) while KL is O(1/T²): the difference loses digits as T grows, and T² amplifies the loss (K4:
// 1.14e-6 relative at T = 7.84). So for T > 1, with u_j = b_j − a_j = ((t_j − s_j) − (mt − ms))/T formed
// in f64 from the raw inputs, any shift c and v = u − c, pt = et/St (exact identities):
//   KL = ū + log Σ_j pt_j·e^{−u_j} = Δ + log1p(Σ_j pt_j·φ(v_j) − Δ),  Δ = Σ pt·v,  φ(v) = e^{−v} − 1 + v ≥ 0
// With c ≈ ū (f32, from the teacher pass) Δ is tiny and enters only at second order; every φ term is
// non-negative and computed to f32 relative accuracy (math/phi.ts), so nothing cancels.   (accurate)
// The gradient then comes from ps_j − pt_j = pt_j·(e^{−L}·expm1(−v_j) + expm1(−L)), L = log1p(…) above,
// also cancellation-free. The accurate pass needs e^{a_j + c} = et_j·e^{−v_j} inside f32 and et_j
// unclamped (b_j ≥ −80, −v_j ≤ 80: see B_MIN, X_MAX); rows outside that (logits of order 1e4 at
// moderate T) take rowGeneric, exact and slower.
// Passes per finite row: max of each row; for T ≠ 1 and a CE term, an exp at T = 1 (stored in scratch);
// teacher exp (stored in scratch); T ≤ 1: student exp (stored in the gradient row) with the KL dot
// product; T > 1: the φ pass (expm1(−v) stored in scratch); then one combining pass. Rows with a masked
// class, NaN or +Infinity in either row take rowGeneric, a scalar f64 path that follows the reference's
// rules for such rows.

import {
  rowMax, rowFinite, expStoreSum as rowExpSum, expStoreSumScaled as rowExpSumScaled, rowFill, shiftSum as rowSumB,
} from "./rows";
import { rowKlStudent, rowCombine, rowTeacherKl, rowKlPhi, rowCombineKl, extraB, extraC } from "./distillation_rows";
import { softmax64, hasNaNOrInf } from "./softmax_f64";
import { labelScan } from "./ce_labels";
import { rowBlockRows, rowBlocks } from "./row_blocks";
import { at } from "./math/vec";
import { RESULTS, RESULT_COUNT, RESULT_LOSS, REDUCE_MEAN, REDUCE_NONE } from "./common";
import {
  DST_ALPHA, DST_BLOCK_ROWS, DST_BLOCKS, DST_EPS, DST_G, DST_GRAD, DST_IGNORE, DST_K, DST_N, DST_OTHERS,
  DST_REDUCTION, DST_ROW_LOSS, DST_S, DST_SC, DST_SCRATCH, DST_SLOTS, DST_T, DST_TEMPERATURE, DST_Y,
} from "./params";
import { pPtr } from "./param_fields";

let genLoss: f64 = 0;

// T > 1 (see the header): the accurate pass needs e^{a_j + shift} = et_j·e^{−v_j} within f32 range and
// et_j = e^{b_j} unclamped; rows outside that take the direct formula if their KL is large enough for
// it to be accurate, else rowGeneric.
/** Above this shift the accurate pass could overflow; then KL ≥ shift − log K (≥ 49.6 for K ≤ 32000). */
const SHIFT_MAX: f64 = 60;
/**
 * Largest −v the accurate pass takes (its exp covers 88.3). The products et_j·e^{−v_j} are one exp of
 * an f64 exponent (rowKlPhi), so a large −v costs no accuracy; this only keeps W_j = et_j·expm1(−v_j)
 * and the gradient terms well inside f32.
 */
const X_MAX: f64 = 80;
/** Smallest b_j = (t_j − mt)/T taken: e^b stays a normal f32 well above FLT_MIN (ln FLT_MIN = −87.34). */
const B_MIN: f64 = -80;

/**
 * One row, any input, scalar f64. `w64`: 5·K f64 of scratch. yi < 0: no CE term. Writes genLoss and,
 * when grad, sc × the gradient row. Outcomes: NaN row (NaN/+Infinity anywhere; teacher with every class
 * masked when the KL term counts), +Infinity row with NaN gradient (a class the teacher gives mass to
 * is masked in the student; a masked target class in the CE term).
 */
function rowGeneric(
  s: usize, t: usize, g: usize, grad: bool, k: i32, yi: i32, T: f64, alpha: f64, useKl: bool,
  eps: f64, others: bool, sc: f64, w64: usize,
): void {
  const K8 = <usize>k << 3;
  const ps = w64, lps = w64 + K8, pt = w64 + 2 * K8, lpt = w64 + 3 * K8, gg = w64 + 4 * K8;
  let state = 0; // 0 ok, 1 infinite, 2 NaN
  if (hasNaNOrInf(s, k) || hasNaNOrInf(t, k)) state = 2;
  for (let j = 0; j < k; j++) store<f64>(gg + (<usize>j << 3), 0);
  let loss: f64 = 0;
  if (state == 0 && useKl) {
    const kvT = softmax64(t, k, T, pt, lpt);
    const kvS = softmax64(s, k, T, ps, lps);
    if (kvT == 0) state = 2;
    else {
      let kl: f64 = 0;
      for (let j = 0; j < k; j++) {
        const q = load<f64>(pt + (<usize>j << 3));
        if (q == 0) continue;
        if (kvS == 0 || load<f32>(at(s, j)) == -Infinity) { state = 1; break; }
        kl += q * (load<f64>(lpt + (<usize>j << 3)) - load<f64>(lps + (<usize>j << 3)));
      }
      if (state == 0) {
        loss += alpha * T * T * kl;
        for (let j = 0; j < k; j++) {
          const d = load<f64>(ps + (<usize>j << 3)) - load<f64>(pt + (<usize>j << 3));
          store<f64>(gg + (<usize>j << 3), alpha * T * d);
        }
      }
    }
  }
  if (state != 2 && yi >= 0) {
    const kv = softmax64(s, k, 1, ps, lps);
    if (kv == 0 || load<f32>(at(s, yi)) == -Infinity) state = 1;
    else if (state == 0) {
      let A: f64 = 1 - eps, B: f64 = eps / <f64>kv;
      if (others) { if (kv > 1) B = eps / <f64>(kv - 1); else { A = 1; B = 0; } }
      let ce: f64 = 0;
      for (let j = 0; j < k; j++) {
        if (load<f32>(at(s, j)) == -Infinity) continue;
        let q: f64 = (others && j == yi) ? 0 : B;
        if (j == yi) q += A;
        ce -= q * load<f64>(lps + (<usize>j << 3));
        const o = gg + (<usize>j << 3);
        store<f64>(o, load<f64>(o) + (1 - alpha) * (load<f64>(ps + (<usize>j << 3)) - q));
      }
      loss += (1 - alpha) * ce;
    }
  }
  if (state == 2) loss = NaN;
  else if (state == 1) loss = Infinity;
  genLoss = loss;
  if (!grad) return;
  if (state != 0) { rowFill(g, k, NaN); return; }
  for (let j = 0; j < k; j++) store<f32>(at(g, j), <f32>(sc * load<f64>(gg + (<usize>j << 3))));
}

/**
 * Rows [i0, i1) of a distillation call: their loss sum (rows in order). Arguments as distillation, sc the
 * reduction scale; scratch: this thread's distillScratchBytes(k) bytes.
 */
function distillRange(
  s: usize, t: usize, y: usize, k: i32, T: f64, alpha: f64, eps: f64, others: bool, ignoreIndex: i32,
  sc: f64, g: usize, grad: bool, rowLoss: usize, scratch: usize, i0: i32, i1: i32,
): f64 {
  const useKl = alpha != 0;
  const useCe = y != 0 && alpha != 1;
  const sameT = T == 1;
  const c = <f32>(1 / T);
  const kf = <f64>k;
  const stride: usize = <usize>k << 2;
  const et = scratch, ec = scratch + stride, esScratch = scratch + 2 * stride;
  const w64 = scratch + 3 * stride + 15 & ~15;
  // Smoothed target (fast path: every class valid): q_y = A (+B for 'uniform'), q_j = B otherwise.
  const oth = others && k > 1;
  const A: f64 = (others && k == 1) ? 1 : 1 - eps;
  const B: f64 = oth ? eps / (kf - 1) : (others ? 0 : eps / kf);
  let total: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const si = s + <usize>i * stride, ti = t + <usize>i * stride;
    const gi = grad ? g + <usize>i * stride : esScratch;
    const yi = y ? load<i32>(at(y, i)) : -1;
    if (y && yi == ignoreIndex) {
      if (grad) rowFill(gi, k, 0);
      if (rowLoss) store<f32>(at(rowLoss, i), 0);
      continue;
    }
    const ms = rowMax(si, k);
    const sFinite = rowFinite;
    const mt = rowMax(ti, k);
    let row: f64;
    if (!sFinite || !rowFinite) {
      rowGeneric(si, ti, gi, grad, k, useCe ? yi : -1, T, alpha, useKl, eps, others, sc, w64);
      row = genLoss;
    } else {
      row = 0;
      // CE at T = 1 first when it needs its own exp: the student pass below may overwrite s (in place).
      let Sc: f64 = 0, sumD: f64 = 0, ly: f64 = 0;
      const ceOwn = useCe && (!useKl || !sameT);
      if (useCe) ly = <f64>(load<f32>(at(si, yi)) - ms);
      if (ceOwn) {
        Sc = rowExpSum(si, useKl ? ec : gi, k, ms);
        sumD = rowSumB;
      }
      let Ss: f64 = 0, St: f64 = 0;
      // The accurate KL (T > 1): E = e^{−L}, M = expm1(−L) for the gradient; w (expm1(−v)) in esScratch.
      let accurate = false, generic = false;
      let E: f64 = 1, M: f64 = 0;
      let es = gi; // where the student pass stores exp(a)
      if (useKl) {
        let kl: f64;
        if (T > 1) {
          St = rowTeacherKl(ti, si, et, k, mt, ms, c);
          const shift = extraB / St;
          accurate = shift <= SHIFT_MAX && extraC >= B_MIN;
          if (accurate) {
            const ci: f64 = 1 / T;
            const X = rowKlPhi(si, ti, et, grad ? esScratch : 0, k, ci, (<f64>mt - <f64>ms) * ci + shift, <f64>mt);
            generic = extraC > X_MAX;
            const d = extraB / St, z = X / St - d;
            kl = d + Math.log1p(z);
            E = 1 / (1 + z);
            M = -z * E;
          } else {
            // Too wide for the accurate pass. (The direct formula's gradient reached 1.02× docs/spec.md's bound
            // on such a row — logits ~1e4 at T ≈ 28, found by fuzzing — so the exact f64 path takes it.)
            kl = 0;
            generic = true;
          }
        } else {
          St = rowExpSumScaled(ti, et, k, mt, c);
          Ss = rowKlStudent(si, ti, et, gi, k, ms, mt, c);
          kl = extraB / St + (Math.log(Ss) - Math.log(St));
          if (useCe && !ceOwn) { Sc = Ss; sumD = extraC; }
        }
        row += alpha * T * T * kl;
      }
      if (generic) {
        rowGeneric(si, ti, gi, grad, k, useCe ? yi : -1, T, alpha, useKl, eps, others, sc, w64);
        row = genLoss;
      } else {
        let q: f64 = 0; // the target's own coefficient q_y
        if (useCe) {
          const logSc = Math.log(Sc);
          const lyy = ly - logSc;
          let sumL = sumD - kf * logSc;
          if (oth) sumL -= lyy;
          row += (1 - alpha) * (-A * lyy - B * sumL);
          q = oth ? A : A + B;
        }
        if (grad) {
          // g_j = sc·[α·T·(es_j/Ss − et_j/St) + (1−α)·(ec_j/Sc − q_j)], es stored in gi, ec in ec or gi;
          // accurate: α·T·(ps_j − pt_j) = (sc·α·T/St)·et_j·(E·w_j + M), w in esScratch.
          const kA: f64 = useKl && !accurate ? sc * alpha * T / Ss : 0;
          const kB: f64 = useKl ? sc * alpha * T / St : 0;
          const kC: f64 = useCe ? sc * (1 - alpha) / Sc : 0;
          const kD: f64 = useCe ? sc * (1 - alpha) * B : 0;
          let gy: f64 = 0;
          if (useCe) {
            const esy = <f64>load<f32>(at(es, yi));
            if (accurate) gy = kB * (E * <f64>load<f32>(at(esScratch, yi)) + M * <f64>load<f32>(at(et, yi)));
            else gy = useKl ? kA * esy - kB * <f64>load<f32>(at(et, yi)) : 0;
            const ecy = useKl ? (ceOwn ? <f64>load<f32>(at(ec, yi)) : esy) : esy;
            gy += kC * ecy - sc * (1 - alpha) * q;
          }
          if (!useKl) rowCombine(gi, gi, 0, 0, k, <f32>kC, 0, 0, <f32>kD);
          else if (accurate) rowCombineKl(gi, et, esScratch, useCe ? ec : 0, k, <f32>(kB * E), <f32>(kB * M), <f32>kC, <f32>kD);
          else if (!useCe) rowCombine(gi, es, et, 0, k, <f32>kA, <f32>kB, 0, 0);
          else if (ceOwn) rowCombine(gi, es, et, ec, k, <f32>kA, <f32>kB, <f32>kC, <f32>kD);
          else rowCombine(gi, es, et, 0, k, <f32>(kA + kC), <f32>kB, 0, <f32>kD);
          if (useCe) store<f32>(at(gi, yi), <f32>gy);
        }
      }
    }
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>row);
    total += row;
  }
  return total;
}


// ---- the parameter-block form (assembly/jobs.ts; docs/spec.md "Threads"): rows in fixed blocks of
// about 16384 logits (assembly/row_blocks.ts: from N and K only; at most 65535 blocks), each block's loss sum in its own f64
// slot, the slots added in block order by the calling thread; each thread its own row scratch.

/** Bytes of one thread's scratch: 3·K f32 rows, then 5·K f64 (16-aligned), as distillation's `scratch`. */
export function distillScratchBytes(k: i32): f64 {
  return <f64>(((12 * <u64>k + 16 + 40 * <u64>k) + 15) & ~(<u64>15));
}


export function distillPrepare(p: usize): i32 {
  const n = load<i32>(p + DST_N), k = load<i32>(p + DST_K), y = pPtr(p, DST_Y);
  let cnt: f64 = <f64>n;
  if (y) {
    const bad = labelScan(y, n, k, load<i32>(p + DST_IGNORE), 0);
    if (bad >= 0) return bad;
    cnt = load<f64>(RESULTS + RESULT_COUNT);
  }
  store<f64>(RESULTS + RESULT_COUNT, cnt);
  const reduction = load<i32>(p + DST_REDUCTION);
  if (reduction != REDUCE_NONE) store<i32>(p + DST_ROW_LOSS, 0);
  const mean = reduction == REDUCE_MEAN;
  if (mean && cnt == 0) {
    if (load<i32>(p + DST_GRAD)) memory.fill(pPtr(p, DST_G), 0, <usize>n * <usize>k << 2);
    store<i32>(p + DST_BLOCKS, 0);
    store<f64>(p + DST_SC, 1);
    return -1;
  }
  store<f64>(p + DST_SC, mean ? 1 / cnt : 1);
  const r = rowBlockRows(n, k);
  store<i32>(p + DST_BLOCK_ROWS, r);
  store<i32>(p + DST_BLOCKS, rowBlocks(n, r));
  return -1;
}

export function distillStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? load<i32>(p + DST_BLOCKS) : -1;
}

export function distillBlock(p: usize, b: i32, thread: i32): void {
  const n = load<i32>(p + DST_N), k = load<i32>(p + DST_K), r = load<i32>(p + DST_BLOCK_ROWS);
  const i0 = b * r, i1 = min(n, i0 + r);
  const scratch = pPtr(p, DST_SCRATCH) + <usize>thread * <usize>distillScratchBytes(k);
  const sum = distillRange(
    pPtr(p, DST_S), pPtr(p, DST_T), pPtr(p, DST_Y), k, load<f64>(p + DST_TEMPERATURE), load<f64>(p + DST_ALPHA),
    load<f64>(p + DST_EPS), load<i32>(p + DST_OTHERS) != 0, load<i32>(p + DST_IGNORE), load<f64>(p + DST_SC),
    pPtr(p, DST_G), load<i32>(p + DST_GRAD) != 0, pPtr(p, DST_ROW_LOSS), scratch, i0, i1,
  );
  store<f64>(pPtr(p, DST_SLOTS) + (<usize>b << 3), sum);
}

export function distillFinish(p: usize): void {
  const nb = load<i32>(p + DST_BLOCKS), slots = pPtr(p, DST_SLOTS);
  let total: f64 = 0;
  for (let b = 0; b < nb; b++) total += load<f64>(slots + (<usize>b << 3));
  const mean = load<i32>(p + DST_REDUCTION) == REDUCE_MEAN;
  store<f64>(RESULTS + RESULT_LOSS, nb == 0 ? 0 : mean ? total * load<f64>(p + DST_SC) : total);
}
