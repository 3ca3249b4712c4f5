/**
 * Row-wise log-softmax and softmax in double precision, plus the per-row helper every other
 * reference function builds on.
 *
 * Conventions (docs/spec.md "Notation"):
 * - a masked class is a logit exactly equal to -Infinity;
 * - m is the max over the unmasked classes, ℓ_j = (z_j − m) − log Σ_{k∈V} exp(z_k − m),
 *   never z_j − lse (which loses precision for large logits);
 * - a row holding NaN or +Infinity has status "nonFinite", a row with every class masked has
 *   status "allMasked"; callers decide what such rows produce.
 */
import type { LogSoftmaxOptions, NumericArray, SoftmaxOptions } from "./types.js";

export type RowStatus = "ok" | "nonFinite" | "allMasked";

export interface RowSoftmax {
  status: RowStatus;
  /** ℓ_j: −Infinity on masked classes; only meaningful when status is "ok". */
  logp: Float64Array;
  /** p_j = exp(ℓ_j): 0 on masked classes; only meaningful when status is "ok". */
  p: Float64Array;
  /** log Σ_j exp(x_j) = m + log Σ exp(x_j − m). */
  lse: number;
  /** K' = number of unmasked classes. */
  validCount: number;
  /** masked[j] is true when x_j = −Infinity. */
  masked: boolean[];
}

/**
 * Log-softmax of row `row` of `logits` (K classes), with every logit divided by `temperature`.
 */
export function rowSoftmax(logits: NumericArray, row: number, K: number, temperature = 1): RowSoftmax {
  const x = new Float64Array(K);
  const masked: boolean[] = new Array<boolean>(K).fill(false);
  let nonFinite = false;
  let validCount = 0;
  let m = -Infinity;
  // Classify and take the max on the raw logits, then divide the differences: (z − m)/T, never
  // z/T − m/T (which overflows to ±Infinity for a tiny T and turns a finite row into NaN).
  for (let j = 0; j < K; j++) {
    const v = Number(logits[row * K + j]);
    x[j] = v;
    if (Number.isNaN(v) || v === Infinity) {
      nonFinite = true;
    } else if (v === -Infinity) {
      masked[j] = true;
    } else {
      validCount++;
      if (v > m) m = v;
    }
  }
  const logp = new Float64Array(K);
  const p = new Float64Array(K);
  if (nonFinite || validCount === 0) {
    logp.fill(NaN);
    p.fill(NaN);
    return {
      status: nonFinite ? "nonFinite" : "allMasked",
      logp,
      p,
      lse: NaN,
      validCount,
      masked,
    };
  }
  for (let j = 0; j < K; j++) if (!masked[j]) x[j] = (x[j]! - m) / temperature;
  let sum = 0;
  for (let j = 0; j < K; j++) {
    if (!masked[j]) sum += Math.exp(x[j]!);
  }
  const logSum = Math.log(sum);
  for (let j = 0; j < K; j++) {
    if (masked[j]) {
      logp[j] = -Infinity;
      p[j] = 0;
    } else {
      logp[j] = x[j]! - logSum;
      p[j] = Math.exp(logp[j]!);
    }
  }
  return { status: "ok", logp, p, lse: m / temperature + logSum, validCount, masked };
}

/** Number of rows N = length / K. */
export function rowCount(length: number, K: number): number {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`classes must be a positive integer, received ${K}`);
  if (length % K !== 0) {
    throw new RangeError(`length ${length} is not a multiple of classes = ${K}`);
  }
  return length / K;
}

/**
 * Row-wise log-softmax. Masked classes give −Infinity; a row with every class masked, or holding
 * NaN or +Infinity, is all NaN.
 */
export function logSoftmax(logits: NumericArray, options: LogSoftmaxOptions): Float64Array {
  const K = options.classes;
  const N = rowCount(logits.length, K);
  const out = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    const r = rowSoftmax(logits, i, K);
    out.set(r.logp, i * K); // already NaN-filled for non-"ok" rows
  }
  return out;
}

/**
 * Row-wise softmax of z / temperature (default 1). Masked classes give 0; a row with every class
 * masked, or holding NaN or +Infinity, is all NaN.
 */
export function softmax(logits: NumericArray, options: SoftmaxOptions): Float64Array {
  const K = options.classes;
  const T = options.temperature ?? 1;
  const N = rowCount(logits.length, K);
  const out = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    const r = rowSoftmax(logits, i, K, T);
    out.set(r.p, i * K);
  }
  return out;
}
