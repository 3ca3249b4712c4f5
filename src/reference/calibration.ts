/**
 * Calibration metrics (Guo et al. 2017) in double precision: ECE, MCE, Brier score, NLL,
 * accuracy, mean confidence and the reliability-diagram bins.
 *
 * Choices where docs/spec.md is silent:
 * - Rows labelled ignoreIndex (default −100) are left out. With no row left, every metric is 0
 *   and every bin has count 0, accuracy 0, confidence 0 (uniform bins keep their edges b/M,
 *   (b+1)/M; quantile bins get lower = upper = 0).
 * - Empty quantile bins (possible when N < M) report lower = upper = 0.
 * - from: 'probabilities' uses the given values as p as they are; `temperature` is ignored then.
 *   nll is −log p_y (+Infinity if p_y = 0).
 * - A confidence of NaN (a NaN or all-masked row) falls in bin 0 (and then makes the metrics NaN);
 *   a confidence above 1 (unnormalised probabilities) falls in the last uniform bin.
 */
import { rowCount, rowSoftmax } from "./softmax.js";
import { checkLabel } from "./smooth.js";
import type { CalibrationBin, CalibrationOptions, CalibrationResult, NumericArray } from "./types.js";

interface Sample {
  confidence: number;
  /** 1 or 0; NaN for a row with no prediction (NaN probabilities): it makes every accuracy it enters NaN. */
  correct: number;
}

export function calibration(logits: NumericArray, labels: NumericArray, options: CalibrationOptions): CalibrationResult {
  const K = options.classes;
  const N = rowCount(logits.length, K);
  const M = options.bins ?? 15;
  const binning = options.binning ?? "uniform";
  const from = options.from ?? "logits";
  const T = options.temperature ?? 1;
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (labels.length !== N) throw new RangeError(`expected ${N} labels, received ${labels.length}`);
  if (!Number.isInteger(M) || M < 1) throw new RangeError(`bins must be a positive integer, received ${M}`);

  const samples: Sample[] = [];
  let brierSum = 0;
  let nllSum = 0;
  for (let i = 0; i < N; i++) {
    const y = Number(labels[i]);
    checkLabel(y, i, K, ignoreIndex);
    if (y === ignoreIndex) continue;
    let p: Float64Array;
    let nll: number;
    if (from === "logits") {
      const row = rowSoftmax(logits, i, K, T);
      p = row.p;
      nll = -row.logp[y]!;
    } else {
      p = new Float64Array(K);
      for (let j = 0; j < K; j++) p[j] = Number(logits[i * K + j]);
      nll = -Math.log(p[y]!);
    }
    // top-label confidence and prediction (first maximum)
    let pred = 0;
    for (let j = 1; j < K; j++) if (p[j]! > p[pred]!) pred = j;
    const confidence = p[pred]!;
    let brier = 0;
    for (let j = 0; j < K; j++) {
      const d = p[j]! - (j === y ? 1 : 0);
      brier += d * d;
    }
    samples.push({ confidence, correct: Number.isNaN(confidence) ? NaN : pred === y ? 1 : 0 });
    brierSum += brier;
    nllSum += nll;
  }

  const count = samples.length;
  const binMembers: Sample[][] = Array.from({ length: M }, () => []);
  const lower = new Float64Array(M);
  const upper = new Float64Array(M);
  if (binning === "uniform") {
    for (let b = 0; b < M; b++) {
      lower[b] = b / M;
      upper[b] = (b + 1) / M;
    }
    for (const s of samples) {
      // (b/M, (b+1)/M]: b = ceil(c·M) − 1, and c = 0 goes to bin 0
      let b = Math.max(0, Math.ceil(s.confidence * M) - 1);
      if (!(b >= 0)) b = 0; // NaN confidence
      if (b > M - 1) b = M - 1;
      binMembers[b]!.push(s);
    }
  } else {
    // equal mass: stable ascending sort (NaN confidences last), bin b takes sorted positions
    // [⌊bN/M⌋, ⌊(b+1)N/M⌋)
    const key = (c: number): number => (Number.isNaN(c) ? Infinity : c);
    const sorted = samples
      .map((s, index) => ({ s, index }))
      .sort(
        (a, b) =>
          key(a.s.confidence) - key(b.s.confidence) ||
          Number(Number.isNaN(a.s.confidence)) - Number(Number.isNaN(b.s.confidence)) ||
          a.index - b.index,
      )
      .map((e) => e.s);
    for (let b = 0; b < M; b++) {
      const start = Math.floor((b * count) / M);
      const end = Math.floor(((b + 1) * count) / M);
      const members = sorted.slice(start, end);
      binMembers[b] = members;
      if (members.length > 0) {
        // sorted ascending, so the edges are the first and last member
        lower[b] = members[0]!.confidence;
        upper[b] = members[members.length - 1]!.confidence;
      }
    }
  }

  const bins: CalibrationBin[] = [];
  let ece = 0;
  let mce = 0;
  for (let b = 0; b < M; b++) {
    const members = binMembers[b]!;
    let accuracy = 0;
    let confidence = 0;
    if (members.length > 0) {
      accuracy = members.reduce((acc, s) => acc + s.correct, 0) / members.length;
      confidence = members.reduce((acc, s) => acc + s.confidence, 0) / members.length;
      const gap = Math.abs(accuracy - confidence);
      ece += (members.length / count) * gap;
      mce = Math.max(mce, gap); // Math.max propagates NaN
    }
    bins.push({ lower: lower[b]!, upper: upper[b]!, count: members.length, accuracy, confidence });
  }

  if (count === 0) {
    return { ece: 0, mce: 0, brier: 0, nll: 0, accuracy: 0, confidence: 0, bins };
  }
  return {
    ece,
    mce,
    brier: brierSum / count,
    nll: nllSum / count,
    accuracy: samples.reduce((acc, s) => acc + s.correct, 0) / count,
    confidence: samples.reduce((acc, s) => acc + s.confidence, 0) / count,
    bins,
  };
}
