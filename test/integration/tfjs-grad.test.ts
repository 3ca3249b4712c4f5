/**
 * softxent/tfjs gradients chained through TF.js's dy, on the cpu and the wasm backend: the loss times a
 * constant, the loss squared, the sum of two calls on the same logits (two gradients pending at once),
 * a weighted sum of 'none' losses (one dy per row), and through a Dense layer (the gradient reaches a
 * kernel and a bias). Each is checked against the same chain computed in double precision from the
 * f64 reference (src/reference), at the bar of docs/spec.md ("Accuracy": 5e-7 relative to the largest
 * gradient, plus the one f32 rounding of the chain's last product), and against tf.grad of a
 * TF.js-only formulation (tf.losses.softmaxCrossEntropy / logSoftmax) at TF.js's own f32 accuracy.
 * Also: no tensor and no wasm memory leaked per step, pending gradients reclaimed when a tape ends.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { backendInfo, init } from "../../dist/index.js";
import { softmaxCrossEntropy } from "../../dist/tfjs.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";

const rng = mulberry32(20261127);

function labelsOf(n: number, k: number): Int32Array {
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

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** ours vs an f64 expectation: docs/spec.md's gradient bar (5e-7 of the largest entry) plus one f32 rounding of the chain. */
function expectClose(ours: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 5e-7 + 6e-8): void {
  const bar = rel * Math.max(maxAbs(expected), 1e-30);
  const err = maxDiff(ours, expected);
  expect(err, `${what}: max error ${err} > ${bar}`).toBeLessThanOrEqual(bar);
}

/** Gradients of the scalar f w.r.t. xs, copied out of TF.js (never returning typed arrays from tidy). */
function grads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): Float32Array[] {
  const out: Float32Array[] = [];
  const r = tf.grads((...a: tf.Tensor[]) => f(...a) as tf.Scalar)(xs);
  for (const g of r) out.push(Float32Array.from(g.dataSync() as Float32Array));
  tf.dispose(r);
  return out;
}

/** f64 reference: loss (mean) and gradient of the mean, index labels, uniform smoothing ε. */
function refMean(z: Float32Array, y: Int32Array, k: number, eps: number, extra: object = {}) {
  const r = reference.crossEntropy(z, y, { classes: k, smoothing: eps, ...extra });
  return { loss: r.loss as number, grad: r.grad! };
}

beforeAll(async () => {
  await init();
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
});

