/**
 * The fused TF.js head (src/tfjs-linear.ts): value and gradients with respect to hidden, kernel [D, V]
 * and bias match TF.js's own composition (matMul + add + tf.losses.softmaxCrossEntropy on one-hot
 * labels) where that applies, and the f64 reference where it does not (ignoreIndex, class weights,
 * z-loss); an upstream scale (dy ≠ 1) reaches all three gradients. TF.js cpu backend.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { init } from "../../dist/index.js";
import { linearSoftmaxCrossEntropy, type TfLinearOptions } from "../../dist/tfjs-linear.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, normal } from "../helpers/rng.js";

const rng = mulberry32(20261127);
const rand = (n: number, sd: number) => Float32Array.from({ length: n }, () => sd * normal(rng));

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0,
    e = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(b[i]!));
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
  }
  return e / m;
}

function grads(f: (h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.Scalar, h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) {
  let loss = 0;
  let g: Float32Array[] = [];
  tf.tidy(() => {
    const r = tf.valueAndGrads((hh: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) => f(hh, kk, bb))([h, k, b]);
    loss = r.value.dataSync()[0]!;
    g = r.grads.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
  return { loss, g };
}

beforeAll(async () => {
  await init();
  await tf.setBackend("cpu");
  await tf.ready();
});

describe("softxent/tfjs linearSoftmaxCrossEntropy", () => {
  it("matches TF.js's matMul + bias + softmaxCrossEntropy (one-hot, uniform smoothing)", () => {
    const [n, d, v] = [9, 13, 37];
    const hv = rand(n * d, 1),
      kv = rand(d * v, 0.5),
      bv = rand(v, 1);
    const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * v));
    const h = tf.tensor2d(hv, [n, d]),
      k = tf.tensor2d(kv, [d, v]),
      b = tf.tensor1d(bv);
    const oneHot = tf.oneHot(tf.tensor1d(labels, "int32"), v);
    const ours = grads((hh, kk, bb) => linearSoftmaxCrossEntropy(tf, hh, kk, bb, labels, { smoothing: 0.1 }), h, k, b);
    const theirs = grads(
      (hh, kk, bb) => tf.losses.softmaxCrossEntropy(oneHot, tf.add(tf.matMul(hh, kk), bb), undefined, 0.1) as tf.Scalar,
      h,
      k,
      b,
    );
    expect(Math.abs(ours.loss - theirs.loss)).toBeLessThan(1e-5 * Math.max(1, theirs.loss));
    for (let i = 0; i < 3; i++) expect(maxRelDiff(ours.g[i]!, theirs.g[i]!)).toBeLessThan(1e-4);
    tf.dispose([h, k, b, oneHot]);
  });

  it("ignoreIndex, class weights and z-loss against the f64 reference, with an upstream factor dy = 3", () => {
    const [n, d, v] = [11, 6, 20];
    const hv = rand(n * d, 1),
      kv = rand(d * v, 0.7),
      bv = rand(v, 1);
    const labels = Int32Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -100 : Math.floor(rng() * v)));
    const classWeights = Float32Array.from({ length: v }, () => 0.2 + rng());
    const opts = { smoothing: 0.05, smoothingMode: "others" as const, classWeights, classWeightMode: "target" as const, zLoss: 1e-3 };
    check(n, d, v, hv, kv, bv, labels, opts);
    // the focal option, passed through to the fused kernel (docs/spec.md "focal")
    check(n, d, v, hv, kv, bv, labels, { ...opts, focal: { gamma: "flsd-53" as const, alpha: 0.25 } });
  });

  function check(
    n: number,
    d: number,
    v: number,
    hv: Float32Array,
    kv: Float32Array,
    bv: Float32Array,
    labels: Int32Array,
    opts: TfLinearOptions,
  ): void {
    const h = tf.tensor2d(hv, [n, d]),
      k = tf.tensor2d(kv, [d, v]),
      b = tf.tensor1d(bv);
    const ours = grads(
      (hh, kk, bb) => tf.mul(3, linearSoftmaxCrossEntropy(tf, hh, kk, bb, Array.from(labels), opts)) as tf.Scalar,
      h,
      k,
      b,
    );
    const ref = reference.linearCrossEntropy(hv, kv, labels, { classes: v, weightLayout: "dv", bias: bv, ...(opts as object) });
    expect(Math.abs(ours.loss - 3 * (ref.loss as number))).toBeLessThan(3e-5 * Math.max(1, ref.loss as number));
    const want = [ref.gradHidden!, ref.gradWeight!, ref.gradBias!].map((g) => g.map((x) => 3 * x));
    for (let i = 0; i < 3; i++) expect(maxRelDiff(ours.g[i]!, want[i]!)).toBeLessThan(2e-5);
    tf.dispose([h, k, b]);
  }

  it("works without a bias, and rejects shapes that do not fit with a RangeError", () => {
    const h = tf.tensor2d(rand(8, 1), [4, 2]),
      k = tf.tensor2d(rand(6, 1), [2, 3]);
    const ref = reference.linearCrossEntropy(h.dataSync(), k.dataSync(), [0, 1, 2, 1], {
      classes: 3,
      weightLayout: "dv",
      reduction: "sum",
    });
    const hVar = tf.variable(h),
      kVar = tf.variable(k);
    const r = tf.variableGrads(() => linearSoftmaxCrossEntropy(tf, hVar, kVar, null, [0, 1, 2, 1], { reduction: "sum" }), [hVar, kVar]);
    expect(Math.abs(r.value.dataSync()[0]! - (ref.loss as number))).toBeLessThan(1e-5);
    expect(maxRelDiff(r.grads[hVar.name]!.dataSync(), ref.gradHidden!)).toBeLessThan(2e-5);
    expect(maxRelDiff(r.grads[kVar.name]!.dataSync(), ref.gradWeight!)).toBeLessThan(2e-5);
    tf.dispose([r.value, ...Object.values(r.grads), hVar, kVar]);
    expect(() => linearSoftmaxCrossEntropy(tf, h, tf.tensor2d(rand(9, 1), [3, 3]), null, [0, 1, 2, 1])).toThrow(RangeError);
    expect(() => linearSoftmaxCrossEntropy(tf, h, k, null, [0, 1, 2])).toThrow(/one class index per row/);
    expect(() => linearSoftmaxCrossEntropy(tf, h, k, null, [0, 1, 2, 3])).toThrow(/target\[3\] = 3 is out of range/);
    tf.dispose([h, k]);
  });
});
