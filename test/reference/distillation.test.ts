import { describe, it, expect } from "vitest";
import { crossEntropy, distillation, type Reduction } from "../../src/reference/index.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";
import { expectGradClose, numericGradient, total } from "../helpers/reference-fd.js";

const reductions: Reduction[] = ["mean", "sum", "none"];

describe("distillation gradient matches central finite differences", () => {
  for (const withLabels of [false, true]) {
    for (const temperature of [1, 4]) {
      for (const reduction of reductions) {
        it(`labels=${withLabels} T=${temperature} ${reduction}`, () => {
          const rng = mulberry32(temperature * 10 + (withLabels ? 1 : 0));
          const N = 6;
          const K = 5;
          const student = Float64Array.from(randomLogits(rng, N, K, 3, 0));
          const teacher = Float64Array.from(randomLogits(rng, N, K, 3, 1));
          const labels = randomLabels(rng, N, K, 0, -100);
          labels[4] = -100;
          teacher[2 * K + 1] = -Infinity; // a teacher probability of exactly 0
          const options = {
            classes: K,
            temperature,
            reduction,
            ...(withLabels ? { labels, alpha: 0.3, smoothing: 0.1 } : {}),
          };
          const r = distillation(student, teacher, options);
          const f = (s: Float64Array) => total(distillation(s, teacher, { ...options, grad: false }).loss);
          expect(Number.isFinite(total(r.loss))).toBe(true);
          expectGradClose(r.grad, numericGradient(f, student));
          if (withLabels) {
            for (let j = 0; j < K; j++) expect(r.grad![4 * K + j]).toBe(0); // ignored row
          }
        });
      }
    }
  }
});

