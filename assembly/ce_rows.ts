// The row path of cross-entropy (docs/spec.md "crossEntropy"): three passes per row (rows.ts), the
// loss assembled in f64 from the pass sums, and the generic scalar row (ce_generic.ts) for rows the
// passes cannot take. indexRow / probRow leave their results in the call context (ce_call.ts).

import {
  rowMax, rowMaxFast, rowFinite, expStoreSum, expStoreSumWeighted, expStoreSumTargets, scaleSubtract, scaleSubtractWeighted, scaleSubtractTargets, rowFill,
  shiftSum, weightedShiftSum, targetShiftSum, targetSum, weightShiftSum, expStoreSumOnly, expSumRepairAtMax,
} from "./rows";
import { expNeg } from "./math/exp";
import { at } from "./math/vec";
import { WEIGHT_NONE, WEIGHT_PYTORCH, WEIGHT_TARGET } from "./common";
import { CeCall } from "./ce_call";
import { rowGeneric } from "./ce_generic";
import { deferRow } from "./ce_deferred_logs";

/**
 * The row's loss from its pass sums (fast path, K' = K): S = Σ e_j, sumB = Σ (z_j − m) (or
 * Σ w_j (z_j − m) for 'pytorch') over the classes that carry smoothing mass — all of them, or all but
 * y for 'others' (the passes leave y out of that sum: subtracting it afterwards cancels badly when the
 * target term dominates) — and ly = z_y − m. Sets the gradient coefficients ctx.alpha, ctx.gradC, ctx.gradY.
 * Without z-loss the loss is deferred (ctx.deferred; see logFlush) and 0 is returned.
 */
// @ts-ignore: decorator
@inline function rowFinish(ctx: CeCall, S: f64, sumB: f64, ly: f64, m: f64, wy: f64, row: i32): f64 {
  const A = ctx.A, B = ctx.B, s = ctx.s;
  // loss = P + Q·log S, both parts ≥ 0 (ly ≤ 0, sumB ≤ 0): no cancellation
  let P: f64, Q: f64, sumR: f64;
  if (ctx.weightMode == WEIGHT_PYTORCH) {
    const Wm = ctx.others ? ctx.sumW - wy : ctx.sumW; // Σ w_j over the classes that carry smoothing mass
    P = -A * wy * ly - B * sumB;
    Q = A * wy + B * Wm;
    sumR = Q;
    ctx.gradC = s * B;
    ctx.gradY = s * A * wy + (ctx.others ? 0 : ctx.gradC * wy);
  } else {
    const mult: f64 = ctx.weightMode == WEIGHT_TARGET ? wy : 1;
    P = mult * (-A * ly - B * sumB);
    Q = mult * (A + B * (ctx.others ? ctx.classes - 1 : ctx.classes));
    sumR = mult; // Σ_j q_j = 1
    ctx.gradC = s * B * mult;
    ctx.gradY = s * A * mult + (ctx.others ? 0 : ctx.gradC);
  }
  if (ctx.lambda == 0) {
    ctx.alpha = s * sumR / S;
    ctx.lse2 = 0;
    ctx.deferred = true;
    deferRow(ctx, S, P, Q, row);
    return 0;
  }
  ctx.deferred = false;
  const logS = Math.log(S);
  const lse = m + logS;
  ctx.lse2 = lse * lse;
  ctx.alpha = (s * sumR + ctx.zs * 2 * ctx.lambda * lse) / S;
  return P + Q * logS;
}

