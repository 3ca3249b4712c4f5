// The calls that use the thread pool (docs/spec.md "Threads"): crossEntropy (index and probability
// targets), logSoftmax and softmax below; linearCrossEntropy, sigmoidCrossEntropy, distillation,
// calibration, fitTemperature's evaluations and smoothTargets through runJob, which drives any
// parameter-block kernel (assembly/jobs.ts) without knowing its set-up. The first three each run the
// kernel's fixed row blocks (assembly/cross_entropy.ts ceBlockRows: a size from N and K only) on the
// pool, every block writing its loss sums to its own f64 slot pair, and the calling thread adds the
// slots in block order (…Finish) — the additions the one-thread kernel makes, in the same order, so
// every thread count gives the same bits. The other functions run on the calling thread.

import { REDUCE, RESULT, WEIGHT } from "../abi.js";
import type { Heap } from "../memory.js";
import { JOB_CE_INDEX, JOB_CE_PROB, JOB_LOG_SOFTMAX, JOB_PARAMS, JOB_SOFTMAX } from "./protocol.js";

/**
 * Runs the parameter-block kernel whose block is at `p` (assembly/jobs.ts): on this thread alone
 * (jobRun) when the call is small or there is no pool, else the same prepare / steps / finish with
 * each step's blocks on the pool. Nothing about the kernel's set-up is repeated here: the kernel
 * derives it into the block. Returns as jobPrepare (−1, or the first bad label's row).
 */
export function runJob(h: Heap, fn: string, p: number, elements: number): number {
  const ex = h.exports;
  const pool = h.poolFor(elements);
  if (pool === null) return ex.jobRun(p);
  pool.check(fn); // before jobPrepare writes anything
  const bad = ex.jobPrepare(p);
  if (bad >= 0) return bad;
  for (let step = 0; ; step++) {
    const nb = ex.jobStepBlocks(p, step);
    if (nb < 0) break;
    if (nb === 0) continue;
    pool.run(fn, ex, JOB_PARAMS, nb, (a) => {
      a[0] = p;
      a[1] = step;
    });
  }
  ex.jobFinish(p);
  return -1;
}

/**
 * Index targets: as the crossEntropyIndex export (returns −1, or the first bad label's row). Without
 * grad, g must hold one K-float scratch row per thread (h.threads).
 */
export function ceIndex(
  h: Heap,
  fn: string,
  z: number,
  y: number,
  n: number,
  k: number,
  eps: number,
  others: number,
  ignoreIndex: number,
  w: number,
  wMode: number,
  lambda: number,
  red: number,
  g: number,
  grad: number,
  rowLoss: number,
): number {
  const ex = h.exports;
  const pool = h.poolFor(n * k);
  if (pool === null) return ex.crossEntropyIndex(z, y, n, k, eps, others, ignoreIndex, w, wMode, lambda, red, g, grad, rowLoss);
  if (!w) wMode = WEIGHT.none;
  const bad = ex.labelScan(y, n, k, ignoreIndex, wMode !== WEIGHT.none ? w : 0);
  if (bad >= 0) return bad;
  const D = h.f64[(h.results >>> 3) + RESULT.divisor]!,
    cnt = h.f64[(h.results >>> 3) + RESULT.count]!;
  const mean = red === REDUCE.mean;
  // the D = 0 rule (zeros, no row work): the one-thread kernel applies it
  if (D === 0 && mean) return ex.crossEntropyIndex(z, y, n, k, eps, others, ignoreIndex, w, wMode, lambda, red, g, grad, rowLoss);
  const s = mean ? 1 / D : 1,
    zs = mean ? 1 / cnt : 1;
  const W = ex.weightSum(w, k, wMode);
  const nb = ex.ceBlocks(n, k);
  const slots = h.scratchPtr("slots", nb * 16);
  pool.run(fn, ex, JOB_CE_INDEX, nb, (a) => {
    a[0] = z;
    a[1] = y;
    a[2] = n;
    a[3] = k;
    a[4] = eps;
    a[5] = others;
    a[6] = ignoreIndex;
    a[7] = w;
    a[8] = wMode;
    a[9] = W;
    a[10] = lambda;
    a[11] = s;
    a[12] = zs;
    a[13] = g;
    a[14] = grad;
    a[15] = rowLoss;
    a[16] = slots;
  });
  ex.crossEntropyIndexFinish(slots, nb, red, s, zs, lambda);
  return -1;
}

/** Probability targets: as the crossEntropyProb export; g as ceIndex. */
export function ceProb(
  h: Heap,
  fn: string,
  z: number,
  t: number,
  n: number,
  k: number,
  eps: number,
  w: number,
  lambda: number,
  red: number,
  g: number,
  grad: number,
  rowLoss: number,
): void {
  const ex = h.exports;
  const pool = n === 0 ? null : h.poolFor(n * k);
  if (pool === null) {
    ex.crossEntropyProb(z, t, n, k, eps, w, lambda, red, g, grad, rowLoss);
    return;
  }
  const s = red === REDUCE.mean ? 1 / n : 1;
  const W = ex.probWeightSum(w, k);
  const nb = ex.ceBlocks(n, k);
  const slots = h.scratchPtr("slots", nb * 16);
  pool.run(fn, ex, JOB_CE_PROB, nb, (a) => {
    a[0] = z;
    a[1] = t;
    a[2] = n;
    a[3] = k;
    a[4] = eps;
    a[7] = w;
    a[9] = W;
    a[10] = lambda;
    a[11] = s;
    a[13] = g;
    a[14] = grad;
    a[15] = rowLoss;
    a[16] = slots;
  });
  ex.crossEntropyProbFinish(slots, nb, red, s, lambda);
}

/** logSoftmax (log) or softmax(z·invT), rows split in the same blocks (each row's result is its own). */
export function softmaxRows(h: Heap, fn: string, log: boolean, z: number, out: number, n: number, k: number, invT: number): void {
  const ex = h.exports;
  const pool = n === 0 ? null : h.poolFor(n * k);
  if (pool === null) {
    if (log) ex.logSoftmax(z, out, n, k);
    else ex.softmax(z, out, n, k, invT);
    return;
  }
  const r = ex.ceBlockRows(n, k);
  pool.run(fn, ex, log ? JOB_LOG_SOFTMAX : JOB_SOFTMAX, Math.ceil(n / r), (a) => {
    a[0] = z;
    a[1] = out;
    a[2] = n;
    a[3] = k;
    a[4] = invT;
    a[5] = r;
  });
}
