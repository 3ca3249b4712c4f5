/**
 * softxent/tfjs: the TF.js loss built on tf.customGrad.
 * - Where tf.losses.softmaxCrossEntropy applies (one-hot or probability labels, uniform smoothing ε/K,
 *   reductions mean / sum / none), loss and gradient (tf.valueAndGrad, cpu backend) match it.
 * - Where it does not (index labels, 'others' smoothing, ignoreIndex, class weights, z-loss), loss and
 *   gradient match the double-precision reference.
 * - dist/tfjs.js carries no runtime import of TF.js, and the main entry does not reach it.
 * Runs on TF.js's cpu backend, with the union package's gradient registrations.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
// The union package, as a user would pass it: tfjs-core with every gradient registered, and the cpu backend.
import * as tf from "@tensorflow/tfjs";
import { init } from "../../dist/index.js";
import { crossEntropyLoss, softmaxCrossEntropy, type TfCrossEntropyOptions } from "../../dist/tfjs.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, normal } from "../helpers/rng.js";

const rng = mulberry32(20261126);

function randomLogits(n: number, k: number, scale = 3): Float32Array {
  return Float32Array.from({ length: n * k }, () => scale * normal(rng));
}

function randomLabels(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng() * k));
}

function oneHot(labels: Int32Array, k: number): Float32Array {
  const t = new Float32Array(labels.length * k);
  labels.forEach((y, i) => (t[i * k + y] = 1));
  return t;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * Gradient bars, relative to the largest expected entry: docs/spec.md's 5e-7 (plus one f32 rounding)
 * against the f64 reference; TF.js's own f32 error (a single f32 sum per row) against tf.losses.
 */
const REF_BAR = 5.6e-7;
const TF_BAR = 3e-6;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Loss and gradient w.r.t. the logits of `f`, which must return a scalar. */
function valueAndGradient(f: (z: tf.Tensor) => tf.Tensor, logits: tf.Tensor): { loss: number; grad: Float32Array } {
  let loss = 0;
  let grad = new Float32Array(0);
  tf.tidy(() => {
    const r = tf.valueAndGrad((z: tf.Tensor) => f(z) as tf.Scalar)(logits);
    loss = r.value.dataSync()[0]!;
    grad = Float32Array.from(r.grad.dataSync() as Float32Array);
  });
  return { loss, grad };
}

/** The values of a 2-D tensor as f64 (for the reference). */
function randomLogitsCopy(t: tf.Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as Float32Array);
}

beforeAll(async () => {
  await init();
  await tf.setBackend("cpu");
  await tf.ready();
});

