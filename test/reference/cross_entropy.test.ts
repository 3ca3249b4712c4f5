import { describe, it, expect } from "vitest";
import {
  crossEntropy,
  logSoftmax,
  smoothTargets,
  type CrossEntropyOptions,
  type Reduction,
  type SmoothingMode,
} from "../../src/reference/index.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";
import { expectGradClose, numericGradient, total } from "../helpers/reference-fd.js";

const reductions: Reduction[] = ["mean", "sum", "none"];
const modes: SmoothingMode[] = ["uniform", "others"];

/** Batch for gradient checks: N = 7, K = 5; optional masks, an ignored row holding NaN. */
function indexBatch(masked: boolean): { logits: Float64Array; labels: Int32Array } {
  const rng = mulberry32(masked ? 11 : 7);
  const N = 7;
  const K = 5;
  const logits = Float64Array.from(randomLogits(rng, N, K, 2, 0.5));
  const labels = randomLabels(rng, N, K, 0, -100);
  labels[2] = -100; // ignored row
  if (masked) {
    logits[2 * K + 1] = NaN; // ignored rows may hold anything
    const y1 = labels[1]!;
    logits[1 * K + ((y1 + 1) % K)] = -Infinity; // one masked class
    const y3 = labels[3]!;
    logits[3 * K + ((y3 + 2) % K)] = -Infinity; // two masked classes
    logits[3 * K + ((y3 + 4) % K)] = -Infinity;
    const y5 = labels[5]!; // only the target unmasked: K' = 1
    for (let j = 0; j < K; j++) if (j !== y5) logits[5 * K + j] = -Infinity;
  }
  return { logits, labels };
}

describe("crossEntropy gradient (index targets) matches central finite differences", () => {
  const weights = new Float64Array([0.5, 2, 1, 3, 0.25]);
  for (const masked of [false, true]) {
    for (const reduction of reductions) {
      for (const smoothing of [0, 0.15]) {
        for (const smoothingMode of modes) {
          for (const weightCase of ["none", "pytorch", "target"] as const) {
            for (const zLoss of [0, 0.03]) {
              const name = `masked=${masked} ${reduction} ε=${smoothing} ${smoothingMode} weights=${weightCase} λ=${zLoss}`;
              it(name, () => {
                const { logits, labels } = indexBatch(masked);
                const options: CrossEntropyOptions = {
                  classes: 5,
                  smoothing,
                  smoothingMode,
                  reduction,
                  zLoss,
                  ...(weightCase === "none" ? {} : { classWeights: weights, classWeightMode: weightCase }),
                };
                const result = crossEntropy(logits, labels, options);
                const f = (x: Float64Array) => total(crossEntropy(x, labels, { ...options, grad: false }).loss);
                expect(Number.isFinite(total(result.loss))).toBe(true);
                expectGradClose(result.grad, numericGradient(f, logits));
                // masked classes and ignored rows have gradient exactly 0
                for (let e = 0; e < logits.length; e++) {
                  if (logits[e] === -Infinity || Math.floor(e / 5) === 2) expect(result.grad![e]).toBe(0);
                }
              });
            }
          }
        }
      }
    }
  }
});

describe("crossEntropy gradient (probability targets) matches central finite differences", () => {
  const weights = new Float64Array([0.5, 2, 1, 3]);
  for (const masked of [false, true]) {
    for (const reduction of reductions) {
      for (const smoothing of [0, 0.2]) {
        for (const weighted of [false, true]) {
          for (const zLoss of [0, 0.05]) {
            it(`masked=${masked} ${reduction} ε=${smoothing} weighted=${weighted} λ=${zLoss}`, () => {
              const rng = mulberry32(3);
              const N = 5;
              const K = 4;
              const logits = Float64Array.from(randomLogits(rng, N, K, 2, -1));
              const t = new Float64Array(N * K);
              for (let e = 0; e < t.length; e++) t[e] = rng(); // need not sum to 1
              if (masked) {
                logits[1 * K + 2] = -Infinity;
                logits[4 * K + 0] = -Infinity;
                logits[4 * K + 3] = -Infinity;
              }
              const options: CrossEntropyOptions = {
                classes: K,
                smoothing,
                reduction,
                zLoss,
                ...(weighted ? { classWeights: weights } : {}),
              };
              const result = crossEntropy(logits, t, options);
              const f = (x: Float64Array) => total(crossEntropy(x, t, { ...options, grad: false }).loss);
              expect(Number.isFinite(total(result.loss))).toBe(true);
              expectGradClose(result.grad, numericGradient(f, logits));
            });
          }
        }
      }
    }
  }
});

