// The calls on the thread pool (docs/spec.md "Threads"): every pooled function writes its parameter
// block and calls runJob, which drives any parameter-block kernel (assembly/jobs.ts) on one thread or
// the pool without knowing its set-up — the kernel derives that into the block. crossEntropy (both
// target kinds), logSoftmax and softmax share one block (CE, assembly/ce_job.ts), written below.

import { CE, JOB, PARAMS, REDUCE, WEIGHT } from "../abi.js";
import type { Heap } from "../memory.js";
import { JOB_PARAMS } from "./protocol.js";

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

/** crossEntropy's and the softmax forms' block (assembly/ce_job.ts): CE_KIND_* there. */
export const CE_KIND = { index: 0, prob: 1, logSoftmax: 2, softmax: 3 } as const;

/** The fields of one crossEntropy / logSoftmax / softmax call (the CE block of assembly/params.ts). */
export interface CeCall {
  kind: number;
  z: number;
  t: number;
  n: number;
  k: number;
  eps: number;
  others: number;
  ignoreIndex: number;
  w: number;
  wMode: number;
  lambda: number;
  red: number;
  g: number;
  grad: number;
  rowLoss: number;
  invT: number;
}

/**
 * Writes the CE block and runs it (one thread or the pool): returns as runJob (−1, or the first bad
 * label's row). Without grad, crossEntropy's g must hold one K-float scratch row per thread (h.threads).
 */
export function ceJob(h: Heap, fn: string, c: CeCall): number {
  const ex = h.exports;
  const loss = c.kind === CE_KIND.index || c.kind === CE_KIND.prob;
  // one scratch slot: the block, then (crossEntropy) 16 bytes per row block for the block sums
  const p = h.scratchPtr("ce.params", PARAMS.bytes + (loss ? 16 * Math.max(1, ex.ceBlocks(c.n, c.k)) : 0));
  // the fields written straight into the views (a call's fixed cost matters at small N·K)
  const i32 = h.i32,
    f64 = h.f64,
    q = p >>> 2,
    d = p >>> 3;
  i32[q + (PARAMS.job >>> 2)] = JOB.ce;
  i32[q + (CE.z >>> 2)] = c.z;
  i32[q + (CE.t >>> 2)] = c.t;
  i32[q + (CE.n >>> 2)] = c.n;
  i32[q + (CE.k >>> 2)] = c.k;
  i32[q + (CE.kind >>> 2)] = c.kind;
  f64[d + (CE.eps >>> 3)] = c.eps;
  i32[q + (CE.others >>> 2)] = c.others;
  i32[q + (CE.ignore >>> 2)] = c.ignoreIndex;
  i32[q + (CE.w >>> 2)] = c.w;
  i32[q + (CE.wMode >>> 2)] = c.wMode;
  f64[d + (CE.lambda >>> 3)] = c.lambda;
  i32[q + (CE.reduction >>> 2)] = c.red;
  i32[q + (CE.g >>> 2)] = c.g;
  i32[q + (CE.grad >>> 2)] = c.grad;
  i32[q + (CE.rowLoss >>> 2)] = c.rowLoss;
  f64[d + (CE.invT >>> 3)] = c.invT;
  i32[q + (CE.slots >>> 2)] = loss ? p + PARAMS.bytes : 0;
  return runJob(h, fn, p, c.n * c.k);
}

/** logSoftmax (log) or softmax(z·invT), by the same row blocks (each row's result is its own). */
export function softmaxRows(h: Heap, fn: string, log: boolean, z: number, out: number, n: number, k: number, invT: number): void {
  ceJob(h, fn, {
    kind: log ? CE_KIND.logSoftmax : CE_KIND.softmax,
    z,
    t: 0,
    n,
    k,
    eps: 0,
    others: 0,
    ignoreIndex: 0,
    w: 0,
    wMode: WEIGHT.none,
    lambda: 0,
    red: REDUCE.sum,
    g: out,
    grad: 0,
    rowLoss: 0,
    invT,
  });
}
