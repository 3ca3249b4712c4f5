// Element-wise sigmoid cross-entropy with logits, fused loss + gradient (docs/spec.md "sigmoidCrossEntropy").
//
// With u = exp(−|x|) (one exp), sp = log1p(u) (one log), w = 1 + u and r = 1/w (one division):
//   softplus(x) = max(x, 0) + sp,  softplus(−x) = max(−x, 0) + sp,  σ(x) = x ≥ 0 ? r : u·r.
// Smoothed targets t' = t·(1−ε) + ε/2 and 1 − t' = (1−t)·(1−ε) + ε/2 are both formed from t, so the
// loss never subtracts two large products (x·t' against max(x, 0) would lose ~1e-6 relative for
// |x| ≫ 1 and t' near 1):
//   no posWeight:  ℓ = max(x,0)·(1−t') + max(−x,0)·t' + sp        ∂ℓ/∂x = σ − t'
//   posWeight p:   ℓ = p·t'·softplus(−x) + (1−t')·softplus(x)      ∂ℓ/∂x = σ·(1 − t' + p·t') − p·t'
// A non-finite logit (NaN, ±Infinity) gives that element a NaN loss and a NaN gradient (never a
// finite-looking gradient beside a NaN loss): nf = x − x is 0 for finite x and NaN otherwise, and is
// added to both, at the cost of one subtract and two adds.
// Each vector's losses are added into f64 (accF64): a long f32 lane sum rounds small losses the same
// way once it holds a large one.

import {
  EXP_AT_LN2, EXP_AT_LOG2E, EXP_AT_MAGIC, EXP_AT_MIN, EXP_AT_ONE, EXP_AT_P0, EXP_AT_P1, EXP_AT_P2, EXP_AT_P3, EXP_AT_P4, EXP_AT_ZERO,
  expNeg, vexpNeg,
} from "./math/exp";
import {
  LOG_AT_BIAS, LOG_AT_C3, LOG_AT_C5, LOG_AT_C7, LOG_AT_C9, LOG_AT_LN2_HI, LOG_AT_LN2_LO, LOG_AT_MANT, LOG_AT_SHIFT,
  LOG_AT_SQRTH, LOG_AT_TWO, log1pUnit, vlogPos,
} from "./math/log";
import { at, accF64, hsum2 } from "./math/vec";
import { RESULTS, RESULT_LOSS, REDUCE_MEAN, REDUCE_NONE } from "./common";
import { sigmoidFocalRange } from "./sigmoid_focal";
import {
  SIG_BALANCE, SIG_BLOCK_LEN, SIG_BLOCKS, SIG_COUNT, SIG_EPS, SIG_FALPHA, SIG_FOCAL, SIG_G, SIG_GAMMA, SIG_GRAD, SIG_K,
  SIG_OUT, SIG_PW, SIG_REDUCTION, SIG_S, SIG_SLOTS, SIG_T, SIG_X,
} from "./params";


/**
 * Loss sum of `len` contiguous elements starting at element `o`, writing gradients (× s) into g when
 * grad, and per-element losses into out when out ≠ 0. `pw`: posWeight for these `len` elements
 * (already offset to the span's class 0), or 0. a = 1−ε, b = ε/2.
 */