describe("softxent/tfjs against tf.losses.softmaxCrossEntropy (one-hot labels)", () => {
  const cases: Array<{ shape: number[]; smoothing: number; scale: number }> = [
    { shape: [8, 5], smoothing: 0, scale: 3 },
    { shape: [8, 5], smoothing: 0.1, scale: 3 },
    { shape: [16, 10], smoothing: 0.3, scale: 1 },
    // A sequence batch [B, T, K] at ε = 0 only: TF.js 4.22 smooths with ε/shape[1] (here ε/4, not ε/7),
    // so for rank > 2 it applies smoothing over the wrong axis length; softxent uses the last axis.
    { shape: [3, 4, 7], smoothing: 0, scale: 3 },
    { shape: [5, 1000], smoothing: 0.2, scale: 5 },
  ];
  for (const { shape, smoothing, scale } of cases) {
    it(`mean, shape [${shape}], ε = ${smoothing}: same loss and gradient`, () => {
      const k = shape[shape.length - 1]!;
      const n = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const labels = randomLabels(n, k);
      const logits = tf.tensor(randomLogits(n, k, scale), shape);
      const onehot = tf.tensor(oneHot(labels, k), shape);
      const ours = valueAndGradient((z) => softmaxCrossEntropy(tf, onehot, z, { smoothing }), logits);
      const theirs = valueAndGradient((z) => tf.losses.softmaxCrossEntropy(onehot, z, undefined, smoothing), logits);
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(theirs.loss)));
      expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThanOrEqual(TF_BAR * maxAbs(theirs.grad));
      // and both against the f64 reference (softxent at the contract's bar)
      const ref = reference.crossEntropy(randomLogitsCopy(logits), Float64Array.from(oneHot(labels, k)), { classes: k, smoothing });
      expect(maxAbsDiff(ours.grad, ref.grad!)).toBeLessThanOrEqual(REF_BAR * maxAbs(ref.grad!));
      // index labels give the same numbers as their one-hot form (uniform smoothing, no weights)
      const fromIndex = valueAndGradient((z) => softmaxCrossEntropy(tf, labels, z, { smoothing }), logits);
      expect(Math.abs(fromIndex.loss - ours.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ours.loss)));
      expect(maxAbsDiff(fromIndex.grad, ours.grad)).toBeLessThanOrEqual(REF_BAR * maxAbs(ours.grad));
      logits.dispose();
      onehot.dispose();
    });
  }

  it("reduction 'sum' matches Reduction.SUM", () => {
    const n = 12,
      k = 6,
      smoothing = 0.1;
    const logits = tf.tensor2d(randomLogits(n, k), [n, k]);
    const onehot = tf.tensor2d(oneHot(randomLabels(n, k), k), [n, k]);
    const ours = valueAndGradient((z) => softmaxCrossEntropy(tf, onehot, z, { smoothing, reduction: "sum" }), logits);
    const theirs = valueAndGradient((z) => tf.losses.softmaxCrossEntropy(onehot, z, undefined, smoothing, tf.Reduction.SUM), logits);
    expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(2e-6 * Math.abs(theirs.loss));
    expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThanOrEqual(TF_BAR * maxAbs(theirs.grad));
  });

  it("reduction 'none' matches Reduction.NONE, per row and through a weighted sum (dy ≠ 1)", () => {
    const n = 9,
      k = 4,
      smoothing = 0.2;
    const logits = tf.tensor2d(randomLogits(n, k), [n, k]);
    const onehot = tf.tensor2d(oneHot(randomLabels(n, k), k), [n, k]);
    const rowWeights = tf.tensor1d(Float32Array.from({ length: n }, () => rng() * 3 - 1));
    const oursRows = softmaxCrossEntropy(tf, onehot, logits, { smoothing, reduction: "none" });
    const theirsRows = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, smoothing, tf.Reduction.NONE);
    expect(oursRows.shape).toEqual([n]);
    expect(maxAbsDiff(oursRows.dataSync(), theirsRows.dataSync())).toBeLessThanOrEqual(2e-6);
    const ours = valueAndGradient(
      (z) => tf.sum(tf.mul(softmaxCrossEntropy(tf, onehot, z, { smoothing, reduction: "none" }), rowWeights)),
      logits,
    );
    const theirs = valueAndGradient(
      (z) => tf.sum(tf.mul(tf.losses.softmaxCrossEntropy(onehot, z, undefined, smoothing, tf.Reduction.NONE), rowWeights)),
      logits,
    );
    expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThanOrEqual(TF_BAR * maxAbs(theirs.grad));
  });

  it("soft (probability) labels match too", () => {
    const n = 10,
      k = 5;
    const logits = tf.tensor2d(randomLogits(n, k), [n, k]);
    const soft = tf.tidy(() => tf.softmax(tf.tensor2d(randomLogits(n, k), [n, k])));
    const ours = valueAndGradient((z) => softmaxCrossEntropy(tf, soft, z, { smoothing: 0.05 }), logits);
    const theirs = valueAndGradient((z) => tf.losses.softmaxCrossEntropy(soft, z, undefined, 0.05), logits);
    expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(2e-6 * Math.max(1, theirs.loss));
    expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThanOrEqual(TF_BAR * maxAbs(theirs.grad));
  });

  it("scales the gradient by the upstream dy (loss × 2.5)", () => {
    const n = 6,
      k = 3;
    const logits = tf.tensor2d(randomLogits(n, k), [n, k]);
    const labels = randomLabels(n, k);
    const base = valueAndGradient((z) => softmaxCrossEntropy(tf, labels, z, { smoothing: 0.1 }), logits);
    const scaled = valueAndGradient((z) => tf.mul(softmaxCrossEntropy(tf, labels, z, { smoothing: 0.1 }), 2.5), logits);
    expect(scaled.loss).toBeCloseTo(2.5 * base.loss, 5);
    // dy = 2.5 is applied as one f32 product per entry: exactly what tf.mul(grad, 2.5) would give
    expect(
      maxAbsDiff(
        scaled.grad,
        base.grad.map((g) => Math.fround(2.5 * g)),
      ),
    ).toBe(0);
  });
});