describe("crossEntropy known values", () => {
  it("PyTorch: cross_entropy([[1e7+1, 1e7+2, 1e7+3]], [0]) = 2.4076059644", () => {
    const { loss } = crossEntropy([1e7 + 1, 1e7 + 2, 1e7 + 3], new Int32Array([0]), { classes: 3 });
    expect(Math.abs((loss as number) - 2.4076059644)).toBeLessThan(1e-9);
  });

  it("PyTorch issue #107680 (weights [25,25,100], no label smoothing): 0.8705 and 54.4052", () => {
    const inputs = new Float64Array([2.3, 2.1, 4.5, 4.2, 3.2, 5.1]);
    const classWeights = new Float64Array([25, 25, 100]);
    const indexMean = crossEntropy(inputs, new Int32Array([1, 2]), { classes: 3, classWeights }).loss;
    const oneHot = new Float64Array([0, 1, 0, 0, 0, 1]);
    const probMean = crossEntropy(inputs, oneHot, { classes: 3, classWeights }).loss;
    expect(Math.abs((indexMean as number) - 0.8705)).toBeLessThan(1e-4);
    expect(Math.abs((probMean as number) - 54.4052)).toBeLessThan(1e-4);
    // the two differ only by the divisor: Σ w_y = 125 against N = 2; 'sum' agrees
    const a = crossEntropy(inputs, new Int32Array([1, 2]), { classes: 3, classWeights, reduction: "sum" });
    const b = crossEntropy(inputs, oneHot, { classes: 3, classWeights, reduction: "sum" });
    expect(Math.abs((a.loss as number) - (b.loss as number))).toBeLessThan(1e-12);
  });

  it("TF.js/PyTorch equivalence: index smoothing ε = probability CE on smoothTargets(ε) with ε = 0", () => {
    const rng = mulberry32(2024);
    const N = 40;
    const K = 9;
    const logits = randomLogits(rng, N, K, 3, 0);
    const labels = randomLabels(rng, N, K, 0, -100);
    const classWeights = Float64Array.from({ length: K }, () => 0.2 + rng() * 2);
    for (const smoothing of [0, 0.1, 0.37, 1]) {
      const q = smoothTargets(labels, { classes: K, smoothing });
      const cases: CrossEntropyOptions[] = [
        { classes: K, reduction: "mean" },
        { classes: K, reduction: "sum", zLoss: 1e-3 },
        { classes: K, reduction: "sum", classWeights },
      ];
      for (const base of cases) {
        const viaIndex = crossEntropy(logits, labels, { ...base, smoothing });
        const viaProb = crossEntropy(logits, q, { ...base, smoothing: 0 });
        expect(Math.abs((viaIndex.loss as number) - (viaProb.loss as number))).toBeLessThan(1e-10);
        let worst = 0;
        for (let e = 0; e < N * K; e++) worst = Math.max(worst, Math.abs(viaIndex.grad![e]! - viaProb.grad![e]!));
        expect(worst).toBeLessThan(1e-12);
      }
    }
  });

  it("K = 2 by hand: z = [0, ln 3], y = 0, ε = 0.2 uniform", () => {
    // p = [1/4, 3/4], q = [0.9, 0.1]
    const r = crossEntropy([0, Math.log(3)], new Int32Array([0]), { classes: 2, smoothing: 0.2 });
    const expected = 0.9 * Math.log(4) + 0.1 * Math.log(4 / 3);
    expect(Math.abs((r.loss as number) - expected)).toBeLessThan(1e-14);
    expect(Math.abs(r.grad![0]! - (0.25 - 0.9))).toBeLessThan(1e-15);
    expect(Math.abs(r.grad![1]! - (0.75 - 0.1))).toBeLessThan(1e-15);
  });

  it("K = 2 by hand with z-loss: z = [0, 0], λ = 0.1", () => {
    const r = crossEntropy([0, 0], new Int32Array([1]), { classes: 2, zLoss: 0.1 });
    const lse = Math.log(2);
    expect(Math.abs((r.loss as number) - (Math.log(2) + 0.1 * lse * lse))).toBeLessThan(1e-15);
    // ∂/∂z_j = p_j − [j=y] + 2λ·lse·p_j with p = [1/2, 1/2]
    expect(Math.abs(r.grad![0]! - (0.5 + 0.1 * lse))).toBeLessThan(1e-15);
    expect(Math.abs(r.grad![1]! - (-0.5 + 0.1 * lse))).toBeLessThan(1e-15);
  });

  it("K = 3 by hand: 'others' smoothing, z = [1, 2, 3], y = 2, ε = 0.3", () => {
    const lse = 3 + Math.log(Math.exp(-2) + Math.exp(-1) + 1);
    const l = [1 - lse, 2 - lse, 3 - lse];
    const q = [0.15, 0.15, 0.7];
    const expected = -(q[0]! * l[0]! + q[1]! * l[1]! + q[2]! * l[2]!);
    const r = crossEntropy([1, 2, 3], new Int32Array([2]), { classes: 3, smoothing: 0.3, smoothingMode: "others" });
    expect(Math.abs((r.loss as number) - expected)).toBeLessThan(1e-14);
    for (let j = 0; j < 3; j++) expect(Math.abs(r.grad![j]! - (Math.exp(l[j]!) - q[j]!))).toBeLessThan(1e-15);
  });

  it("K = 3 by hand: class weights, PyTorch quirk vs 'target' mode", () => {
    // z = 0 → every ℓ_j = −ln 3; y = 1, ε = 0.3, w = [1, 2, 6]
    const z = [0, 0, 0];
    const classWeights = [1, 2, 6];
    const opts = { classes: 3, smoothing: 0.3, classWeights, reduction: "sum" as const };
    const pytorch = crossEntropy(z, new Int32Array([1]), opts).loss as number;
    const target = crossEntropy(z, new Int32Array([1]), { ...opts, classWeightMode: "target" }).loss as number;
    // pytorch: (1−ε)·w_y·ln3 + ε/3·(1+2+6)·ln3 = (1.4 + 0.9)·ln3; target: w_y·Σq·ln3 = 2·ln3
    expect(Math.abs(pytorch - 2.3 * Math.log(3))).toBeLessThan(1e-14);
    expect(Math.abs(target - 2 * Math.log(3))).toBeLessThan(1e-14);
    const mean = crossEntropy(z, new Int32Array([1]), { ...opts, reduction: "mean" }).loss as number;
    expect(Math.abs(mean - (2.3 * Math.log(3)) / 2)).toBeLessThan(1e-14); // D = w_y = 2
  });

  it("'pytorch' weight mode follows the explicit formula, 'others' included", () => {
    const rng = mulberry32(99);
    const N = 6;
    const K = 5;
    const logits = randomLogits(rng, N, K, 2, 0);
    const labels = randomLabels(rng, N, K, 0, -100);
    const w = [0.3, 1.7, 2, 0.9, 4];
    const eps = 0.25;
    const ls = logSoftmax(logits, { classes: K });
    for (const mode of modes) {
      let expected = 0;
      for (let i = 0; i < N; i++) {
        const y = labels[i]!;
        let rest = 0;
        for (let j = 0; j < K; j++) {
          if (mode === "uniform" || j !== y) rest += w[j]! * -ls[i * K + j]!;
        }
        const share = mode === "uniform" ? eps / K : eps / (K - 1);
        expected += (1 - eps) * w[y]! * -ls[i * K + y]! + share * rest;
      }
      const got = crossEntropy(logits, labels, {
        classes: K,
        smoothing: eps,
        smoothingMode: mode,
        classWeights: w,
        reduction: "sum",
      }).loss as number;
      expect(Math.abs(got - expected)).toBeLessThan(1e-12 * Math.max(1, expected));
    }
  });

  it("'mean' is Σ CE_i / Σ w_y + λ·Σ lse² / n", () => {
    const logits = [0, 0, 0, 1, 0, 0, 5, 5, 5]; // row 2 ignored
    const labels = new Int32Array([0, 1, -100]);
    const classWeights = [2, 3, 1];
    const lambda = 0.5;
    const ce0 = 2 * Math.log(3); // w_0 · (−ℓ_0), ℓ = −ln 3
    const lse1 = Math.log(Math.E + 2);
    const ce1 = 3 * -(0 - lse1);
    const lse0 = Math.log(3);
    const expected = (ce0 + ce1) / 5 + (lambda * (lse0 * lse0 + lse1 * lse1)) / 2;
    const got = crossEntropy(logits, labels, { classes: 3, classWeights, zLoss: lambda }).loss as number;
    expect(Math.abs(got - expected)).toBeLessThan(1e-14);
  });

  it("large logits: log-softmax subtracts the max first (offset 1e7, label 2)", () => {
    const { loss } = crossEntropy([1e7 + 1, 1e7 + 2, 1e7 + 3], new Int32Array([2]), { classes: 3 });
    expect(Math.abs((loss as number) - Math.log(1 + Math.exp(-1) + Math.exp(-2)))).toBeLessThan(1e-14);
  });
});

