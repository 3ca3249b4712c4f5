/**
 * Known values that do not come from our own code: PyTorch's documented behaviours, the
 * TF.js / PyTorch equivalence of ε/K smoothing with dense smoothed targets, and closed forms.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, crossEntropy, smoothTargets, softmax, logSoftmax } from "../../dist/index.js";
import { BUILDS } from "../helpers/builds.js";
import { mulberry32, randomLogits, randomLabels } from "../helpers/rng.js";
import { expectGrad, expectLoss } from "../helpers/compare.js";

describe.each(BUILDS)("known values — $name build", ({ simd }) => {
  beforeAll(() => initSync({ simd }));

  it("PyTorch: cross_entropy([[1e7+1, 1e7+2, 1e7+3]], [0]) = 2.4076059644", () => {
    const { loss } = crossEntropy(new Float32Array([1e7 + 1, 1e7 + 2, 1e7 + 3]), new Int32Array([0]), { classes: 3 });
    expect(Math.abs(loss - 2.4076059644)).toBeLessThan(1e-6 * 2.41);
  });

  it("PyTorch issue #107680: weights [25, 25, 100], index mean 0.8705, one-hot probability mean 54.4052", () => {
    const x = new Float32Array([2.3, 2.1, 4.5, 4.2, 3.2, 5.1]);
    const w = new Float32Array([25, 25, 100]);
    const idx = crossEntropy(x, new Int32Array([1, 2]), { classes: 3, classWeights: w });
    expect(idx.loss).toBeCloseTo(0.8705, 4);
    const onehot = new Float32Array([0, 1, 0, 0, 0, 1]);
    const prob = crossEntropy(x, onehot, { classes: 3, classWeights: w });
    expect(prob.loss).toBeCloseTo(54.4052, 4);
  });

  it("ε/K smoothing of index targets is CE on TF.js's dense targets onehot·(1−ε) + ε/K (computed here in f64)", () => {
    // TF.js softmaxCrossEntropy(onehot, logits, labelSmoothing = ε) builds t = onehot·(1−ε) + ε/K and
    // takes −Σ t_j·log softmax_j; PyTorch's label_smoothing = ε is that same loss. The f64 formula
    // below is the judge, for the library's index targets and its dense probability targets alike.
    const rng = mulberry32(77);
    for (const [n, k] of [
      [5, 3],
      [16, 10],
      [7, 1000],
    ] as const) {
      const z = randomLogits(rng, n, k, 3, 0);
      const y = randomLabels(rng, n, k, 0);
      for (const smoothing of [0.05, 0.1, 0.4]) {
        let want = 0;
        const wantGrad = new Float64Array(n * k);
        for (let i = 0; i < n; i++) {
          const row = Array.from(z.subarray(i * k, (i + 1) * k));
          const m = Math.max(...row);
          const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
          for (let j = 0; j < k; j++) {
            const t = (j === y[i] ? 1 - smoothing : 0) + smoothing / k;
            want -= t * (row[j]! - lse);
            wantGrad[i * k + j] = Math.exp(row[j]! - lse) - t; // 'sum': p − t
          }
        }
        const a = crossEntropy(z, y, { classes: k, smoothing, reduction: "sum" });
        expectLoss(a.loss, want, `index targets n=${n} k=${k} ε=${smoothing}`);
        expectGrad(a.grad!, wantGrad, 1, `index targets n=${n} k=${k} ε=${smoothing}`);
        const q = smoothTargets(y, { classes: k, smoothing });
        const b = crossEntropy(z, q, { classes: k, reduction: "sum" });
        expectLoss(b.loss, want, `dense targets n=${n} k=${k} ε=${smoothing}`);
        expectGrad(b.grad!, wantGrad, 1, `dense targets n=${n} k=${k} ε=${smoothing}`);
      }
    }
  });

  it("closed form, K = 2: loss = softplus(z₁ − z₀) blended by ε; gradient = p − q", () => {
    const z0 = 0.3,
      z1 = -1.2,
      eps = 0.2;
    const p1 = 1 / (1 + Math.exp(z0 - z1)),
      p0 = 1 - p1;
    // label 0: q = [1 − ε/2, ε/2]
    const want = -(1 - eps / 2) * Math.log(p0) - (eps / 2) * Math.log(p1);
    const { loss, grad } = crossEntropy(new Float32Array([z0, z1]), new Int32Array([0]), { classes: 2, smoothing: eps });
    expect(Math.abs(loss - want)).toBeLessThan(1e-6);
    expect(grad![0]).toBeCloseTo(p0 - (1 - eps / 2), 6);
    expect(grad![1]).toBeCloseTo(p1 - eps / 2, 6);
  });

  it("'others' smoothing (fairseq): q = (1−ε) on the label and ε/(K−1) elsewhere", () => {
    // z = [1, 2, 0.5, −1], label 2, ε = 0.3: q = [0.1, 0.1, 0.7, 0.1]. With Σq = 1 the loss is
    // lse − Σ q_j z_j, lse = log(e¹ + e² + e^0.5 + e⁻¹) = log 12.123938639261265 = 2.495181898085856
    // and Σ q_j z_j = 0.1 + 0.2 + 0.35 − 0.1 = 0.55: loss 1.945181898085856. ('uniform' would give
    // q = [0.075, 0.075, 0.775, 0.075] and 1.957681898085856.) Gradient p − q with
    // p = [0.22420781804820114, 0.6094600375988771, 0.13598891579350553, 0.030343228559416225].
    const z = new Float32Array([1, 2, 0.5, -1]);
    const { loss, grad } = crossEntropy(z, new Int32Array([2]), { classes: 4, smoothing: 0.3, smoothingMode: "others" });
    expectLoss(loss, 1.945181898085856);
    expectGrad(grad!, [0.12420781804820114, 0.5094600375988771, -0.5640110842064945, -0.06965677144058378], 1);
    const uniform = crossEntropy(z, new Int32Array([2]), { classes: 4, smoothing: 0.3 });
    expectLoss(uniform.loss, 1.957681898085856);
    const q = smoothTargets(new Int32Array([2]), { classes: 4, smoothing: 0.3, smoothingMode: "others" });
    expect(Array.from(q)).toEqual([0.1, 0.1, 0.7, 0.1].map(Math.fround));
  });

  it("uniform logits: softmax 1/K, logSoftmax −log K; masked class exactly 0 / −Infinity", () => {
    expect(Array.from(softmax(new Float32Array([5, 5, 5, 5]), { classes: 4 }))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const ls = logSoftmax(new Float32Array([2, 2, -Infinity]), { classes: 3 });
    expect(ls[0]).toBeCloseTo(-Math.log(2), 6);
    expect(ls[2]).toBe(-Infinity);
    expect(softmax(new Float32Array([2, 2, -Infinity]), { classes: 3 })[2]).toBe(0);
  });

  it("masked classes with smoothing stay finite (PyTorch and TF.js give ∞/NaN here)", () => {
    const { loss, grad } = crossEntropy(new Float32Array([1, -Infinity, 0]), new Int32Array([0]), { classes: 3, smoothing: 0.1 });
    // over the two unmasked classes: q = [0.95, 0.05]
    const lse = Math.log(Math.exp(1) + Math.exp(0));
    expect(loss).toBeCloseTo(0.95 * (lse - 1) + 0.05 * lse, 6);
    expect(grad![1]).toBe(0);
  });

  it("empty and all-ignored batches give loss 0 and a zero gradient (PyTorch gives NaN)", () => {
    expect(crossEntropy(new Float32Array(0), new Int32Array(0), { classes: 5 })).toEqual({ loss: 0, grad: new Float32Array(0) });
    const r = crossEntropy(new Float32Array([1, 2, 3, 4]), new Int32Array([-100, -100]), { classes: 2, zLoss: 1e-3 });
    expect(r.loss).toBe(0);
    expect(Array.from(r.grad!)).toEqual([0, 0, 0, 0]);
  });
});