afterAll(async () => {
  await tf.setBackend("cpu");
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`softxent/tfjs gradients through dy ≠ 1, TF.js ${backend} backend`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      await tf.ready();
    });

    const shapes: Array<[number, number]> = [
      [13, 37],
      [5, 1],
      [7, 1001],
    ];
    for (const [n, k] of shapes) {
      it(`loss × c and loss², [${n}, ${k}]`, () => {
        const zv = randomLogits(rng, n, k, 3);
        const y = labelsOf(n, k);
        const ref = refMean(zv, y, k, 0.1);
        const z = tf.tensor2d(zv, [n, k]);
        const c = -2.5;
        const [scaled] = grads((x) => tf.mul(softmaxCrossEntropy(tf, y, x, { smoothing: 0.1 }), c), [z]);
        expectClose(
          scaled!,
          Array.from(ref.grad, (g) => c * g),
          "loss × c",
        );
        const [squared] = grads((x) => tf.square(softmaxCrossEntropy(tf, y, x, { smoothing: 0.1 })), [z]);
        expectClose(
          squared!,
          Array.from(ref.grad, (g) => 2 * ref.loss * g),
          "loss²",
          5e-7 + 6e-8 + 2e-7,
        ); // + the f32 loss in dy
        // TF.js only: tf.losses.softmaxCrossEntropy on one-hot labels, same chain
        const oh = tf.tensor2d(oneHot(y, k), [n, k]);
        const [theirs] = grads((x) => tf.mul(tf.losses.softmaxCrossEntropy(oh, x, undefined, 0.1), c), [z]);
        expect(maxDiff(scaled!, theirs!)).toBeLessThanOrEqual(3e-6 * maxAbs(theirs!));
        tf.dispose([z, oh]);
      });
    }

    it("the sum of two calls on the same logits (two gradients pending in one tape)", () => {
      const n = 11,
        k = 29;
      const zv = randomLogits(rng, n, k, 3);
      const y1 = labelsOf(n, k),
        y2 = labelsOf(n, k);
      const r1 = refMean(zv, y1, k, 0.1);
      const r2 = reference.crossEntropy(zv, y2, { classes: k, smoothing: 0.2, smoothingMode: "others", reduction: "sum" });
      const z = tf.tensor2d(zv, [n, k]);
      const [g] = grads(
        (x) =>
          tf.add(
            softmaxCrossEntropy(tf, y1, x, { smoothing: 0.1 }),
            tf.mul(softmaxCrossEntropy(tf, y2, x, { smoothing: 0.2, smoothingMode: "others", reduction: tf.Reduction.SUM }), 0.5),
          ),
        [z],
      );
      expectClose(
        g!,
        Array.from(r1.grad, (v, i) => v + 0.5 * r2.grad![i]!),
        "sum of two calls",
        5e-7 + 2e-7,
      );
      z.dispose();
    });

    it("'none' losses in a weighted sum (one dy per row, some 0, some negative)", () => {
      const n = 17,
        k = 23;
      const zv = randomLogits(rng, n, k, 3);
      const y = labelsOf(n, k);
      const w = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % 3 === 0 ? 1 : rng() * 4 - 1.5));
      const ref = reference.crossEntropy(zv, y, { classes: k, smoothing: 0.1, reduction: "none" });
      const expected = Array.from(ref.grad!, (g, e) => w[Math.floor(e / k)]! * g);
      const z = tf.tensor2d(zv, [n, k]);
      const wt = tf.tensor1d(w);
      const [ours] = grads((x) => tf.sum(tf.mul(softmaxCrossEntropy(tf, y, x, { smoothing: 0.1, reduction: "none" }), wt)), [z]);
      expectClose(ours!, expected, "'none' weighted");
      const oh = tf.tensor2d(oneHot(y, k), [n, k]);
      const [theirs] = grads((x) => tf.sum(tf.mul(tf.losses.softmaxCrossEntropy(oh, x, undefined, 0.1, tf.Reduction.NONE), wt)), [z]);
      expect(maxDiff(ours!, theirs!)).toBeLessThanOrEqual(3e-6 * maxAbs(theirs!));
      // a [B, T, K] batch: dy of shape [B, T]
      const z3 = tf.reshape(z, [1, n, k]);
      const [ours3] = grads(
        (x) => tf.sum(tf.mul(softmaxCrossEntropy(tf, tf.tensor2d(y, [1, n], "int32"), x, { smoothing: 0.1, reduction: "none" }), wt)),
        [z3],
      );
      expect(maxDiff(ours3!, ours!)).toBe(0);
      tf.dispose([z, wt, oh, z3]);
    });

    it("through a Dense layer: kernel and bias gradients (x·W + b, then the loss)", () => {
      const n = 9,
        d = 6,
        k = 13;
      const xv = randomLogits(rng, n, d, 1),
        wv = randomLogits(rng, d, k, 1),
        bv = randomLogits(rng, 1, k, 0.5);
      const y = labelsOf(n, k);
      // f64: z = x·W + b, then the reference gradient of the mean, chained to W (xᵀ·g) and b (Σ_rows g)
      const zv = new Float64Array(n * k);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < k; j++) {
          let s = bv[j]!;
          for (let t = 0; t < d; t++) s += xv[i * d + t]! * wv[t * k + j]!;
          zv[i * k + j] = s;
        }
      const ref = reference.crossEntropy(zv, y, { classes: k, smoothing: 0.1 });
      const gW = new Float64Array(d * k),
        gB = new Float64Array(k);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < k; j++) {
          const g = ref.grad![i * k + j]!;
          gB[j]! += g;
          for (let t = 0; t < d; t++) gW[t * k + j]! += xv[i * d + t]! * g;
        }
      const x = tf.tensor2d(xv, [n, d]),
        W = tf.tensor2d(wv, [d, k]),
        b = tf.tensor1d(bv);
      const loss = (ww: tf.Tensor, bb: tf.Tensor) =>
        softmaxCrossEntropy(tf, tf.tensor1d(y, "int32"), tf.add(tf.matMul(x, ww), bb), { smoothing: 0.1 });
      const [oW, oB] = grads(loss, [W, b]);
      // z itself is computed in f32 by TF.js (an error of ~1e-7·|z|), which the gradient inherits: 2e-6.
      expectClose(oW!, gW, "dL/dW", 2e-6);
      expectClose(oB!, gB, "dL/db", 2e-6);
      const oh = tf.tensor2d(oneHot(y, k), [n, k]);
      const [tW, tB] = grads((ww, bb) => tf.losses.softmaxCrossEntropy(oh, tf.add(tf.matMul(x, ww), bb), undefined, 0.1), [W, b]);
      expect(maxDiff(oW!, tW!)).toBeLessThanOrEqual(3e-6 * maxAbs(tW!));
      expect(maxDiff(oB!, tB!)).toBeLessThanOrEqual(3e-6 * maxAbs(tB!));
      tf.dispose([x, W, b, oh]);
    });

    it("a gradient tensor kept by the caller is not overwritten by later steps (nor by wasm memory growth)", () => {
      const n = 6,
        k = 50;
      const y = labelsOf(n, k);
      const z1 = tf.tensor2d(randomLogits(rng, n, k, 3), [n, k]);
      const first = tf.grad((x: tf.Tensor) => softmaxCrossEntropy(tf, y, x) as tf.Scalar)(z1);
      const kept = Float32Array.from(first.dataSync() as Float32Array);
      // later steps, a larger one among them (its staging grows softxent's memory)
      for (const [m, kk] of [
        [n, k],
        [400, 3000],
        [n, k],
      ] as const) {
        const z = tf.tensor2d(randomLogits(rng, m, kk, 3), [m, kk]);
        tf.dispose(tf.grad((x: tf.Tensor) => softmaxCrossEntropy(tf, labelsOf(m, kk), x) as tf.Scalar)(z));
        z.dispose();
      }
      expect(Array.from(first.dataSync())).toEqual(Array.from(kept));
      tf.dispose([z1, first]);
    });

    it("an empty batch (N = 0) gives loss 0 and an empty gradient", () => {
      const z = tf.zeros([0, 5]);
      const r = tf.valueAndGrad((x: tf.Tensor) => softmaxCrossEntropy(tf, new Int32Array(0), x) as tf.Scalar)(z);
      expect(r.value.dataSync()[0]).toBe(0);
      expect(r.grad.shape).toEqual([0, 5]);
      tf.dispose([z, r.value, r.grad]);
    });

    it("leaks no tensor and no wasm memory per step; a loss left out of the differentiated value is reclaimed", () => {
      const n = 16,
        k = 300;
      const z = tf.variable(tf.tensor2d(randomLogits(rng, n, k, 3), [n, k]));
      const y = tf.tensor1d(labelsOf(n, k), "int32");
      const opt = tf.train.sgd(0.1);
      const step = () => {
        opt.minimize(() => {
          // computed on the tape but not part of the returned cost: its backward pass never runs
          softmaxCrossEntropy(tf, y, tf.mul(z, 2));
          return tf.add(
            softmaxCrossEntropy(tf, y, z, { smoothing: 0.1 }),
            softmaxCrossEntropy(tf, y, z, { reduction: "sum" }),
          ) as tf.Scalar;
        });
        tf.tidy(() => {
          softmaxCrossEntropy(tf, y, z); // no tape: no gradient kept
        });
      };
      for (let i = 0; i < 3; i++) step(); // warm: slots and staging grown
      const tensors = tf.memory().numTensors;
      const bytes = backendInfo().allocatedBytes;
      for (let i = 0; i < 40; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backendInfo().allocatedBytes).toBe(bytes);
      tf.dispose([z, y]);
      opt.dispose();
    });
  });
}
