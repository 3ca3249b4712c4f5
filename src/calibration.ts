// calibration: ECE, MCE, Brier, NLL, accuracy, confidence and reliability-diagram bins (docs/spec.md;
// Guo et al. 2017). The per-row work (softmax, max, argmax, Brier and NLL terms) runs in wasm as a
// parameter block over the pool (row blocks, sums added in block order: docs/spec.md "Threads"), which
// leaves each counted row's confidence and correctness; the binning (a sort for quantile bins) is
// done here over those N numbers.

import { CAL, CAL_SLOT_BYTES, CALIBRATION_RESULT, JOB, PARAMS } from "./abi.js";
import { runJob } from "./threads/run.js";
import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import type { CalibrationBin, CalibrationOptions, CalibrationResult, Float32Input, Int32Input } from "./types.js";
import {
  badLabel,
  checkOptions,
  classesOf,
  countIn,
  expectLength,
  f32Operand,
  i32Operand,
  integer,
  notWith,
  numberIn,
  oneOf,
  rowsOf,
} from "./validate.js";
import { calibrationRowsTiny, type CalibrationRows } from "./calibration_limit.js";
import { copyIn, paramWriter, place } from "./stage.js";

const FN = "calibration";
const KEYS: ReadonlySet<string> = new Set(["classes", "bins", "binning", "from", "temperature", "ignoreIndex"]);
const BINNINGS = ["uniform", "quantile"] as const;
const FROMS = ["logits", "probabilities"] as const;
/**
 * The most bins a call may ask for: the result holds one object per bin, so the count is capped
 * (2^16; reliability diagrams use 10–20) rather than left to exhaust the JS heap.
 */
export const MAX_BINS = 65536;

/**
 * Calibration metrics of N rows of logits (or probabilities) against their labels: top-label
 * confidence max_j p_ij, prediction argmax_j p_ij (first maximum on ties). Bins: `bins` equal-width
 * intervals (b/M, (b+1)/M] (confidence 0 in the first), or equal-mass bins with `binning: 'quantile'`.
 */
export function calibration(logits: Float32Input, labels: Int32Input, options: CalibrationOptions): CalibrationResult {
  heap(FN);
  const o = checkOptions(FN, options, KEYS, true);
  enter(FN);
  try {
    return compute(logits, labels, o);
  } finally {
    leave();
  }
}

function compute(logits: Float32Input, labels: Int32Input, o: Record<string, unknown>): CalibrationResult {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  const M = countIn(FN, "bins", o.bins, 1, MAX_BINS, 15);
  const binning = oneOf(FN, "binning", o.binning, BINNINGS, "uniform");
  const from = oneOf(FN, "from", o.from, FROMS, "logits");
  const T = numberIn(FN, "temperature", o.temperature, 0, Number.MAX_VALUE, 1, true);
  if (from === "probabilities" && o.temperature !== undefined) {
    notWith(FN, "temperature", "from: 'probabilities'", "it divides logits; probabilities are used as they are");
  }
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  const z = f32Operand(FN, "logits", logits, h);
  const n = rowsOf(FN, "logits", z.length, k);
  const y = i32Operand(FN, "labels", labels, h);
  expectLength(FN, "labels", y.length, n, `one label per row: logits.length / classes = ${n}`);

  const zPtr = place(h, z, "a");
  const yPtr = place(h, y, "b");
  // T so small that the kernel's f32 1/T is Infinity: the rows are done in f64 here (calibration_limit.ts).
  const tiny = from === "logits" && Math.fround(1 / T) === Infinity;
  const confPtr = h.scratchPtr("conf", tiny ? 0 : n * 8);
  const hitPtr = h.scratchPtr("hit", tiny ? 0 : n * 4);
  // 2·K f64 of row scratch per thread of the pool; none for an empty batch, whatever K
  const w64 = h.scratchPtr("row64", n === 0 || tiny ? 0 : h.threads * 16 * k);
  const slots = h.scratchPtr("cal.slots", tiny ? 0 : CAL_SLOT_BYTES * Math.min(65535, Math.max(1, n))); // one per row block
  const p = h.scratchPtr("cal.params", PARAMS.bytes); // the call's parameter block (assembly/params.ts)
  copyIn(h, z, zPtr);
  copyIn(h, y, yPtr);
  let rows: CalibrationRows;
  if (tiny) {
    const bad = h.exports.labelScan(yPtr, n, k, ignoreIndex, 0);
    if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);
    rows = calibrationRowsTiny(h.f32, zPtr >>> 2, h.i32, yPtr >>> 2, n, k, T, ignoreIndex);
  } else {
    const w = paramWriter(h, p);
    const set = w.int;
    set(PARAMS.job, JOB.calibration);
    set(CAL.z, zPtr);
    set(CAL.y, yPtr);
    set(CAL.n, n);
    set(CAL.k, k);
    w.f64(CAL.temperature, T);
    set(CAL.fromProb, from === "probabilities" ? 1 : 0);
    set(CAL.ignore, ignoreIndex);
    set(CAL.conf, confPtr);
    set(CAL.correct, hitPtr);
    set(CAL.scratch, w64);
    set(CAL.slots, slots);
    const bad = runJob(h, FN, p, n * k);
    if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);
    const r = h.results >>> 3;
    const count = h.f64[r + CALIBRATION_RESULT.count]!;
    rows = {
      conf: h.f64.slice(confPtr >>> 3, (confPtr >>> 3) + count),
      hit: h.i32.slice(hitPtr >>> 2, (hitPtr >>> 2) + count),
      count,
      brierSum: h.f64[r + CALIBRATION_RESULT.brierSum]!,
      nllSum: h.f64[r + CALIBRATION_RESULT.nllSum]!,
      confidenceSum: h.f64[r + CALIBRATION_RESULT.confidenceSum]!,
      hits: h.f64[r + CALIBRATION_RESULT.hits]!,
    };
  }
  const { conf, hit, count } = rows;
  const bins = binning === "uniform" ? uniformBins(conf, hit, M) : quantileBins(conf, hit, M);
  let ece = 0;
  let mce = 0;
  for (const b of bins) {
    if (b.count === 0) continue;
    const gap = Math.abs(b.accuracy - b.confidence);
    ece += (b.count / count) * gap;
    mce = Number.isNaN(gap) || Number.isNaN(mce) ? NaN : Math.max(mce, gap);
  }
  if (count === 0) return { ece: 0, mce: 0, brier: 0, nll: 0, accuracy: 0, confidence: 0, bins };
  return {
    ece,
    mce,
    brier: rows.brierSum / count,
    nll: rows.nllSum / count,
    // a row with NaN probabilities has no prediction: the accuracy is NaN too, not a silent hit or miss
    accuracy: conf.some(Number.isNaN) ? NaN : rows.hits / count,
    confidence: rows.confidenceSum / count,
    bins,
  };
}

