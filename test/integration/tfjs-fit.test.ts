/**
 * softxent/tfjs in tfjs-layers' model.fit, and its options.
 * - tfjs-layers 4.22's fit turns `classWeight` into per-example weights sw_i = cw[argmax y_i], multiplies
 *   the loss function's output by them and averages over the batch: (1/N)·Σ sw_i·L_i. With the
 *   per-example form (`reduction: 'none'`) one SGD step equals that update computed by hand in f64; with
 *   a 'mean' loss (already a scalar) every example is scaled by mean(sw) instead — the documented trap.
 * - softxent's own `classWeights` with fit's one-hot targets act on probability targets
 *   (L_i = −Σ_j w_j·q_j·log p_ij), checked the same way.
 * - Options are validated like the core: unknown keys are RangeErrors naming the right spelling,
 *   tf.Reduction values are accepted, and the library keeps working after each error.
 * Runs on the cpu backend (the wasm backend is covered by test/integration/tfjs-grad.test.ts and the Chromium page).
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { init } from "../../dist/index.js";
import { crossEntropyLoss, softmaxCrossEntropy } from "../../dist/tfjs.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";

const rng = mulberry32(7127);

beforeAll(async () => {
  await init();
  await tf.setBackend("cpu");
  await tf.ready();
});

/** One SGD step of a Dense(K) model (kernel W: D×K, bias b) on (x, one-hot y); returns the new weights. */
async function fitOneStep(
  loss: (y: tf.Tensor, z: tf.Tensor) => tf.Tensor,
  xv: Float32Array,
  y: Int32Array,
  d: number,
  k: number,
  w0: Float32Array,
  b0: Float32Array,
  lr: number,
  classWeight?: Record<number, number>,
): Promise<{ W: Float32Array; b: Float32Array }> {
  const n = y.length;
  const model = tf.sequential({ layers: [tf.layers.dense({ units: k, inputShape: [d] })] });
  model.setWeights([tf.tensor2d(w0, [d, k]), tf.tensor1d(b0)]);
  model.compile({ optimizer: tf.train.sgd(lr), loss: loss as never });
  const x = tf.tensor2d(xv, [n, d]);
  const yt = tf.oneHot(tf.tensor1d(y, "int32"), k).toFloat();
  await model.fit(x, yt, { epochs: 1, batchSize: n, shuffle: false, verbose: 0, ...(classWeight && { classWeight }) });
  const [W, b] = model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose([x, yt]);
  model.dispose();
  return { W: W!, b: b! };
}

/** The same step in f64: rowScale_i multiplies row i's gradient (of the sum of per-row losses). */
function handStep(
  xv: Float32Array,
  rowGrad: Float64Array,
  rowScale: (i: number) => number,
  n: number,
  d: number,
  k: number,
  w0: Float32Array,
  b0: Float32Array,
  lr: number,
): { W: Float64Array; b: Float64Array } {
  const W = Float64Array.from(w0),
    b = Float64Array.from(b0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      const g = rowScale(i) * rowGrad[i * k + j]!;
      b[j]! -= lr * g;
      for (let t = 0; t < d; t++) W[t * k + j]! -= lr * xv[i * d + t]! * g;
    }
  return { W, b };
}

function logitsOf(xv: Float32Array, w0: Float32Array, b0: Float32Array, n: number, d: number, k: number): Float64Array {
  const z = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      let s = b0[j]!;
      for (let t = 0; t < d; t++) s += xv[i * d + t]! * w0[t * k + j]!;
      z[i * k + j] = s;
    }
  return z;
}

function expectNear(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  expect(m).toBeLessThanOrEqual(tol);
}

