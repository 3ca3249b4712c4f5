import { describe, it, expect } from "vitest";
import { calibration, fitTemperature, logSoftmax, softmax } from "../../src/reference/index.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";

/** Labels drawn from softmax(z / T) row by row. */
function sampleLabels(rng: () => number, z: Float32Array, K: number, T: number): Int32Array {
  const p = softmax(z, { classes: K, temperature: T });
  const N = z.length / K;
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const u = rng();
    let acc = 0;
    let y = K - 1;
    for (let j = 0; j < K; j++) {
      acc += p[i * K + j]!;
      if (u < acc) {
        y = j;
        break;
      }
    }
    labels[i] = y;
  }
  return labels;
}

/** Mean NLL of softmax(z / T), written independently of the reference's fitTemperature. */
function nllAt(z: ArrayLike<number>, labels: Int32Array, K: number, T: number): number {
  const scaled = Array.from(z, (v) => v / T);
  const l = logSoftmax(scaled, { classes: K });
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= l[i * K + labels[i]!]!;
  return s / labels.length;
}

describe("calibration", () => {
  // K = 2 probabilities; see the hand computation in each test
  const probs = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.5, 0.5, 0.3, 0.7];
  const labels = new Int32Array([0, 0, 1, 1, -100]);

  it("uniform bins by hand (M = 4, a confidence on a bin edge, first argmax on ties, ignored row)", () => {
    const r = calibration(probs, labels, { classes: 2, bins: 4, from: "probabilities" });
    // confidences .9 ✓, .8 ✗ (pred 1), .6 ✗ (pred 0), .5 ✗ (tie → pred 0); .5 falls in (.25, .5]
    expect(r.bins.map((b) => b.count)).toEqual([0, 1, 1, 2]);
    expect(r.bins.map((b) => [b.lower, b.upper])).toEqual([
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ]);
    expect(r.bins[0]).toEqual({ lower: 0, upper: 0.25, count: 0, accuracy: 0, confidence: 0 });
    expect(r.bins[3]!.accuracy).toBe(0.5);
    expect(Math.abs(r.bins[3]!.confidence - 0.85)).toBeLessThan(1e-15);
    expect(Math.abs(r.ece - 0.45)).toBeLessThan(1e-15); // .25·.5 + .25·.6 + .5·.35
    expect(Math.abs(r.mce - 0.6)).toBeLessThan(1e-15);
    expect(Math.abs(r.brier - 2.52 / 4)).toBeLessThan(1e-15);
    expect(Math.abs(r.nll - -(Math.log(0.9) + Math.log(0.2) + Math.log(0.4) + Math.log(0.5)) / 4)).toBeLessThan(1e-15);
    expect(r.accuracy).toBe(0.25);
    expect(Math.abs(r.confidence - 0.7)).toBeLessThan(1e-15);
  });

  it("quantile bins by hand (M = 2, M = 6 with empty bins)", () => {
    const two = calibration(probs, labels, { classes: 2, bins: 2, binning: "quantile", from: "probabilities" });
    expect(two.bins.map((b) => [b.lower, b.upper, b.count, b.accuracy])).toEqual([
      [0.5, 0.6, 2, 0],
      [0.8, 0.9, 2, 0.5],
    ]);
    expect(Math.abs(two.ece - 0.45)).toBeLessThan(1e-15);
    expect(Math.abs(two.mce - 0.55)).toBeLessThan(1e-15);
    // N = 4, M = 6: bin b holds sorted positions [⌊4b/6⌋, ⌊4(b+1)/6⌋)
    const six = calibration(probs, labels, { classes: 2, bins: 6, binning: "quantile", from: "probabilities" });
    expect(six.bins.map((b) => b.count)).toEqual([0, 1, 1, 0, 1, 1]);
    expect(six.bins[0]).toEqual({ lower: 0, upper: 0, count: 0, accuracy: 0, confidence: 0 });
    expect(six.bins.map((b) => b.lower)).toEqual([0, 0.5, 0.6, 0, 0.8, 0.9]);
  });

  it("a confidence of 0 goes to the first bin; default 15 bins", () => {
    const r = calibration([0, 0, 1, 0], new Int32Array([0, 0]), { classes: 2, from: "probabilities" });
    expect(r.bins.length).toBe(15);
    expect(r.bins[0]!.count).toBe(1);
    expect(r.bins[14]!.count).toBe(1);
    expect(Math.abs(r.bins[14]!.lower - 14 / 15)).toBeLessThan(1e-15);
  });

  it("from logits: nll uses log-softmax (finite where p_y underflows), temperature divides logits", () => {
    const r = calibration([0, 1000], new Int32Array([0]), { classes: 2 });
    expect(r.nll).toBe(1000);
    const rng = mulberry32(4);
    const z = randomLogits(rng, 50, 4, 3, 0);
    const y = sampleLabels(rng, z, 4, 1);
    const a = calibration(z, y, { classes: 4, temperature: 2.5 });
    const b = calibration(
      Array.from(z, (v) => v / 2.5),
      y,
      { classes: 4 },
    );
    expect(Math.abs(a.nll - b.nll)).toBeLessThan(1e-14);
    expect(Math.abs(a.ece - b.ece)).toBeLessThan(1e-14);
  });

  it("no rows left (all ignored): zeros everywhere", () => {
    const r = calibration([1, 2], new Int32Array([-100]), { classes: 2, bins: 3 });
    expect([r.ece, r.mce, r.brier, r.nll, r.accuracy, r.confidence]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.bins.map((b) => b.count)).toEqual([0, 0, 0]);
  });

  it("a perfectly calibrated synthetic set has ECE < 0.01; a miscalibrated one does not", () => {
    const rng = mulberry32(123);
    const K = 5;
    const N = 200_000;
    const z = randomLogits(rng, N, K, 2, 0);
    const calibrated = sampleLabels(rng, z, K, 1);
    expect(calibration(z, calibrated, { classes: K }).ece).toBeLessThan(0.01);
    expect(calibration(z, calibrated, { classes: K, binning: "quantile" }).ece).toBeLessThan(0.01);
    const soft = sampleLabels(rng, z, K, 2); // the model is overconfident for these labels
    expect(calibration(z, soft, { classes: K }).ece).toBeGreaterThan(0.05);
    expect(calibration(z, soft, { classes: K, temperature: 2 }).ece).toBeLessThan(0.01);
  });
});