function span(
  x: usize, t: usize, g: usize, out: usize, pw: usize, o: i32, len: i32,
  a: f32, b: f32, s: f32, grad: bool,
): f64 {
  x += <usize>o << 2; t += <usize>o << 2; g += <usize>o << 2;
  if (out) out += <usize>o << 2;
  let sum: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = v128.load32_splat(EXP_AT_MIN), log2e = v128.load32_splat(EXP_AT_LOG2E);
    const magic = v128.load32_splat(EXP_AT_MAGIC), ln2 = v128.load32_splat(EXP_AT_LN2);
    const p0 = v128.load32_splat(EXP_AT_P0);
    const p1 = v128.load32_splat(EXP_AT_P1), p2 = v128.load32_splat(EXP_AT_P2);
    const p3 = v128.load32_splat(EXP_AT_P3), one = v128.load32_splat(EXP_AT_ONE);
    const p4 = v128.load32_splat(EXP_AT_P4);
    const zero = v128.load32_splat(EXP_AT_ZERO);
    const two = v128.load32_splat(LOG_AT_TWO), c3 = v128.load32_splat(LOG_AT_C3);
    const c5 = v128.load32_splat(LOG_AT_C5), c7 = v128.load32_splat(LOG_AT_C7);
    const c9 = v128.load32_splat(LOG_AT_C9);
    const ln2hi = v128.load32_splat(LOG_AT_LN2_HI), ln2lo = v128.load32_splat(LOG_AT_LN2_LO);
    const shift = v128.load32_splat(LOG_AT_SHIFT), sqrth = v128.load32_splat(LOG_AT_SQRTH);
    const mant = v128.load32_splat(LOG_AT_MANT), bias = v128.load32_splat(LOG_AT_BIAS);
    const av = f32x4.splat(a), bv = f32x4.splat(b), sv = f32x4.splat(s);
    const len4 = len & ~3;
    let acc = f64x2.splat(0);
    for (; j < len4; j += 4) {
      const xv = v128.load(at(x, j));
      const tv = v128.load(at(t, j));
      const u = vexpNeg(f32x4.neg(f32x4.abs(xv)), lo, log2e, magic, ln2, p0, p1, p2, p3, one, p4);
      const w = f32x4.add(one, u);
      const r = f32x4.div(one, w);
      const sp = f32x4.add(
        vlogPos(w, shift, sqrth, mant, bias, two, one, ln2hi, ln2lo, c3, c5, c7, c9),
        f32x4.mul(f32x4.sub(u, f32x4.sub(w, one)), r),
      );
      const sig = v128.bitselect(r, f32x4.mul(u, r), f32x4.ge(xv, zero));
      const tp = f32x4.add(f32x4.mul(tv, av), bv);
      const tn = f32x4.add(f32x4.mul(f32x4.sub(one, tv), av), bv);
      const pos = f32x4.pmax(xv, zero), neg = f32x4.pmax(f32x4.neg(xv), zero);
      const nf = f32x4.sub(xv, xv);
      let l: v128, gv: v128;
      if (pw) {
        const ptp = f32x4.mul(v128.load(at(pw, j)), tp);
        l = f32x4.add(f32x4.mul(ptp, f32x4.add(neg, sp)), f32x4.mul(tn, f32x4.add(pos, sp)));
        gv = f32x4.sub(f32x4.mul(sig, f32x4.add(tn, ptp)), ptp);
      } else {
        l = f32x4.add(f32x4.add(f32x4.mul(pos, tn), f32x4.mul(neg, tp)), sp);
        gv = f32x4.sub(sig, tp);
      }
      l = f32x4.add(l, nf);
      gv = f32x4.add(gv, nf);
      if (grad) v128.store(at(g, j), f32x4.mul(gv, sv));
      if (out) v128.store(at(out, j), l);
      acc = accF64(acc, l);
    }
    sum += hsum2(acc);
  }
  for (; j < len; j++) {
    const xs = load<f32>(at(x, j));
    const ts = load<f32>(at(t, j));
    const u = expNeg(-abs<f32>(xs));
    const w = <f32>1.0 + u;
    const r = <f32>1.0 / w;
    const sp = log1pUnit(u);
    const sig: f32 = xs >= 0 ? r : u * r;
    const tp = ts * a + b;
    const tn = (<f32>1.0 - ts) * a + b;
    const pos: f32 = xs > 0 || xs != xs ? xs : 0;
    const neg: f32 = xs < 0 || xs != xs ? -xs : 0;
    const nf = xs - xs;
    let l: f32, gs: f32;
    if (pw) {
      const ptp = load<f32>(at(pw, j)) * tp;
      l = ptp * (neg + sp) + tn * (pos + sp);
      gs = sig * (tn + ptp) - ptp;
    } else {
      l = (pos * tn + neg * tp) + sp;
      gs = sig - tp;
    }
    l += nf;
    gs += nf;
    if (grad) store<f32>(at(g, j), gs * s);
    if (out) store<f32>(at(out, j), l);
    sum += <f64>l;
  }
  return sum;
}

