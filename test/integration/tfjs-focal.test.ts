/**
 * softxent/tfjs with `focal` (docs/spec.md "focal", "TF.js adapter"): loss and gradient under
 * tf.valueAndGrad match the f64 reference (index labels, one-hot tensors, smoothing, α per class,
 * FLSD-53, 'none' with a dy), and agree with TF.js's own autograd of the composed focal formula — an
 * independent derivation of the gradient — to TF.js's f32 error. Bad focal options are clear errors.
 * Runs on TF.js's cpu backend.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../dist/index.js";
import { crossEntropyLoss, softmaxCrossEntropy } from "../../dist/tfjs.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, normal } from "../helpers/rng.js";

const rng = mulberry32(2222);

beforeAll(async () => {
  await init();
  await tf.setBackend("cpu");
  await tf.ready();
});

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

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The focal loss composed from TF.js ops (one-hot q, scalar α), mean over rows: TF.js differentiates it. */
function composedFocal(q: tf.Tensor, z: tf.Tensor, gamma: number, alpha: number): tf.Scalar {
  const logp = tf.logSoftmax(z);
  const u = tf.sub(1, tf.exp(logp));
  const w = tf.mul(alpha, tf.pow(u, gamma));
  return tf.mean(tf.sum(tf.mul(tf.mul(w, q), tf.neg(logp)), -1));
}

describe("softxent/tfjs focal", () => {
  for (const [n, k] of [
    [8, 10],
    [5, 37],
  ] as const) {
    for (const gamma of [0, 2, 3, 1.5] as const) {
      it(`${n}×${k} γ=${gamma}: matches the reference and TF.js's autograd of the composed formula`, () => {
        const z = Float32Array.from({ length: n * k }, () => 3 * normal(rng));
        const y = Int32Array.from({ length: n }, () => Math.floor(rng() * k));
        const oneHot = new Float32Array(n * k);
        y.forEach((c, i) => (oneHot[i * k + c] = 1));
        const logits = tf.tensor2d(z, [n, k]);
        const focal = { gamma, alpha: 0.25 };
        const ours = valueAndGradient((t) => softmaxCrossEntropy(tf, tf.tensor1d(y, "int32"), t, { focal }), logits);
        const ref = reference.crossEntropy(z, y, { classes: k, focal });
        expect(Math.abs(ours.loss - (ref.loss as number))).toBeLessThan(1e-6 * Math.max(1, ref.loss as number) + 1e-7);
        expect(maxAbsDiff(ours.grad, ref.grad!)).toBeLessThanOrEqual(5.6e-7 * Math.max(1 / n, maxAbs(ref.grad!)));
        // one-hot probability tensors give the same
        const viaOneHot = valueAndGradient((t) => softmaxCrossEntropy(tf, tf.tensor2d(oneHot, [n, k]), t, { focal }), logits);
        expect(Math.abs(viaOneHot.loss - ours.loss)).toBeLessThan(1e-6);
        // TF.js's own autograd of the composed loss (f32 throughout)
        const composed = valueAndGradient((t) => composedFocal(tf.tensor2d(oneHot, [n, k]), t, gamma, 0.25), logits);
        expect(Math.abs(composed.loss - ours.loss)).toBeLessThan(2e-5 * Math.max(1, ours.loss));
        expect(maxAbsDiff(composed.grad, ours.grad)).toBeLessThan(2e-5 * Math.max(1 / n, maxAbs(ours.grad)));
        logits.dispose();
      });
    }
  }

  it("smoothing, per-class α, FLSD-53 and 'none' with a dy, through crossEntropyLoss", () => {
    const n = 6;
    const k = 9;
    const z = Float32Array.from({ length: n * k }, () => 4 * normal(rng));
    const y = Int32Array.from({ length: n }, () => Math.floor(rng() * k));
    const alpha = Float32Array.from({ length: k }, () => 0.1 + rng());
    const dy = Float32Array.from({ length: n }, () => 0.5 + rng());
    for (const gamma of [2, "flsd-53"] as const) {
      const loss = crossEntropyLoss(tf, { reduction: "none", smoothing: 0.1, focal: { gamma, alpha } });
      const logits = tf.tensor2d(z, [n, k]);
      const ours = valueAndGradient((t) => tf.sum(tf.mul(loss(tf.tensor1d(y, "int32"), t), tf.tensor1d(dy))), logits);
      const ref = reference.crossEntropy(z, y, { classes: k, smoothing: 0.1, reduction: "none", focal: { gamma, alpha } });
      const rows = ref.loss as Float64Array;
      let expected = 0;
      rows.forEach((l, i) => (expected += l * dy[i]!));
      expect(Math.abs(ours.loss - expected)).toBeLessThan(1e-5 * Math.max(1, expected));
      const g = ref.grad!.map((v, e) => v * dy[Math.floor(e / k)]!);
      expect(maxAbsDiff(ours.grad, g)).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(g)));
      logits.dispose();
    }
  });

  it("bad focal options are refused when the loss is built, naming the adapter's function", () => {
    expect(() => crossEntropyLoss(tf, { focal: { gamma: -2 } })).toThrow(
      /softxent\.tfjs\.crossEntropyLoss: options\.focal\.gamma must be in \[0, 100\]/,
    );
    expect(() => crossEntropyLoss(tf, { gamma: 2 } as never)).toThrow(
      /unknown option 'gamma'; the focal loss is `focal: \{ gamma, alpha \}`/,
    );
    expect(() => crossEntropyLoss(tf, { focal: { gamma: 2, alpha: [1, Number.NaN] } })).toThrow(/focal\.alpha\[1\]/);
  });
});