describe("model.fit with classWeight (tfjs-layers 4.22)", () => {
  const n = 12,
    d = 5,
    k = 4,
    lr = 0.5,
    eps = 0.1;
  const xv = randomLogits(rng, n, d, 1);
  const w0 = randomLogits(rng, d, k, 0.5),
    b0 = randomLogits(rng, 1, k, 0.2);
  const y = Int32Array.from({ length: n }, (_, i) => i % k);
  const cw: Record<number, number> = { 0: 1, 1: 3, 2: 0.5, 3: 2 };
  const z = logitsOf(xv, w0, b0, n, d, k);
  const rows = reference.crossEntropy(z, y, { classes: k, smoothing: eps, reduction: "none" });

  it("the per-example form (reduction 'none') gives Keras's update: (1/N)·Σ cw[y_i]·∇L_i", async () => {
    const got = await fitOneStep(crossEntropyLoss(tf, { smoothing: eps, reduction: "none" }), xv, y, d, k, w0, b0, lr, cw);
    const want = handStep(xv, rows.grad!, (i) => cw[y[i]!]! / n, n, d, k, w0, b0, lr);
    expectNear(got.W, want.W, 2e-6);
    expectNear(got.b, want.b, 2e-6);
    // and it differs from the unweighted step by far more than the tolerance (the weights did act)
    const plain = handStep(xv, rows.grad!, () => 1 / n, n, d, k, w0, b0, lr);
    let diff = 0;
    for (let i = 0; i < plain.W.length; i++) diff = Math.max(diff, Math.abs(plain.W[i]! - want.W[i]!));
    expect(diff).toBeGreaterThan(1e-3);
  });

  it("a 'mean' loss is a scalar before fit weights it: every example gets mean(cw[y]) (the trap the docs warn of)", async () => {
    const got = await fitOneStep(crossEntropyLoss(tf, { smoothing: eps }), xv, y, d, k, w0, b0, lr, cw);
    const meanW = Array.from(y, (c) => cw[c]!).reduce((a, b) => a + b, 0) / n;
    const want = handStep(xv, rows.grad!, () => meanW / n, n, d, k, w0, b0, lr);
    expectNear(got.W, want.W, 2e-6);
    expectNear(got.b, want.b, 2e-6);
  });

  it("softxent's classWeights with fit's one-hot targets: L_i = −Σ_j w_j·q_j·log p_ij, averaged over N", async () => {
    const w = Float32Array.from([1, 3, 0.5, 2]);
    const got = await fitOneStep(crossEntropyLoss(tf, { smoothing: eps, classWeights: w, reduction: "none" }), xv, y, d, k, w0, b0, lr);
    const onehot = new Float64Array(n * k);
    y.forEach((c, i) => (onehot[i * k + c] = 1));
    const ref = reference.crossEntropy(z, onehot, { classes: k, smoothing: eps, classWeights: w, reduction: "none" });
    const want = handStep(xv, ref.grad!, () => 1 / n, n, d, k, w0, b0, lr);
    expectNear(got.W, want.W, 2e-6);
    expectNear(got.b, want.b, 2e-6);
  });

  it("tfjs-layers 4.22 itself refuses sampleWeight in fit (so only classWeight reaches a loss)", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: k, inputShape: [d] })] });
    model.compile({ optimizer: "sgd", loss: crossEntropyLoss(tf, { reduction: "none" }) as never });
    const x = tf.zeros([n, d]),
      yt = tf.oneHot(tf.tensor1d(y, "int32"), k).toFloat();
    await expect(model.fit(x, yt, { sampleWeight: tf.ones([n]) } as never)).rejects.toThrow(/sample weight is not supported/);
    tf.dispose([x, yt]);
    model.dispose();
  });

  it("fit's loss with the per-example form equals the reference mean loss (no classWeight)", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: k, inputShape: [d] })] });
    model.setWeights([tf.tensor2d(w0, [d, k]), tf.tensor1d(b0)]);
    model.compile({ optimizer: tf.train.sgd(0), loss: crossEntropyLoss(tf, { smoothing: eps, reduction: "none" }) as never });
    const x = tf.tensor2d(xv, [n, d]),
      yt = tf.oneHot(tf.tensor1d(y, "int32"), k).toFloat();
    const loss = (await model.trainOnBatch(x, yt)) as number;
    const want = reference.crossEntropy(z, y, { classes: k, smoothing: eps }).loss as number;
    expect(Math.abs(loss - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, want));
    tf.dispose([x, yt]);
    model.dispose();
  });
});