function finish(lower: number, upper: number, count: number, hits: number, confSum: number): CalibrationBin {
  return count === 0
    ? { lower, upper, count: 0, accuracy: 0, confidence: 0 }
    : { lower, upper, count, accuracy: hits / count, confidence: confSum / count };
}

/** (b/M, (b+1)/M]: b = ⌈c·M⌉ − 1, confidence 0 (and NaN) to the first bin, above 1 to the last. */
function uniformBins(conf: Float64Array, hit: Int32Array, M: number): CalibrationBin[] {
  const count = new Float64Array(M),
    hits = new Float64Array(M),
    sum = new Float64Array(M);
  for (let i = 0; i < conf.length; i++) {
    const c = conf[i]!;
    let b = Math.ceil(c * M) - 1;
    if (!(b >= 0)) b = 0;
    else if (b > M - 1) b = M - 1;
    count[b]! += 1;
    hits[b]! += Number.isNaN(c) ? NaN : hit[i]!;
    sum[b]! += c;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < M; b++) out.push(finish(b / M, (b + 1) / M, count[b]!, hits[b]!, sum[b]!));
  return out;
}

/**
 * Equal mass: a stable ascending sort by confidence; bin b takes sorted positions [⌊bN/M⌋, ⌊(b+1)N/M⌋)
 * and reports its smallest and largest confidence as its edges (0 and 0 when empty, as when N < M).
 */
function quantileBins(conf: Float64Array, hit: Int32Array, M: number): CalibrationBin[] {
  const N = conf.length;
  const order = new Int32Array(N);
  for (let i = 0; i < N; i++) order[i] = i;
  // NaN confidences sort last here (a NaN row makes the metrics NaN whatever its bin).
  order.sort((a, b) => {
    const ca = conf[a]!,
      cb = conf[b]!;
    if (ca < cb) return -1;
    if (ca > cb) return 1;
    if (Number.isNaN(ca) !== Number.isNaN(cb)) return Number.isNaN(ca) ? 1 : -1;
    return a - b;
  });
  const out: CalibrationBin[] = [];
  for (let b = 0; b < M; b++) {
    const start = Math.floor((b * N) / M),
      end = Math.floor(((b + 1) * N) / M);
    let hits = 0,
      sum = 0;
    for (let p = start; p < end; p++) {
      hits += Number.isNaN(conf[order[p]!]!) ? NaN : hit[order[p]!]!;
      sum += conf[order[p]!]!;
    }
    const c = end - start;
    out.push(finish(c ? conf[order[start]!]! : 0, c ? conf[order[end - 1]!]! : 0, c, hits, sum));
  }
  return out;
}