describe("fitTemperature", () => {
  const rng = mulberry32(777);
  const K = 10;
  const N = 20_000;
  const z = randomLogits(rng, N, K, 3, 0);
  const labels = sampleLabels(rng, z, K, 2);
  let fitted: ReturnType<typeof fitTemperature> | undefined;
  const fitOnce = () => (fitted ??= fitTemperature(z, labels, { classes: K }));

  it("recovers T ≈ 2 when labels are drawn from softmax(z / 2)", () => {
    const r = fitOnce();
    expect(Math.abs(r.temperature - 2)).toBeLessThan(0.05);
    expect(r.atBound).toBe(false);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.iterations).toBeLessThanOrEqual(50);
    expect(Math.abs(r.nllBefore - nllAt(z, labels, K, 1))).toBeLessThan(1e-12);
    expect(Math.abs(r.nllAfter - nllAt(z, labels, K, r.temperature))).toBeLessThan(1e-12);
    expect(r.nllAfter).toBeLessThan(r.nllBefore);
  });

  it("the result is a minimiser: NLL at T·(1 ± 1e-3) is not lower", () => {
    const r = fitOnce();
    expect(nllAt(z, labels, K, r.temperature * (1 + 1e-3))).toBeGreaterThanOrEqual(r.nllAfter);
    expect(nllAt(z, labels, K, r.temperature * (1 - 1e-3))).toBeGreaterThanOrEqual(r.nllAfter);
  });

  it("ignored rows are left out", () => {
    const small = z.subarray(0, 200 * K);
    const y = labels.slice(0, 200);
    const withIgnored = Int32Array.from(y);
    const keep: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) withIgnored[i] = -1;
      else keep.push(i);
    }
    const kept = keep.flatMap((i) => Array.from(small.subarray(i * K, i * K + K)));
    const a = fitTemperature(small, withIgnored, { classes: K, ignoreIndex: -1 });
    const b = fitTemperature(
      kept,
      Int32Array.from(keep, (i) => y[i]!),
      { classes: K },
    );
    expect(a.temperature).toBe(b.temperature);
    expect(a.nllAfter).toBe(b.nllAfter);
  });

  it("every label the clear argmax: T → 0.01 (atBound)", () => {
    const zz = [10, 0, 0, 0, 10, 0, 0, 0, 10];
    const r = fitTemperature(zz, new Int32Array([0, 1, 2]), { classes: 3 });
    expect(r.temperature).toBe(0.01);
    expect(r.atBound).toBe(true);
    expect(r.nllAfter).toBeLessThanOrEqual(r.nllBefore);
  });

  it("labels against the logits: T → 100 (atBound)", () => {
    const zz = [3, 1, 0, 0, 3, 1, 1, 0, 3];
    const r = fitTemperature(zz, new Int32Array([2, 0, 1]), { classes: 3 });
    expect(r.temperature).toBe(100);
    expect(r.atBound).toBe(true);
    expect(r.nllAfter).toBeLessThan(r.nllBefore);
  });

  it("no rows: T = 1, NLL 0", () => {
    expect(fitTemperature([1, 2], new Int32Array([-100]), { classes: 2 })).toEqual({
      temperature: 1,
      nllBefore: 0,
      nllAfter: 0,
      iterations: 0,
      atBound: false,
    });
  });
});