describe("softxent/tfjs where tf.losses.softmaxCrossEntropy has no equivalent (against the f64 reference)", () => {
  const n = 24,
    k = 7;
  const weights = Float32Array.from({ length: k }, (_, j) => 0.5 + j * 0.25);
  const cases: Array<{ name: string; options: TfCrossEntropyOptions; ignoreRows?: number[] }> = [
    { name: "index labels, uniform ε = 0.1", options: { smoothing: 0.1 } },
    { name: "'others' smoothing", options: { smoothing: 0.2, smoothingMode: "others" } },
    { name: "ignoreIndex (default −100)", options: { smoothing: 0.1 }, ignoreRows: [0, 5, 6, 23] },
    { name: "ignoreIndex = 3 (a custom value that is also a class)", options: { smoothing: 0.1, ignoreIndex: 3 } },
    { name: "class weights, PyTorch's formula", options: { smoothing: 0.1, classWeights: weights }, ignoreRows: [2] },
    { name: "class weights, 'target' mode, as a tensor", options: { smoothing: 0.15, classWeights: weights, classWeightMode: "target" } },
    { name: "z-loss and sum", options: { smoothing: 0.1, zLoss: 1e-3, reduction: "sum" } },
  ];
  for (const { name, options, ignoreRows } of cases) {
    it(name, () => {
      const z = randomLogits(n, k);
      const labels = randomLabels(n, k);
      const ignore = options.ignoreIndex ?? -100;
      for (const r of ignoreRows ?? []) labels[r] = ignore;
      // the cases use string reductions only (tf.Reduction values are tested in tfjs-fit.test.ts)
      const refOptions = {
        ...options,
        classes: k,
        classWeights: options.classWeights as Float32Array | undefined,
        reduction: options.reduction as "mean" | "sum" | "none" | undefined,
      };
      const ref = reference.crossEntropy(z, labels, refOptions);
      const tfOptions = name.includes("as a tensor") ? { ...options, classWeights: tf.tensor1d(weights) } : options;
      const logits = tf.tensor2d(z, [n, k]);
      const ours = valueAndGradient((x) => softmaxCrossEntropy(tf, tf.tensor1d(labels, "int32"), x, tfOptions), logits);
      const refLoss = ref.loss as number;
      expect(Math.abs(ours.loss - refLoss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(refLoss)));
      expect(maxAbsDiff(ours.grad, ref.grad!)).toBeLessThanOrEqual(REF_BAR * maxAbs(ref.grad!));
      for (const r of ignoreRows ?? []) {
        for (let j = 0; j < k; j++) expect(ours.grad[r * k + j]).toBe(0);
      }
    });
  }

  it("takes index labels as Int32Array, number[], int32 [N] tensor and float32 [N, 1] tensor alike", () => {
    const z = randomLogits(10, 4);
    const labels = randomLabels(10, 4);
    const logits = tf.tensor2d(z, [10, 4]);
    const forms = [labels, Array.from(labels), tf.tensor1d(labels, "int32"), tf.tensor2d(Float32Array.from(labels), [10, 1])];
    const results = forms.map((l) => valueAndGradient((x) => softmaxCrossEntropy(tf, l, x, { smoothing: 0.1 }), logits));
    for (const r of results.slice(1)) {
      expect(r.loss).toBe(results[0]!.loss);
      expect(maxAbsDiff(r.grad, results[0]!.grad)).toBe(0);
    }
  });

  it("trains: a softmax regression minimised with tf.train.adam and crossEntropyLoss lowers its loss", () => {
    const n = 64,
      d = 8,
      k = 4;
    const x = tf.tensor2d(randomLogits(n, d, 1), [n, d]);
    const trueW = tf.tensor2d(randomLogits(d, k, 2), [d, k]);
    const labels = tf.tidy(() => tf.argMax(tf.matMul(x, trueW), 1));
    const w = tf.variable(tf.zeros([d, k]));
    const loss = crossEntropyLoss(tf, { smoothing: 0.1 });
    const opt = tf.train.adam(0.1);
    const first = tf.tidy(() => loss(labels, tf.matMul(x, w)).dataSync()[0]!);
    for (let step = 0; step < 60; step++) opt.minimize(() => loss(labels, tf.matMul(x, w)));
    const last = tf.tidy(() => loss(labels, tf.matMul(x, w)).dataSync()[0]!);
    expect(first).toBeCloseTo(Math.log(k), 5);
    expect(last).toBeLessThan(0.6 * first);
  });

  it("works as a Keras-style loss in model.compile / model.fit (one-hot targets, as tfjs-layers requires)", async () => {
    const n = 64,
      d = 8,
      k = 4;
    const x = tf.tensor2d(randomLogits(n, d, 1), [n, d]);
    const trueW = tf.tensor2d(randomLogits(d, k, 2), [d, k]);
    const y = tf.tidy(() => tf.oneHot(tf.argMax(tf.matMul(x, trueW), 1), k).toFloat());
    const model = tf.sequential({ layers: [tf.layers.dense({ units: k, inputShape: [d], kernelInitializer: "zeros" })] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: crossEntropyLoss(tf, { smoothing: 0.1 }) });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0, shuffle: false });
    const losses = history.history.loss as number[];
    expect(losses[0]).toBeLessThan(Math.log(k) + 1e-3);
    expect(losses[losses.length - 1]).toBeLessThan(0.6 * losses[0]!);
    model.dispose();
  });

  it("refuses labels of a shape that fits neither form, and non-integer index labels", () => {
    const logits = tf.tensor2d(randomLogits(4, 3), [4, 3]);
    expect(() => softmaxCrossEntropy(tf, tf.tensor1d([0, 1, 2]), logits)).toThrow(/shape \[3\] fit neither/);
    expect(() => softmaxCrossEntropy(tf, tf.tensor1d([0, 1.5, 2, 0]), logits)).toThrow(RangeError);
    expect(() => softmaxCrossEntropy(tf, [0, 1, 7, 0], logits)).toThrow(/labels\[2\] = 7/);
    // and a valid call afterwards still gives log K at zero logits
    expect(softmaxCrossEntropy(tf, [0, 1, 2, 0], tf.zeros([4, 3])).dataSync()[0]).toBeCloseTo(Math.log(3), 6);
  });
});

describe("packaging of softxent/tfjs", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  it("dist/tfjs.js has no runtime import of TF.js (the caller passes tf), and the main entry does not import it", () => {
    const js = readFileSync(`${root}dist/tfjs.js`, "utf8");
    const specifiers = [...js.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s!.startsWith("./"))).toEqual([]);
    expect(js).not.toMatch(/\bimport\s*\(|\brequire\s*\(/); // no dynamic import either
    const index = readFileSync(`${root}dist/index.js`, "utf8");
    expect(index).not.toMatch(/tfjs/);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
    expect(pkg.exports["./tfjs"]).toEqual({ types: "./dist/tfjs.d.ts", default: "./dist/tfjs.js" });
    expect(pkg.peerDependencies["@tensorflow/tfjs-core"]).toMatch(/^\^4/);
    expect(pkg.peerDependenciesMeta["@tensorflow/tfjs-core"].optional).toBe(true);
  });
});
