/**
 * Per-row losses of confident rows (docs/spec.md "Accuracy"): when the label is the clear argmax the
 * row loss is log S with S = 1 + tiny, and it must keep 1e-5 relative error against the f64 reference
 * on every build. An f32 partial sum that holds the dominant e = 1 drops most of the tiny part (the SIMD
 * builds were off by 2e-1 at K = 3, 2e-2 at K = 10, 1e-3 at K = 200), so this suite covers the small-K
 * tile (K ≤ 72, four rows across the lanes, pairs of columns), the row path (K ≥ 73, groups of 16 or 8
 * floats), both with class weights, z-loss, tiny smoothing, probability targets, in place and without a
 * gradient, and N past the 64-row log blocks and not a multiple of the 4-row tiles.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, crossEntropy, backendInfo } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { mulberry32, normal } from "../helpers/rng.js";
import { expectLoss } from "../helpers/compare.js";
import { BUILDS } from "../helpers/builds.js";

const KS = [2, 3, 4, 5, 7, 10, 16, 40, 41, 72, 73, 100, 200];
/** Relative error bar of a confident row's loss (docs/spec.md "Accuracy"). */
const REL = 1e-5;
const N = 135; // past two 64-row log blocks, not a multiple of 4

interface Batch {
  z: Float32Array;
  labels: Int32Array;
  /** One-hot targets on the labels (the probability-target form of the same batch). */
  onehot: Float32Array;
}

/**
 * N rows of N(0, 1) logits whose label gets the row's max + `margin` (loss ≈ K·e^−margin). Rows in
 * `ignored` carry ignoreIndex −100: a tile holding one takes the row path, so small K tests both.
 */
function confidentBatch(seed: number, k: number, margin = 12, ignored: number[] = []): Batch {
  const rng = mulberry32(seed);
  const z = new Float32Array(N * k);
  const labels = new Int32Array(N);
  const onehot = new Float32Array(N * k);
  for (let i = 0; i < N; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, (z[i * k + j] = normal(rng)));
    const y = Math.min(k - 1, Math.floor(rng() * k));
    z[i * k + y] = m + margin;
    labels[i] = ignored.includes(i) ? -100 : y;
    onehot[i * k + y] = 1;
  }
  return { z, labels, onehot };
}

/** Worst relative error of the non-zero per-row losses, failing with the row and values. */
function expectRowsRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const r = expected[i]!,
      a = actual[i]!;
    if (r === 0) {
      expect(a, `${what}[${i}]`).toBe(0);
      continue;
    }
    const e = Math.abs(a - r) / Math.abs(r);
    if (!(e <= REL)) expect.fail(`${what}[${i}]: got ${a}, reference ${r} (relative error ${e.toExponential(2)} > ${REL})`);
    worst = Math.max(worst, e);
  }
  return worst;
}

function weightsFor(seed: number, k: number): Float32Array {
  const rng = mulberry32(seed);
  return new Float32Array(k).map(() => 0.25 + 2 * rng());
}

describe.each(BUILDS)("crossEntropy on confident rows — $name build", ({ name, simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().build).toBe(name);
  });

  it("the reference's confident rows are what this suite means (loss tiny, not 0)", () => {
    const b = confidentBatch(1, 10);
    const r = ref.crossEntropy(b.z, b.labels, { classes: 10, reduction: "none" }).loss as Float64Array;
    for (const l of r) {
      expect(l).toBeGreaterThan(1e-7);
      expect(l).toBeLessThan(1e-3);
    }
  });

  it.each(KS)("index targets, K = %i: plain, weighted, z-loss, tiny smoothing, in place, no gradient", (k) => {
    const b = confidentBatch(1000 + k, k, 12, [5, 70]);
    const w = weightsFor(k, k);
    const variants: [string, Record<string, unknown>][] = [
      ["plain", {}],
      ["pytorch weights", { classWeights: w }],
      ["target weights", { classWeights: w, classWeightMode: "target" }],
      ["z-loss 1e-9", { zLoss: 1e-9 }],
      ["smoothing 1e-4", { smoothing: 1e-4 }],
      ["'others' smoothing 1e-4", { smoothing: 1e-4, smoothingMode: "others" }],
      ["no gradient", { grad: false }],
    ];
    for (const [what, extra] of variants) {
      const options = { classes: k, reduction: "none" as const, ...extra };
      const a = crossEntropy(b.z, b.labels, options as never).loss as ArrayLike<number>;
      const r = ref.crossEntropy(b.z, b.labels, options as never).loss as ArrayLike<number>;
      expectRowsRelative(a, r, `K = ${k}, ${what}`);
    }
    // in place: the gradient overwrites the logits (pass 1 probes, pass 2 reads what it wrote)
    const r = ref.crossEntropy(b.z, b.labels, { classes: k, reduction: "none" }).loss as ArrayLike<number>;
    const zc = b.z.slice();
    const a = crossEntropy(zc, b.labels, { classes: k, reduction: "none", gradOut: zc }).loss as ArrayLike<number>;
    expectRowsRelative(a, r, `K = ${k}, in place`);
  });

  it.each(KS)("probability targets, K = %i: one-hot on the argmax, with and without weights", (k) => {
    const b = confidentBatch(2000 + k, k);
    for (const [what, extra] of [
      ["plain", {}],
      ["weights", { classWeights: weightsFor(k + 1, k) }],
    ] as const) {
      const options = { classes: k, reduction: "none" as const, ...extra };
      const a = crossEntropy(b.z, b.onehot, options as never).loss as ArrayLike<number>;
      const r = ref.crossEntropy(b.z, b.onehot, options as never).loss as ArrayLike<number>;
      expectRowsRelative(a, r, `K = ${k}, probability targets, ${what}`);
    }
  });

  // Up to margin 20 (losses down to ~1e-9): the f64 reference holds S = 1 + tiny in f64 itself, so it
  // is good to ~1e-16/loss relative, and beyond margin ~24 it is no judge at 1e-5.
  it("margins from 4 to 20 at K = 3, 10 and 200 (from ordinary rows to losses near 1e-9)", () => {
    for (const k of [3, 10, 200]) {
      for (const margin of [4, 8, 16, 20]) {
        const b = confidentBatch(3000 + k + margin, k, margin);
        const a = crossEntropy(b.z, b.labels, { classes: k, reduction: "none" }).loss as ArrayLike<number>;
        const r = ref.crossEntropy(b.z, b.labels, { classes: k, reduction: "none" }).loss as ArrayLike<number>;
        expectRowsRelative(a, r, `K = ${k}, margin ${margin}`);
      }
    }
  });

  it("'sum' and 'mean' of a confident batch stay within the loss bound", () => {
    for (const k of [3, 10, 41, 200]) {
      const b = confidentBatch(4000 + k, k);
      for (const reduction of ["sum", "mean"] as const) {
        for (const target of [b.labels, b.onehot]) {
          const a = crossEntropy(b.z, target, { classes: k, reduction }).loss as number;
          const r = ref.crossEntropy(b.z, target, { classes: k, reduction }).loss as number;
          expectLoss(a, r, `K = ${k}, ${reduction}, ${target === b.labels ? "index" : "probability"} targets`);
        }
      }
    }
  });
});
