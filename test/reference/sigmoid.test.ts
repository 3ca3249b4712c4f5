import { describe, it, expect } from "vitest";
import { sigmoidCrossEntropy, type Reduction } from "../../src/reference/index.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";
import { expectGradClose, numericGradient, total } from "../helpers/reference-fd.js";

const reductions: Reduction[] = ["mean", "sum", "none"];

describe("sigmoidCrossEntropy gradient matches central finite differences", () => {
  for (const reduction of reductions) {
    for (const smoothing of [0, 0.1]) {
      for (const withPosWeight of [false, true]) {
        it(`${reduction} ε=${smoothing} posWeight=${withPosWeight}`, () => {
          const rng = mulberry32(17);
          const N = 6;
          const K = 3;
          const x = Float64Array.from(randomLogits(rng, N, K, 4, 0));
          const t = Float64Array.from({ length: N * K }, () => (rng() < 0.5 ? 0 : rng() < 0.5 ? 1 : rng()));
          const options = {
            classes: K,
            smoothing,
            reduction,
            ...(withPosWeight ? { posWeight: [0.5, 3, 1.25] } : {}),
          };
          const r = sigmoidCrossEntropy(x, t, options);
          const f = (z: Float64Array) => total(sigmoidCrossEntropy(z, t, { ...options, grad: false }).loss);
          expectGradClose(r.grad, numericGradient(f, x));
        });
      }
    }
  }
});

describe("sigmoidCrossEntropy values", () => {
  it("x = 0 gives log 2 whatever t (and ε)", () => {
    for (const t of [0, 0.3, 1]) {
      for (const smoothing of [0, 0.2]) {
        const r = sigmoidCrossEntropy([0], [t], { smoothing });
        expect(Math.abs((r.loss as number) - Math.LN2)).toBeLessThan(1e-16);
      }
    }
  });

  it("by hand: x = 2, t = 1 → log(1 + e^−2); x = −3, t = 0 → log(1 + e^−3); gradient σ(x) − t'", () => {
    const r = sigmoidCrossEntropy([2, -3], [1, 0], { reduction: "none" });
    const loss = r.loss as Float64Array;
    expect(Math.abs(loss[0]! - Math.log(1 + Math.exp(-2)))).toBeLessThan(1e-15);
    expect(Math.abs(loss[1]! - Math.log(1 + Math.exp(-3)))).toBeLessThan(1e-15);
    expect(Math.abs(r.grad![0]! - (1 / (1 + Math.exp(-2)) - 1))).toBeLessThan(1e-15);
    expect(Math.abs(r.grad![1]! - 1 / (1 + Math.exp(3)))).toBeLessThan(1e-15);
  });

  it("smoothing: t' = t(1−ε) + ε/2 (t = 1, ε = 0.2 → t' = 0.9)", () => {
    const x = 1.5;
    const r = sigmoidCrossEntropy([x], [1], { smoothing: 0.2 });
    const sig = 1 / (1 + Math.exp(-x));
    const expected = -(0.9 * Math.log(sig) + 0.1 * Math.log(1 - sig));
    expect(Math.abs((r.loss as number) - expected)).toBeLessThan(1e-15);
  });

  it("posWeight by hand (PyTorch BCEWithLogitsLoss): ℓ = −[p·t·log σ(x) + (1−t)·log(1−σ(x))]", () => {
    const x = [0.7, -1.2];
    const t = [0.8, 0.4];
    const p = [3, 0.5];
    const r = sigmoidCrossEntropy(x, t, { classes: 2, posWeight: p, reduction: "none" });
    for (let c = 0; c < 2; c++) {
      const sig = 1 / (1 + Math.exp(-x[c]!));
      const expected = -(p[c]! * t[c]! * Math.log(sig) + (1 - t[c]!) * Math.log(1 - sig));
      expect(Math.abs((r.loss as Float64Array)[c]! - expected)).toBeLessThan(1e-15);
      expect(Math.abs(r.grad![c]! - (sig * (1 - t[c]! + p[c]! * t[c]!) - p[c]! * t[c]!))).toBeLessThan(1e-15);
    }
    // x = 0: (p·t + 1 − t)·log 2
    const zero = sigmoidCrossEntropy([0], [0.8], { classes: 1, posWeight: [3] });
    expect(Math.abs((zero.loss as number) - (3 * 0.8 + 0.2) * Math.LN2)).toBeLessThan(1e-15);
  });

  it("posWeight is per class: element (i, c) uses p_c, and p = 1 equals no posWeight", () => {
    const x = [1, 2, 3, 4];
    const t = [1, 1, 0, 1];
    const a = sigmoidCrossEntropy(x, t, { classes: 2, posWeight: [1, 1], reduction: "none" }).loss as Float64Array;
    const b = sigmoidCrossEntropy(x, t, { reduction: "none" }).loss as Float64Array;
    for (let e = 0; e < 4; e++) expect(Math.abs(a[e]! - b[e]!)).toBeLessThan(1e-15);
    const w = sigmoidCrossEntropy(x, t, { classes: 2, posWeight: [1, 5], reduction: "none" }).loss as Float64Array;
    expect(w[0]).toBe(a[0]);
    expect(w[2]).toBe(a[2]); // t = 0: posWeight has no effect
    expect(Math.abs(w[3]! - 5 * a[3]!)).toBeLessThan(1e-15); // t = 1: scaled by p
  });

  it("stable for large |x| (no overflow to Infinity)", () => {
    const r = sigmoidCrossEntropy([1000, -1000, 800], [0, 1, 0], { reduction: "none", classes: 3, posWeight: [1, 2, 1] });
    const loss = r.loss as Float64Array;
    expect(loss[0]).toBe(1000);
    expect(loss[1]).toBe(2000);
    expect(loss[2]).toBe(800);
    expect(Array.from(r.grad!)).toEqual([1, -2, 1]);
  });

  it("'mean' divides by the number of elements, 'sum' does not", () => {
    const x = [0.1, -0.4, 2, 1, 0, -3];
    const t = [0, 1, 1, 0, 0.5, 1];
    const sum = sigmoidCrossEntropy(x, t, { classes: 3, reduction: "sum" });
    const mean = sigmoidCrossEntropy(x, t, { classes: 3, reduction: "mean" });
    expect(Math.abs((mean.loss as number) - (sum.loss as number) / 6)).toBeLessThan(1e-15);
    for (let e = 0; e < 6; e++) expect(Math.abs(mean.grad![e]! - sum.grad![e]! / 6)).toBeLessThan(1e-16);
    expect(sigmoidCrossEntropy(x, t, { grad: false }).grad).toBeNull();
  });

  it("no elements: 'mean' gives 0", () => {
    expect(sigmoidCrossEntropy([], [], {}).loss).toBe(0);
  });
});