// ---- the parameter-block form (assembly/jobs.ts; docs/spec.md "Threads"): the elements in fixed
// blocks of SIG_BLOCK_LEN (from count and K only: ~16384 elements, whole rows of K with posWeight),
// each block's loss sum in its own f64 slot, the slots added in block order by the calling thread.

/** Target elements per block. */
const SIG_BLOCK: i32 = 16384;

export function sigmoidPrepare(p: usize): i32 {
  const count = load<i32>(p + SIG_COUNT), k = load<i32>(p + SIG_K);
  const mean = load<i32>(p + SIG_REDUCTION) == REDUCE_MEAN && count > 0;
  store<f64>(p + SIG_S, mean ? 1 / <f64>count : 1);
  let len: i32;
  if (load<u32>(p + SIG_PW)) {
    const rows = count / k;
    let r = max(1, SIG_BLOCK / k);
    r = max(r, (rows + 65534) / 65535);
    len = r * k;
  } else {
    len = max(SIG_BLOCK, (count + 65534) / 65535);
    len = (len + 3) & ~3;
  }
  store<i32>(p + SIG_BLOCK_LEN, len);
  store<i32>(p + SIG_BLOCKS, count == 0 ? 0 : (count + len - 1) / len);
  return -1;
}

export function sigmoidStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? load<i32>(p + SIG_BLOCKS) : -1;
}

export function sigmoidBlock(p: usize, b: i32): void {
  const count = load<i32>(p + SIG_COUNT), k = load<i32>(p + SIG_K), len = load<i32>(p + SIG_BLOCK_LEN);
  const eps = load<f64>(p + SIG_EPS);
  const a = <f32>(1 - eps), bb = <f32>(eps / 2), s = <f32>load<f64>(p + SIG_S);
  const x = <usize>load<u32>(p + SIG_X), t = <usize>load<u32>(p + SIG_T), g = <usize>load<u32>(p + SIG_G);
  const pw = <usize>load<u32>(p + SIG_PW);
  const out = load<i32>(p + SIG_REDUCTION) == REDUCE_NONE ? <usize>load<u32>(p + SIG_OUT) : 0;
  const grad = load<i32>(p + SIG_GRAD) != 0;
  const o0 = b * len, end = min(count, o0 + len);
  let sum: f64 = 0;
  if (load<i32>(p + SIG_FOCAL)) {
    // the focal option (sigmoid_focal.ts): the same element blocks, f64 per element
    sum = sigmoidFocalRange(
      x, t, o0, end, k, pw, g, out, eps, load<f64>(p + SIG_GAMMA), load<f64>(p + SIG_FALPHA), load<i32>(p + SIG_BALANCE) != 0,
      load<f64>(p + SIG_S), grad,
    );
  } else if (!pw) sum = span(x, t, g, out, 0, o0, end - o0, a, bb, s, grad);
  else for (let o = o0; o < end; o += k) sum += span(x, t, g, out, pw, o, k, a, bb, s, grad);
  store<f64>(<usize>load<u32>(p + SIG_SLOTS) + (<usize>b << 3), sum);
}

export function sigmoidFinish(p: usize): void {
  const nb = load<i32>(p + SIG_BLOCKS), slots = <usize>load<u32>(p + SIG_SLOTS);
  let sum: f64 = 0;
  for (let b = 0; b < nb; b++) sum += load<f64>(slots + (<usize>b << 3));
  const count = load<i32>(p + SIG_COUNT);
  const mean = load<i32>(p + SIG_REDUCTION) == REDUCE_MEAN && count > 0;
  store<f64>(RESULTS + RESULT_LOSS, mean ? sum * load<f64>(p + SIG_S) : sum);
}
