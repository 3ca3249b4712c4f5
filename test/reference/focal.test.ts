/**
 * The focal reference (src/reference/focal.ts) on its own: its gradients against central finite
 * differences for every target form and option, γ = 0 as α × the cross-entropy reference, and a
 * confident row against its closed form (where 1 − p computed as such would have lost every digit).
 */
import { describe, expect, it } from "vitest";
import { crossEntropy, sigmoidCrossEntropy } from "../../src/reference/index.js";
import { expectGradClose, numericGradient, total } from "../helpers/reference-fd.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

describe("softmax focal reference: gradient = central finite differences", () => {
  const rng = mulberry32(3);
  const N = 4;
  const K = 5;
  const z = Float64Array.from(randomLogits(rng, N, K, 2, 0));
  z[3] = -Infinity; // a masked class
  const y = Int32Array.from([1, 0, 4, 2]);
  const t = Float64Array.from({ length: N * K }, () => rng());
  const w = [0.5, 2, 1, 0.7, 1.3];
  for (const gamma of [0, 1, 2, 1.5, "flsd-53"] as const) {
    for (const prob of [false, true]) {
      for (const variant of ["plain", "others", "pytorch", "target", "alphaVec", "zloss"] as const) {
        if (prob && (variant === "others" || variant === "target")) continue;
        it(`γ=${gamma} ${prob ? "probability" : "index"} ${variant}`, () => {
          const options = {
            classes: K,
            targetKind: prob ? ("probability" as const) : ("index" as const),
            smoothing: 0.1,
            reduction: "sum" as const,
            ...(variant === "others" ? { smoothingMode: "others" as const } : {}),
            ...(variant === "pytorch" ? { classWeights: w } : {}),
            ...(variant === "target" ? { classWeights: w, classWeightMode: "target" as const } : {}),
            ...(variant === "zloss" ? { zLoss: 0.01 } : {}),
            focal: { gamma, alpha: variant === "alphaVec" ? [0.2, 1, 0.5, 0.9, 0.3] : 0.25 },
          };
          const target = prob ? t : y;
          const r = crossEntropy(z, target, options);
          const f = (x: Float64Array) => total(crossEntropy(x, target, { ...options, grad: false }).loss);
          expectGradClose(r.grad, numericGradient(f, z), 2e-6);
        });
      }
    }
  }
});

describe("softmax focal reference: values", () => {
  it("γ = 0 is α × cross-entropy", () => {
    const rng = mulberry32(4);
    const z = randomLogits(rng, 6, 7, 3, 0);
    const y = randomLabels(rng, 6, 7);
    for (const smoothing of [0, 0.2]) {
      const a = crossEntropy(z, y, { classes: 7, smoothing, reduction: "none", focal: { gamma: 0, alpha: 0.3 } });
      const b = crossEntropy(z, y, { classes: 7, smoothing, reduction: "none" });
      for (let i = 0; i < 6; i++) expect((a.loss as Float64Array)[i]).toBeCloseTo(0.3 * (b.loss as Float64Array)[i]!, 12);
      for (let e = 0; e < 42; e++) expect(a.grad![e]).toBeCloseTo(0.3 * b.grad![e]!, 12);
    }
  });
  it("a confident row matches its closed form: u = e^−d/(1+e^−d), loss = u^γ·log1p(e^−d)", () => {
    for (const d of [20, 40, 150]) {
      for (const gamma of [1, 2, 3.5]) {
        const r = crossEntropy([d, 0], [0], { classes: 2, targetKind: "index", reduction: "sum", focal: { gamma } });
        const x = Math.exp(-d);
        const expected = (x / (1 + x)) ** gamma * Math.log1p(x);
        expect(Math.abs((r.loss as number) - expected) / expected).toBeLessThan(1e-13);
        expect(r.grad!.every(Number.isFinite)).toBe(true);
      }
    }
  });
});

describe("sigmoid focal reference: gradient = central finite differences", () => {
  for (const gamma of [0, 1, 2, 2.5]) {
    for (const variant of ["plain", "alpha", "posWeight", "smoothing"] as const) {
      it(`γ=${gamma} ${variant}`, () => {
        const rng = mulberry32(8);
        const x = Float64Array.from(randomLogits(rng, 4, 3, 3, 0));
        const t = Float64Array.from({ length: 12 }, () => (rng() < 0.5 ? 1 : rng()));
        const options = {
          classes: 3,
          reduction: "sum" as const,
          ...(variant === "posWeight" ? { posWeight: [0.5, 3, 1.2] } : {}),
          ...(variant === "smoothing" ? { smoothing: 0.2 } : {}),
          focal: { gamma, ...(variant === "alpha" ? { alpha: 0.25 } : {}) },
        };
        const r = sigmoidCrossEntropy(x, t, options);
        const f = (v: Float64Array) => total(sigmoidCrossEntropy(v, t, { ...options, grad: false }).loss);
        expectGradClose(r.grad, numericGradient(f, x), 2e-6);
      });
    }
  }
});