describe("crossEntropy edge rules", () => {
  it("an ignored row gives loss 0 and gradient 0 whatever its logits", () => {
    const logits = [NaN, Infinity, -Infinity, 1, 2, 3];
    for (const reduction of reductions) {
      const r = crossEntropy(logits, new Int32Array([-100, 0]), { classes: 3, reduction, zLoss: 0.1, smoothing: 0.1 });
      const alone = crossEntropy([1, 2, 3], new Int32Array([0]), { classes: 3, reduction, zLoss: 0.1, smoothing: 0.1 });
      expect(Array.from(r.grad!.subarray(0, 3))).toEqual([0, 0, 0]);
      expect(Array.from(r.grad!.subarray(3))).toEqual(Array.from(alone.grad!));
      if (reduction === "none") {
        expect((r.loss as Float64Array)[0]).toBe(0);
        expect((r.loss as Float64Array)[1]).toBe((alone.loss as Float64Array)[0]);
      } else {
        expect(r.loss).toBe(alone.loss);
      }
    }
  });

  it("a custom ignoreIndex is honoured", () => {
    const r = crossEntropy([1, 2, 3, 4], new Int32Array([1, 7]), { classes: 2, ignoreIndex: 7, reduction: "none" });
    expect((r.loss as Float64Array)[1]).toBe(0);
    expect((r.loss as Float64Array)[0]).toBeCloseTo(Math.log(1 + Math.exp(-1)), 14);
  });

  it("masked classes: same as cross-entropy on the unmasked classes alone, gradient 0 on them", () => {
    for (const smoothingMode of modes) {
      const masked = crossEntropy([1, -Infinity, 3, 0.5], new Int32Array([2]), {
        classes: 4,
        smoothing: 0.2,
        smoothingMode,
        zLoss: 0.01,
      });
      const dense = crossEntropy([1, 3, 0.5], new Int32Array([1]), {
        classes: 3,
        smoothing: 0.2,
        smoothingMode,
        zLoss: 0.01,
      });
      expect(Math.abs((masked.loss as number) - (dense.loss as number))).toBeLessThan(1e-15);
      expect(masked.grad![1]).toBe(0);
      expect(masked.grad![0]).toBeCloseTo(dense.grad![0]!, 15);
      expect(masked.grad![2]).toBeCloseTo(dense.grad![1]!, 15);
      expect(masked.grad![3]).toBeCloseTo(dense.grad![2]!, 15);
    }
  });

  it("a NaN or +Infinity logit in a non-ignored row: row loss NaN, gradient row NaN, other rows unaffected", () => {
    for (const bad of [NaN, Infinity]) {
      const logits = [0.2, bad, 1, 1, 2, 3];
      const r = crossEntropy(logits, new Int32Array([0, 2]), { classes: 3, reduction: "none" });
      const alone = crossEntropy([1, 2, 3], new Int32Array([2]), { classes: 3, reduction: "none" });
      expect((r.loss as Float64Array)[0]).toBeNaN();
      expect((r.loss as Float64Array)[1]).toBe((alone.loss as Float64Array)[0]);
      for (let j = 0; j < 3; j++) expect(r.grad![j]).toBeNaN();
      expect(Array.from(r.grad!.subarray(3))).toEqual(Array.from(alone.grad!));
      expect(crossEntropy(logits, new Int32Array([0, 2]), { classes: 3 }).loss).toBeNaN();
      // even if the NaN row's target class is masked, NaN wins
      expect((crossEntropy([-Infinity, bad], new Int32Array([0]), { classes: 2, reduction: "none" }).loss as Float64Array)[0]).toBeNaN();
    }
  });

  it("an index target on a masked class: +Infinity loss, NaN gradient row, whatever ε, weights and λ", () => {
    const cases: Partial<CrossEntropyOptions>[] = [
      {},
      { smoothing: 0.5 },
      { smoothing: 1 },
      { smoothing: 0.3, smoothingMode: "others" },
      { classWeights: [0, 1, 1] },
      { classWeights: [2, 1, 1], classWeightMode: "target", smoothing: 0.1 },
      { zLoss: 0.1 },
    ];
    for (const extra of cases) {
      for (const reduction of reductions) {
        const r = crossEntropy([-Infinity, 1, 2, 0, 1, 2], new Int32Array([0, 1]), { classes: 3, reduction, ...extra });
        const first = reduction === "none" ? (r.loss as Float64Array)[0]! : (r.loss as number);
        expect(first).toBe(Infinity); // also when w_y = 0 (row 1 keeps D > 0 under 'mean')
        for (let j = 0; j < 3; j++) expect(r.grad![j]).toBeNaN();
        for (let j = 3; j < 6; j++) expect(Number.isFinite(r.grad![j]!)).toBe(true);
      }
    }
    // every class masked
    const all = crossEntropy([-Infinity, -Infinity], new Int32Array([1]), { classes: 2, smoothing: 0.1, reduction: "none" });
    expect((all.loss as Float64Array)[0]).toBe(Infinity);
    expect(Number.isNaN(all.grad![0]!) && Number.isNaN(all.grad![1]!)).toBe(true);
  });

  it("probability targets: masked classes get q = 0 whatever t is", () => {
    const a = crossEntropy([0.5, -Infinity, 2], [0.3, 0.6, 0.1], { classes: 3, smoothing: 0.2, reduction: "sum" });
    const b = crossEntropy([0.5, -Infinity, 2], [0.3, 0, 0.1], { classes: 3, smoothing: 0.2, reduction: "sum" });
    expect(a.loss).toBe(b.loss);
    expect(a.grad![1]).toBe(0);
    // by hand: q = 0.8·t + 0.2/2 over the two unmasked classes
    const lse = 2 + Math.log(1 + Math.exp(-1.5));
    const expected = -((0.8 * 0.3 + 0.1) * (0.5 - lse) + (0.8 * 0.1 + 0.1) * (2 - lse));
    expect(Math.abs((a.loss as number) - expected)).toBeLessThan(1e-14);
  });

  it("probability targets: a row with every class masked gives NaN loss and NaN gradient", () => {
    const r = crossEntropy([-Infinity, -Infinity, 1, 2], new Float64Array([0.5, 0.5, 0, 1]), { classes: 2, reduction: "none" });
    expect((r.loss as Float64Array)[0]).toBeNaN();
    expect(Number.isNaN(r.grad![0]!) && Number.isNaN(r.grad![1]!)).toBe(true);
    expect(Number.isFinite((r.loss as Float64Array)[1]!)).toBe(true);
  });

  it("'others' smoothing with K' = 1 puts q_y = 1 (loss 0, gradient 0)", () => {
    for (const smoothingMode of modes) {
      const r = crossEntropy([-Infinity, 4, -Infinity], new Int32Array([1]), { classes: 3, smoothing: 0.4, smoothingMode });
      expect(r.loss).toBe(0);
      expect(Array.from(r.grad!)).toEqual([0, 0, 0]);
    }
  });

  it("K = 1: loss 0, gradient 0", () => {
    const r = crossEntropy([3.5, -2], new Int32Array([0, 0]), { classes: 1, smoothing: 0.3, smoothingMode: "others" });
    expect(r.loss).toBe(0);
    expect(Array.from(r.grad!)).toEqual([0, 0]);
  });

  it("'mean' with D = 0 gives loss 0 and a zero gradient (all ignored, all weights 0), even with z-loss", () => {
    const logits = [1, 2, 3, 4, 5, 6];
    const allIgnored = crossEntropy(logits, new Int32Array([-100, -100]), { classes: 3, zLoss: 0.1 });
    expect(allIgnored.loss).toBe(0);
    expect(Array.from(allIgnored.grad!)).toEqual([0, 0, 0, 0, 0, 0]);
    const zeroWeights = crossEntropy(logits, new Int32Array([1, 1]), { classes: 3, classWeights: [1, 0, 1], zLoss: 0.1, smoothing: 0.2 });
    expect(zeroWeights.loss).toBe(0);
    expect(Array.from(zeroWeights.grad!)).toEqual([0, 0, 0, 0, 0, 0]);
    // with 'sum' the same batch is not empty
    expect(
      crossEntropy(logits, new Int32Array([1, 1]), { classes: 3, classWeights: [1, 0, 1], zLoss: 0.1, reduction: "sum" }).loss,
    ).toBeGreaterThan(0);
  });

  it("N = 0: 'mean' and 'sum' give 0, 'none' an empty array, gradients empty", () => {
    for (const target of [new Int32Array(0), new Float64Array(0)]) {
      expect(crossEntropy([], target, { classes: 4 })).toEqual({ loss: 0, grad: new Float64Array(0) });
      expect(crossEntropy([], target, { classes: 4, reduction: "sum" }).loss).toBe(0);
      expect((crossEntropy([], target, { classes: 4, reduction: "none" }).loss as Float64Array).length).toBe(0);
    }
  });

  it("probability targets 'mean' divides both terms by N", () => {
    const z = [0, 0, 1, 0];
    const t = new Float64Array([1, 0, 0, 1]);
    const sum = crossEntropy(z, t, { classes: 2, zLoss: 0.2, classWeights: [3, 1], reduction: "sum" }).loss as number;
    const mean = crossEntropy(z, t, { classes: 2, zLoss: 0.2, classWeights: [3, 1] }).loss as number;
    expect(Math.abs(mean - sum / 2)).toBeLessThan(1e-15);
  });

  it("grad: false returns null", () => {
    expect(crossEntropy([1, 2], new Int32Array([0]), { classes: 2, grad: false }).grad).toBeNull();
    expect(crossEntropy([1, 2], new Float64Array([0, 1]), { classes: 2, grad: false }).grad).toBeNull();
  });

  it("target kind: Int32Array → indices, float arrays → probabilities, number[] by length or targetKind", () => {
    const z = [0, Math.log(3)];
    const byIndex = crossEntropy(z, new Int32Array([1]), { classes: 2 }).loss as number;
    expect(byIndex).toBeCloseTo(Math.log(4 / 3), 15);
    expect(crossEntropy(z, new Float32Array([0, 1]), { classes: 2 }).loss).toBeCloseTo(Math.log(4 / 3), 15);
    expect(crossEntropy(z, [1], { classes: 2 }).loss).toBeCloseTo(Math.log(4 / 3), 15);
    expect(crossEntropy(z, [0, 1], { classes: 2 }).loss).toBeCloseTo(Math.log(4 / 3), 15);
    expect(crossEntropy(z, [1], { classes: 2, targetKind: "index" }).loss).toBeCloseTo(Math.log(4 / 3), 15);
  });

  it("a label out of range is a RangeError naming the row and value", () => {
    expect(() => crossEntropy([1, 2, 3, 4], new Int32Array([0, 5]), { classes: 2 })).toThrow(
      /labels\[1\] = 5 is out of range for classes = 2/,
    );
  });
});