describe("distillation values", () => {
  it("KL of identical distributions is 0 (loss 0, gradient 0) for T = 1 and T = 4", () => {
    const rng = mulberry32(1);
    const z = randomLogits(rng, 8, 6, 3, 0);
    for (const temperature of [1, 4]) {
      const r = distillation(z, z, { classes: 6, temperature });
      expect(Math.abs(r.loss as number)).toBeLessThan(1e-15);
      for (const g of r.grad!) expect(Math.abs(g)).toBeLessThan(1e-16);
    }
  });

  it("K = 2 by hand: s = [0, 0], t = [0, ln 3] → KL(¼,¾ ‖ ½,½); T² scaling with T = 2", () => {
    const expectedKl = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
    const r1 = distillation([0, 0], [0, Math.log(3)], { classes: 2 });
    expect(Math.abs((r1.loss as number) - expectedKl)).toBeLessThan(1e-15);
    expect(Math.abs(r1.grad![0]! - (0.5 - 0.25))).toBeLessThan(1e-16);
    expect(Math.abs(r1.grad![1]! - (0.5 - 0.75))).toBeLessThan(1e-16);
    // same distributions at T = 2 (logits doubled): loss × T², gradient × T
    const r2 = distillation([0, 0], [0, 2 * Math.log(3)], { classes: 2, temperature: 2 });
    expect(Math.abs((r2.loss as number) - 4 * expectedKl)).toBeLessThan(1e-14);
    expect(Math.abs(r2.grad![0]! - 2 * 0.25)).toBeLessThan(1e-15);
  });

  it("a teacher probability of 0 contributes 0 (0·log 0 = 0)", () => {
    // teacher [1, 0, 0] effectively: classes 1, 2 masked in the teacher
    const r = distillation([1, 2, 3], [5, -Infinity, -Infinity], { classes: 3 });
    const logps0 = 1 - (3 + Math.log(Math.exp(-2) + Math.exp(-1) + 1));
    expect(Math.abs((r.loss as number) - -logps0)).toBeLessThan(1e-15);
  });

  it("with labels: α·KL part + (1−α)·CE part; α defaults to 0.5; α = 0 is crossEntropy", () => {
    const rng = mulberry32(8);
    const s = randomLogits(rng, 5, 4, 2, 0);
    const t = randomLogits(rng, 5, 4, 2, 0);
    const labels = new Int32Array([0, 3, -100, 2, 1]);
    const klOnly = distillation(s, t, { classes: 4, labels, alpha: 1 });
    const ce = crossEntropy(s, labels, { classes: 4, smoothing: 0.1 });
    const ceOnly = distillation(s, t, { classes: 4, labels, alpha: 0, smoothing: 0.1 });
    expect(Math.abs((ceOnly.loss as number) - (ce.loss as number))).toBeLessThan(1e-15);
    for (let e = 0; e < 20; e++) expect(Math.abs(ceOnly.grad![e]! - ce.grad![e]!)).toBeLessThan(1e-16);
    const half = distillation(s, t, { classes: 4, labels, smoothing: 0.1 });
    const expected = 0.5 * (klOnly.loss as number) + 0.5 * (ce.loss as number);
    expect(Math.abs((half.loss as number) - expected)).toBeLessThan(1e-14);
    // the KL part averages over the 4 rows not ignored
    const kept = [0, 1, 3, 4];
    const sKept = kept.flatMap((i) => Array.from(s.subarray(i * 4, i * 4 + 4)));
    const tKept = kept.flatMap((i) => Array.from(t.subarray(i * 4, i * 4 + 4)));
    expect(Math.abs((klOnly.loss as number) - (distillation(sKept, tKept, { classes: 4 }).loss as number))).toBeLessThan(1e-15);
  });

  it("'sum' = n·'mean', 'none' rows sum to 'sum' and ignored rows are 0", () => {
    const rng = mulberry32(12);
    const s = randomLogits(rng, 4, 3, 2, 0);
    const t = randomLogits(rng, 4, 3, 2, 0);
    const labels = new Int32Array([1, -100, 0, 2]);
    const base = { classes: 3, labels, temperature: 3, alpha: 0.7 };
    const mean = distillation(s, t, { ...base, reduction: "mean" }).loss as number;
    const sum = distillation(s, t, { ...base, reduction: "sum" }).loss as number;
    const none = distillation(s, t, { ...base, reduction: "none" }).loss as Float64Array;
    expect(Math.abs(sum - 3 * mean)).toBeLessThan(1e-14);
    expect(none[1]).toBe(0);
    expect(Math.abs(none[0]! + none[2]! + none[3]! - sum)).toBeLessThan(1e-14);
  });

  it("n = 0 under 'mean': loss 0 and a zero gradient", () => {
    const r = distillation([1, 2, 3, 4], [4, 3, 2, 1], { classes: 2, labels: new Int32Array([-100, -100]) });
    expect(r.loss).toBe(0);
    expect(Array.from(r.grad!)).toEqual([0, 0, 0, 0]);
    const empty = distillation([], [], { classes: 3 });
    expect(empty.loss).toBe(0);
    expect(empty.grad!.length).toBe(0);
  });

  it("NaN or +Infinity in a student or teacher row makes that row NaN; other rows unaffected", () => {
    for (const bad of [NaN, Infinity]) {
      for (const where of ["student", "teacher"] as const) {
        const s = [0.1, 0.2, 1, 2];
        const t = [0.3, 0.1, 2, 1];
        (where === "student" ? s : t)[0] = bad;
        const r = distillation(s, t, { classes: 2, reduction: "none", labels: new Int32Array([0, 1]) });
        const alone = distillation([1, 2], [2, 1], { classes: 2, reduction: "none", labels: new Int32Array([1]) });
        const loss = r.loss as Float64Array;
        expect(loss[0]).toBeNaN();
        expect(Number.isNaN(r.grad![0]!) && Number.isNaN(r.grad![1]!)).toBe(true);
        expect(loss[1]).toBe((alone.loss as Float64Array)[0]);
        expect(Array.from(r.grad!.subarray(2))).toEqual(Array.from(alone.grad!));
      }
    }
  });

  it("a class masked in the student where the teacher probability is > 0: +Infinity, NaN gradient row", () => {
    const r = distillation([-Infinity, 1, 0, 0], [0, 1, 0, 0], { classes: 2, reduction: "none" });
    expect((r.loss as Float64Array)[0]).toBe(Infinity);
    expect(Number.isNaN(r.grad![0]!) && Number.isNaN(r.grad![1]!)).toBe(true);
    expect((r.loss as Float64Array)[1]).toBe(0);
    expect(distillation([-Infinity, 1], [0, 1], { classes: 2 }).loss).toBe(Infinity);
    // masked in both: teacher probability 0 there, finite
    const both = distillation([-Infinity, 1, 2], [-Infinity, 1, 2], { classes: 3 });
    expect(both.loss).toBe(0);
    expect(both.grad![0]).toBe(0);
  });

  it("the CE term's masked-target rule carries over", () => {
    const r = distillation([-Infinity, 1], [-Infinity, 1], { classes: 2, labels: new Int32Array([0]) });
    expect(r.loss).toBe(Infinity);
    expect(Number.isNaN(r.grad![1]!)).toBe(true);
  });

  it("without labels α must be 1", () => {
    expect(() => distillation([1, 2], [2, 1], { classes: 2, alpha: 0.5 })).toThrow(RangeError);
    expect(distillation([1, 2], [2, 1], { classes: 2, grad: false }).grad).toBeNull();
  });
});
