/**
 * Pins every statement of docs/non-finite.md, on both builds, and checks each case against the
 * f64 reference too.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { crossEntropy, distillation, initSync, logSoftmax, softmax } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";

const F = (a: number[]) => new Float32Array(a);
const I = (a: number[]) => new Int32Array(a);

function row(g: Float32Array, i: number, k: number): number[] {
  return Array.from(g.subarray(i * k, (i + 1) * k));
}

describe.each(BUILDS)("non-finite policy — $name build", ({ simd }) => {
  beforeAll(() => initSync({ simd }));

  // Row 0 is a clean reference row; the others each hold one kind of non-finite input.
  const k = 3;
  const z = F([
    1,
    2,
    3, //          0 clean
    NaN,
    2,
    3, //        1 NaN logit
    1,
    Infinity,
    3, //   2 +Infinity logit
    -Infinity,
    2,
    3, //  3 masked non-target class
    1,
    -Infinity,
    3, //  4 masked target class
    -Infinity,
    -Infinity,
    -Infinity, // 5 every class masked
    NaN,
    -Infinity,
    3, // 6 NaN with −Infinity
  ]);
  const y = I([0, 0, 0, 1, 1, 2, 1]);

  it("per row: NaN/+Inf → NaN row; masked class → 0 there; masked target / all masked → +Inf loss, NaN gradient", () => {
    const o = { classes: k, smoothing: 0.2, reduction: "none" } as const;
    const r = crossEntropy(z, y, o);
    const want = ref.crossEntropy(z, y, o);
    expectLosses(r.loss, want.loss as Float64Array);
    expectGrad(r.grad!, want.grad!, 1);
    const L = r.loss;
    expect(Number.isFinite(L[0]!) && Number.isFinite(L[3]!)).toBe(true);
    expect(L[1]).toBeNaN();
    expect(L[2]).toBeNaN();
    expect(L[4]).toBe(Infinity);
    expect(L[5]).toBe(Infinity);
    expect(L[6]).toBeNaN();
    for (const i of [1, 2, 4, 5, 6]) expect(row(r.grad!, i, k).every(Number.isNaN), `row ${i}`).toBe(true);
    expect(row(r.grad!, 3, k)[0]).toBe(0); // masked class: gradient exactly 0
    expect(row(r.grad!, 3, k).slice(1).every(Number.isFinite)).toBe(true);
    // other rows unaffected: row 0 and row 3 are what they are alone
    const alone0 = crossEntropy(z.slice(0, 3), I([0]), o);
    const alone3 = crossEntropy(z.slice(9, 12), I([1]), o);
    expect(L[0]).toBe(alone0.loss[0]);
    expect(L[3]).toBe(alone3.loss[0]);
  });

  it("smoothing puts no mass on a masked class: ε/K' over the unmasked classes", () => {
    const zz = F([-Infinity, 1, 2]);
    for (const mode of ["uniform", "others"] as const) {
      const r = crossEntropy(zz, I([1]), { classes: 3, smoothing: 0.3, smoothingMode: mode, reduction: "sum" });
      // K' = 2: 'uniform' q = (0.85, 0.15 on class 2); 'others' q = (0.7, 0.3)
      const q1 = mode === "uniform" ? 0.7 + 0.3 / 2 : 0.7;
      const l1 = 1 - 2 - Math.log(Math.exp(-1) + 1),
        l2 = -Math.log(Math.exp(-1) + 1);
      expectLoss(r.loss, -(q1 * l1 + (1 - q1) * l2));
      expect(r.grad![0]).toBe(0);
    }
  });

  it("ignored rows are 0 (loss and gradient) whatever their logits", () => {
    const bad = F([NaN, Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 1, 2, 3]);
    for (const reduction of ["none", "sum", "mean"] as const) {
      const r = crossEntropy(bad, I([7, 7, 0]), { classes: 3, ignoreIndex: 7, reduction, smoothing: 0.1 });
      expect(row(r.grad!, 0, 3)).toEqual([0, 0, 0]);
      expect(row(r.grad!, 1, 3)).toEqual([0, 0, 0]);
      expect(row(r.grad!, 2, 3).every(Number.isFinite)).toBe(true);
      const want = ref.crossEntropy(bad, I([7, 7, 0]), { classes: 3, ignoreIndex: 7, reduction, smoothing: 0.1 });
      if (reduction === "none") {
        expect(Array.from(r.loss as Float32Array).slice(0, 2)).toEqual([0, 0]);
        expectLosses(r.loss as Float32Array, want.loss as Float64Array);
      } else expectLoss(r.loss as number, want.loss as number);
    }
  });

  it("reductions: NaN if any counted row is NaN, +Infinity if any is +Infinity; other gradient rows stay right", () => {
    const nanRow = crossEntropy(F([NaN, 1, 1, 2]), I([0, 1]), { classes: 2 });
    expect(nanRow.loss).toBeNaN();
    const infRow = crossEntropy(F([-Infinity, 1, 1, 2]), I([0, 1]), { classes: 2, reduction: "sum" });
    expect(infRow.loss).toBe(Infinity);
    const clean = crossEntropy(F([1, 2]), I([1]), { classes: 2 });
    // the clean row alone is right (judged by the reference), and the rows beside NaN/+Inf equal it
    expectGrad(clean.grad!, ref.crossEntropy(F([1, 2]), I([1]), { classes: 2 }).grad!, 1);
    expect(row(nanRow.grad!, 1, 2)).toEqual(Array.from(clean.grad!).map((v) => Math.fround(v / 2)));
    expect(row(infRow.grad!, 1, 2)).toEqual(Array.from(clean.grad!));
  });

  it("probability targets: all-masked row → NaN; NaN target → NaN row; +Inf target → +Inf loss; masked-class targets ignored; negatives used as given", () => {
    const o = { classes: 3, reduction: "none" } as const;
    const zz = F([-Infinity, -Infinity, -Infinity, 1, 2, 3, 1, 2, 3, -Infinity, 2, 3, 1, 2, 3]);
    const t = F([0.2, 0.3, 0.5, NaN, 0.5, 0.5, Infinity, 0.5, 0.5, NaN, 0.5, 0.5, -1, 0.5, 0.5]);
    const r = crossEntropy(zz, t, o);
    const want = ref.crossEntropy(zz, t, o);
    expectLosses(r.loss, want.loss as Float64Array);
    expectGrad(r.grad!, want.grad!, 1);
    expect(r.loss[0]).toBeNaN();
    expect(r.loss[1]).toBeNaN();
    expect(r.loss[2]).toBe(Infinity);
    expect(Number.isFinite(r.loss[3]!)).toBe(true); // the NaN sits on a masked class
    expect(r.grad![9]).toBe(0);
    expect(r.loss[4]).toBeLessThan(0); // t = (−1, 0.5, 0.5): not a probability, used as given
    for (const i of [0, 1]) expect(row(r.grad!, i, 3).every(Number.isNaN)).toBe(true);
    expect(row(r.grad!, 2, 3).some((v) => !Number.isFinite(v))).toBe(true);
  });

  it("class weights that are NaN, ±Infinity or negative are a RangeError naming index and value; −0 and 0 are fine", () => {
    for (const bad of [NaN, Infinity, -Infinity, -1, -1e-30]) {
      expect(() => crossEntropy(F([1, 2, 3]), I([0]), { classes: 3, classWeights: F([1, bad, 1]) })).toThrow(RangeError);
      expect(() => crossEntropy(F([1, 2, 3]), I([0]), { classes: 3, classWeights: F([1, bad, 1]) })).toThrow(
        `classWeights[1] = ${Math.fround(bad)}`,
      );
      expect(() => crossEntropy(F([1, 2, 3]), F([0, 1, 0]), { classes: 3, classWeights: F([1, bad, 1]) })).toThrow(RangeError);
    }
    const zeroD = crossEntropy(F([1, 2, 3, 4, 5, 6]), I([0, 0]), { classes: 3, classWeights: F([-0, 1, 1]) });
    expect(zeroD.loss).toBe(0); // D = 0
    expect(Array.from(zeroD.grad!).every((v) => v === 0)).toBe(true);
  });

  it("logSoftmax / softmax: masked → −Infinity / 0; NaN, +Infinity or all-masked rows are all NaN", () => {
    const zz = F([-Infinity, 0, 1, NaN, 1, 2, 1, Infinity, 0, -Infinity, -Infinity, -Infinity]);
    const ls = logSoftmax(zz, { classes: 3 });
    const sm = softmax(zz, { classes: 3, temperature: 2 });
    expectLosses(ls, ref.logSoftmax(zz, { classes: 3 }));
    expectGrad(sm, ref.softmax(zz, { classes: 3, temperature: 2 }), 1);
    expect(ls[0]).toBe(-Infinity);
    expect(sm[0]).toBe(0);
    for (const i of [1, 2, 3]) {
      expect(row(ls, i, 3).every(Number.isNaN), `logSoftmax row ${i}`).toBe(true);
      expect(row(sm, i, 3).every(Number.isNaN), `softmax row ${i}`).toBe(true);
    }
  });

  it("distillation: NaN/+Inf in student or teacher → NaN row; a masked teacher class contributes 0; ignored rows are 0", () => {
    const s = F([NaN, 1, 1, 2, 0, 1, 0, 1, 0, 1]);
    const t = F([1, 1, 1, 2, -Infinity, 1, Infinity, 0, NaN, NaN]);
    const labels = I([0, 1, 1, 0, -100]);
    const o = { classes: 2, reduction: "none", labels, alpha: 0.7, temperature: 2 } as const;
    const r = distillation(s, t, o);
    const want = ref.distillation(s, t, o);
    expectLosses(r.loss as Float32Array, want.loss as Float64Array);
    expectGrad(r.grad!, want.grad!, 1);
    const L = r.loss as Float32Array;
    expect(L[0]).toBeNaN();
    expect(Number.isFinite(L[1]!) && Number.isFinite(L[2]!)).toBe(true);
    expect(L[3]).toBeNaN();
    expect(L[4]).toBe(0);
    expect(row(r.grad!, 4, 2)).toEqual([0, 0]);
    for (const i of [0, 3]) expect(row(r.grad!, i, 2).every(Number.isNaN)).toBe(true);
  });
});