describe("options of softxent/tfjs, validated like the core's", () => {
  const logits = () => tf.tensor2d(randomLogits(rng, 6, 4), [6, 4]);
  const labels = [0, 1, 2, 3, 0, 1];

  it("an unknown key is a RangeError that names the right spelling", () => {
    const z = logits();
    const cases: Array<[object, RegExp]> = [
      [{ labelSmoothing: 0.1 }, /unknown option 'labelSmoothing'; did you mean `smoothing`/],
      [{ label_smoothing: 0.1 }, /did you mean `smoothing`/],
      [{ smothing: 0.1 }, /unknown option 'smothing'; did you mean `smoothing`\?/],
      [{ ignoreindex: 3 }, /did you mean `ignoreIndex`/],
      [{ classWeight: [1, 1, 1, 1] }, /did you mean `classWeights`/],
      [{ fromLogits: true }, /always takes logits/],
      [{ weights: [1, 2] }, /reduction: 'none'/],
      [{ zz: 1 }, /unknown option 'zz'; expected one of smoothing, /],
    ];
    for (const [options, message] of cases) {
      expect(() => softmaxCrossEntropy(tf, labels, z, options as never)).toThrow(RangeError);
      expect(() => softmaxCrossEntropy(tf, labels, z, options as never)).toThrow(message);
      expect(() => crossEntropyLoss(tf, options as never)).toThrow(message); // when the loss is built, not at the first step
    }
    expect(softmaxCrossEntropy(tf, labels, tf.zeros([6, 4])).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
    z.dispose();
  });

  it("wrong types are TypeErrors and wrong values RangeErrors, with the core's messages", () => {
    const z = logits();
    expect(() => softmaxCrossEntropy(tf, labels, z, { smoothing: "0.1" } as never)).toThrow(TypeError);
    expect(() => softmaxCrossEntropy(tf, labels, z, { smoothing: 1.5 })).toThrow(/options.smoothing must be in \[0, 1\]; received 1.5/);
    expect(() => softmaxCrossEntropy(tf, labels, z, { reduction: "avg" } as never)).toThrow(RangeError);
    expect(() => softmaxCrossEntropy(tf, labels, z, { reduction: 7 } as never)).toThrow(/tf.Reduction value/);
    expect(() => softmaxCrossEntropy(tf, labels, z, { classWeights: [1, -1, 1, 1] })).toThrow(/classWeights\[1\] = -1/);
    expect(() => softmaxCrossEntropy(tf, labels, z, null as never)).toThrow(TypeError);
    expect(() => softmaxCrossEntropy(tf, labels, z, { ignoreIndex: 0.5 })).toThrow(RangeError);
    z.dispose();
  });

  it("tf.Reduction values are accepted: NONE, MEAN, SUM, and SUM_BY_NONZERO_WEIGHTS as 'mean' (refused with classWeights)", () => {
    const z = logits();
    const pairs: Array<[number, "none" | "mean" | "sum"]> = [
      [tf.Reduction.NONE, "none"],
      [tf.Reduction.MEAN, "mean"],
      [tf.Reduction.SUM, "sum"],
      [tf.Reduction.SUM_BY_NONZERO_WEIGHTS, "mean"],
    ];
    for (const [r, s] of pairs) {
      const a = softmaxCrossEntropy(tf, labels, z, { smoothing: 0.1, reduction: r as never }).dataSync();
      const b = softmaxCrossEntropy(tf, labels, z, { smoothing: 0.1, reduction: s }).dataSync();
      expect(Array.from(a)).toEqual(Array.from(b));
    }
    expect(() =>
      softmaxCrossEntropy(tf, labels, z, { reduction: tf.Reduction.SUM_BY_NONZERO_WEIGHTS as never, classWeights: [1, 2, 1, 1] }),
    ).toThrow(/SUM_BY_NONZERO_WEIGHTS/);
    z.dispose();
  });

  it("class weights are copied when the loss is built (a later edit of the array does not leak in)", () => {
    const z = logits();
    const w = Float32Array.from([1, 2, 3, 4]);
    const loss = crossEntropyLoss(tf, { classWeights: w });
    const before = loss(labels, z).dataSync()[0]!;
    w.fill(100);
    expect(loss(labels, z).dataSync()[0]).toBe(before);
    z.dispose();
  });
});