/** One row of crossEntropyIndex by the three-pass path (or rowGeneric). Sets rowCe, rowZ. */
// @ts-ignore: decorator
@inline export function indexRow(ctx: CeCall, 
  z: usize, y: usize, i: i32, k: i32, ignoreIndex: i32, eps: f64, others: bool,
  w: usize, g: usize, grad: bool, rowLoss: usize, stride: usize,
): void {
  const zi = z + <usize>i * stride;
  const gi = grad ? g + <usize>i * stride : g;
  const yi = load<i32>(at(y, i));
  if (yi == ignoreIndex) {
    if (grad) rowFill(gi, k, 0);
    if (rowLoss) store<f32>(at(rowLoss, i), 0);
    ctx.rowCe = 0; ctx.rowZ = 0;
    return;
  }
  const wy: f64 = ctx.weightMode != WEIGHT_NONE ? <f64>load<f32>(at(w, yi)) : 1;
  const zy = load<f32>(at(zi, yi));
  // In place, pass 2 overwrites z, so non-finite rows must be caught in pass 1 (the probe); otherwise
  // pass 2's sums catch them (Σ(z − m) is −∞ or NaN) and the row is redone from the intact z.
  //
  // Pass 1 stays, also out of place. Shifting by the max of a sample instead and redoing the rare rows
  // whose max lies far above it saved 3–9% at large K, but was not accurate enough: z − shift rounds to
  // half an f32 ulp of itself, up to 1.9e-6 for the logits near the max when the shift is 32–64 below
  // it, and the row loss then missed docs/spec.md's 1e-6 (1.6× the bound when measured).
  //
  // Without smoothing mass (B = 0) the loss does not need Σ (z − m): pass 2 leaves it out (about a
  // seventh of its time) and pass 1 probes for non-finite logits instead, in place or not.
  const noD = ctx.B == 0;
  const probe = zi == gi || noD;
  const m = probe ? rowMax(zi, k) : rowMaxFast(zi, k);
  let ce: f64 = 0, lse2: f64 = 0;
  let fast = !probe || rowFinite;
  // 'others' leaves y out of the smoothing sum: z_y is set to m for pass 2 (d = 0 adds nothing;
  // e = 1 is swapped for the real exp below) and put back — unless z_y is not finite (generic path).
  const excl = ctx.others && zy - zy == 0;
  if (fast && ctx.others && !excl) fast = false;
  if (fast) {
    const pt = ctx.weightMode == WEIGHT_PYTORCH;
    if (excl) store<f32>(at(zi, yi), m);
    // y's term is summed exactly (dominantRepair): on a confident row it is the 1 of S = 1 + tiny
    let S = noD ? expStoreSumOnly(zi, gi, k, m, yi) : pt ? expStoreSumWeighted(zi, gi, w, k, m, yi) : expStoreSum(zi, gi, k, m, yi);
    const sumB = noD ? 0 : pt ? weightedShiftSum : shiftSum;
    if (excl) {
      const e = expNeg(zy - m);
      if (zi != gi) store<f32>(at(zi, yi), zy);
      store<f32>(at(gi, yi), e);
      S += <f64>e - 1;
    }
    fast = probe || (sumB - sumB == 0 && S - S == 0);
    if (fast) {
      ce = rowFinish(ctx, S, sumB, <f64>(zy - m), <f64>m, wy, i);
      lse2 = ctx.lse2;
      if (grad) {
        const ey = <f64>load<f32>(at(gi, yi));
        if (pt) scaleSubtractWeighted(gi, w, k, <f32>ctx.alpha, <f32>ctx.gradC);
        else scaleSubtract(gi, k, <f32>ctx.alpha, <f32>ctx.gradC);
        store<f32>(at(gi, yi), <f32>(ctx.alpha * ey - ctx.gradY));
      }
    }
  }
  if (!fast) {
    rowGeneric(ctx, zi, gi, grad, k, yi, 0, eps, others, w, ctx.weightMode, ctx.lambda, ctx.s, ctx.zs);
    ce = ctx.genericCe; lse2 = ctx.genericLse2;
  }
  if (ctx.lambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
  if (rowLoss && !(fast && ctx.deferred)) store<f32>(at(rowLoss, i), <f32>(ce + ctx.lambda * lse2));
  ctx.rowCe = ce;
  ctx.rowZ = lse2;
}


/** One row of crossEntropyProb (three passes, or rowGeneric). Sets rowCe, rowZ. */
export function probRow(ctx: CeCall, 
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
      let S = expStoreSumTargets(zi, gi, ti, w, k, m);
      const R = A * targetSum + B * W, RD = A * targetShiftSum + B * weightShiftSum;
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
          scaleSubtractTargets(gi, ti, w, k, <f32>alpha, <f32>(s * A), <f32>(s * B));
        }
      }
    }
    if (!fast) {
      rowGeneric(ctx, zi, gi, grad, k, -1, ti, eps, false, w, WEIGHT_PYTORCH, lambda, s, s);
      ce = ctx.genericCe; lse2 = ctx.genericLse2;
    }
    if (lambda == 0) lse2 = 0; // 0·lse² is 0 even where lse is infinite (fully masked rows)
    if (rowLoss) store<f32>(at(rowLoss, i), <f32>(ce + lambda * lse2));
    ctx.rowCe = ce;
    ctx.rowZ = lse2;
  }
}

