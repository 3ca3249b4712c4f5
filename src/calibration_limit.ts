// calibration's per-row work in f64, for temperatures so small (T < ~2.9e-39) that the kernel's f32
// 1/T is Infinity. Same outputs and rules as calibrationRows in assembly/calibration.ts, with the
// tempered logits formed as u = (z − m)/T in f64 — the T → 0 answer: confidence 1/(number of tied
// maxima), the first maximum as the prediction, exp underflowing to exactly 0 elsewhere.

/** What calibrationRows leaves, as arrays and sums. */
export interface CalibrationRows {
  /** Confidence of each counted row, in order. */
  conf: Float64Array;
  /** 1 where the counted row's prediction is its label. */
  hit: Int32Array;
  count: number;
  brierSum: number;
  nllSum: number;
  confidenceSum: number;
  hits: number;
}

/**
 * Rows of `f32` from element `z` (N×K logits) against `i32` from element `y` (N labels, already
 * range-checked), rows labelled ignoreIndex left out. Rows with NaN or +Infinity, or every class
 * masked, have NaN confidence, Brier term and NLL (prediction 0), as in the kernel.
 */
export function calibrationRowsTiny(
  f32: Float32Array,
  z: number,
  i32: Int32Array,
  y: number,
  n: number,
  k: number,
  T: number,
  ignoreIndex: number,
): CalibrationRows {
  const conf: number[] = [],
    hit: number[] = [];
  let brierSum = 0,
    nllSum = 0,
    confidenceSum = 0,
    hits = 0;
  for (let i = 0; i < n; i++) {
    const yi = i32[y + i]!;
    if (yi === ignoreIndex) continue;
    const row = z + i * k;
    let m = -Infinity,
      bad = false;
    for (let j = 0; j < k; j++) {
      const v = f32[row + j]!;
      if (v !== v || v === Infinity) bad = true;
      else if (v > m) m = v;
    }
    let c = NaN,
      pred = 0,
      brier = NaN,
      nll = NaN;
    if (!bad && m !== -Infinity) {
      // e_j = exp((z_j − m)/T): 1 at the maxima, 0 on masked classes.
      let S = 0,
        Q = 0;
      pred = -1;
      for (let j = 0; j < k; j++) {
        const v = f32[row + j]!;
        if (v === m && pred < 0) pred = j;
        const e = v === -Infinity ? 0 : Math.exp((v - m) / T);
        S += e;
        Q += e * e;
      }
      const zy = f32[row + yi]!;
      const uy = zy === -Infinity ? -Infinity : (zy - m) / T;
      const ey = Math.exp(uy);
      const r = (S - ey) / S;
      brier = (Q - ey * ey) / (S * S) + r * r;
      c = 1 / S;
      nll = Math.log(S) - uy;
    }
    const h = pred === yi ? 1 : 0;
    conf.push(c);
    hit.push(h);
    hits += h;
    brierSum += brier;
    nllSum += nll;
    confidenceSum += c;
  }
  return { conf: Float64Array.from(conf), hit: Int32Array.from(hit), count: conf.length, brierSum, nllSum, confidenceSum, hits };
}
