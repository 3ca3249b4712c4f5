/**
 * The reference at its edges: distillation at large temperatures keeps its digits (T²·KL → ½·Var(t − s)),
 * and the values are judged by an independent computation — Python's `decimal` at 90 significant
 * digits (KL = Σ pt·(log pt − log ps) evaluated literally), whose outputs are pasted below.
 */
import { describe, expect, it } from "vitest";
import { distillation, softmax, smoothTargets } from "../../src/reference/index.js";
import { numericGradient, expectGradClose } from "../helpers/reference-fd.js";

// [student, teacher, T, T²·KL, T·(ps − pt)] from decimal arithmetic at 90 digits.
const CASES: [number[], number[], number, number, number[]][] = [
  [[0, 1, 2], [2, 1, 0], 1, 1.1504207652088829, [-0.57521038260444146, 0, 0.57521038260444146]],
  [[0, 1, 2], [2, 1, 0], 3, 1.3092218847051016, [-0.6546109423525508, 0, 0.6546109423525508]],
  [[0, 1, 2], [2, 1, 0], 1e3, 1.3333331111111593, [-0.66666655555557963, 0, 0.66666655555557963]],
  [[0, 1, 2], [2, 1, 0], 1e8, 1.3333333333333333, [-0.66666666666666663, 0, 0.66666666666666663]],
  [[0, 1, 2], [2, 1, 0], 1e15, 1.3333333333333333, [-0.66666666666666663, 0, 0.66666666666666663]],
  [[0, 1, 2], [2, 1, 0], 1e30, 1.3333333333333333, [-0.66666666666666663, 0, 0.66666666666666663]],
  [
    [0.5, -1.25, 3, 0.125],
    [1, 0.75, -2, 2.5],
    1,
    2.2733805662864945,
    [-0.087264620504779636, -0.11104391920523582, 0.85958937608179631, -0.66128083637178081],
  ],
  [
    [0.5, -1.25, 3, 0.125],
    [1, 0.75, -2, 2.5],
    3,
    3.5398475500191506,
    [-0.12936010759387243, -0.34806396803979789, 1.1755007392539776, -0.69807666362030718],
  ],
  [
    [0.5, -1.25, 3, 0.125],
    [1, 0.75, -2, 2.5],
    1e3,
    4.3586198845505022,
    [-0.13280005795652441, -0.50735652407955456, 1.2421252840798085, -0.60196870204372954],
  ],
  [
    [0.5, -1.25, 3, 0.125],
    [1, 0.75, -2, 2.5],
    1e8,
    4.3608398215670778,
    [-0.13281249987548829, -0.50781249544189455, 1.2421874993823241, -0.60156250406494138],
  ],
  [
    [0.5, -1.25, 3, 0.125],
    [1, 0.75, -2, 2.5],
    1e15,
    4.3608398437499982,
    [-0.1328125, -0.50781249999999956, 1.2421875, -0.60156250000000044],
  ],
  [[0.5, -1.25, 3, 0.125], [1, 0.75, -2, 2.5], 1e30, 4.36083984375, [-0.1328125, -0.5078125, 1.2421875, -0.6015625]],
];

describe("reference distillation at large temperatures", () => {
  for (const [s, t, T, loss, grad] of CASES) {
    it(`K = ${s.length}, T = ${T}: loss and gradient within 1e-13 of the 90-digit value`, () => {
      const r = distillation(s, t, { classes: s.length, temperature: T });
      expect(Math.abs((r.loss as number) - loss)).toBeLessThanOrEqual(1e-13 * loss);
      for (let j = 0; j < s.length; j++) expect(Math.abs(r.grad![j]! - grad[j]!)).toBeLessThanOrEqual(1e-13);
    });
  }

  it("T = 1e200 (T² overflows f64): still the limit ½·Var(t − s), finite", () => {
    const r = distillation([0, 1, 2], [2, 1, 0], { classes: 3, temperature: 1e200 });
    expect(r.loss).toBeCloseTo(4 / 3, 15);
  });

  it("a teacher that masks a class the student keeps: T²·(−log P) grows with T, exactly", () => {
    // teacher [0, −∞]: pt = (1, 0); student [0, 0]: ps = (½, ½) at every T → T²·KL = T²·log 2.
    for (const T of [1, 10, 1e4]) {
      const r = distillation([0, 0], [0, -Infinity], { classes: 2, temperature: T });
      expect(Math.abs((r.loss as number) - T * T * Math.LN2)).toBeLessThanOrEqual(1e-15 * T * T);
      // T·(ps − pt) = T·(−½, ½)
      expect(Math.abs(r.grad![0]! + T / 2)).toBeLessThanOrEqual(1e-15 * T);
      expect(Math.abs(r.grad![1]! - T / 2)).toBeLessThanOrEqual(1e-15 * T);
    }
  });

  it("the gradient matches central finite differences at T = 50 and T = 1e3 (loss and gradient agree)", () => {
    const s = [0.5, -1.25, 3, 0.125, 1, 2, -1, 0],
      t = [1, 0.75, -2, 2.5, -Infinity, 0, 1, 2];
    for (const temperature of [50, 1e3]) {
      const r = distillation(s, t, { classes: 4, temperature, labels: [2, 1], alpha: 0.7 });
      const f = (x: Float64Array) =>
        distillation(x, t, { classes: 4, temperature, labels: [2, 1], alpha: 0.7, grad: false }).loss as number;
      expectGradClose(r.grad, numericGradient(f, s), 1e-6);
    }
  });
});

describe("reference softmax at tiny temperatures", () => {
  it("T = 1e-45 with positive logits: (z − m)/T, not z/T − m/T (which overflowed to a NaN row)", () => {
    const p = softmax([3, 1, 3, -Infinity, 2.5], { classes: 5, temperature: 1e-45 });
    expect(Array.from(p)).toEqual([0.5, 0, 0.5, 0, 0]);
    const q = softmax([1e-44, 0], { classes: 2, temperature: 1e-44 }); // a subnormal gap: e/(1+e)
    expect(q[0]).toBeCloseTo(Math.E / (1 + Math.E), 6);
  });
});

describe("reference smoothTargets limits", () => {
  it("empty labels with classes = 2^31 − 1: an empty matrix, nothing proportional to K", () => {
    expect(smoothTargets(new Int32Array(0), { classes: 2 ** 31 - 1, smoothing: 0.1 })).toEqual(new Float64Array(0));
  });
});
