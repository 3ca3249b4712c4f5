import { describe, it, expect } from "vitest";
import { logSoftmax, smoothTargets, softmax } from "../../src/reference/index.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";

describe("softmax / logSoftmax", () => {
  it("K = 2 by hand: softmax([0, ln 3]) = [1/4, 3/4]", () => {
    const p = softmax([0, Math.log(3)], { classes: 2 });
    expect(Math.abs(p[0]! - 0.25)).toBeLessThan(1e-16);
    expect(Math.abs(p[1]! - 0.75)).toBeLessThan(1e-16);
    const l = logSoftmax([0, Math.log(3)], { classes: 2 });
    expect(Math.abs(l[0]! - Math.log(0.25))).toBeLessThan(1e-15);
    expect(Math.abs(l[1]! - Math.log(0.75))).toBeLessThan(1e-15);
  });

  it("temperature: softmax(z, T) = softmax(z / T)", () => {
    const p = softmax([0, 2 * Math.log(3)], { classes: 2, temperature: 2 });
    expect(Math.abs(p[0]! - 0.25)).toBeLessThan(1e-15);
    expect(Math.abs(p[1]! - 0.75)).toBeLessThan(1e-15);
  });

  it("rows sum to 1 and logSoftmax = log(softmax) on random data", () => {
    const rng = mulberry32(5);
    const z = randomLogits(rng, 20, 17, 5, 0);
    const p = softmax(z, { classes: 17 });
    const l = logSoftmax(z, { classes: 17 });
    for (let i = 0; i < 20; i++) {
      let s = 0;
      for (let j = 0; j < 17; j++) {
        s += p[i * 17 + j]!;
        expect(Math.abs(Math.log(p[i * 17 + j]!) - l[i * 17 + j]!)).toBeLessThan(1e-13);
      }
      expect(Math.abs(s - 1)).toBeLessThan(1e-14);
    }
  });

  it("subtracts the max first: offset 1e7 keeps full precision", () => {
    const l = logSoftmax([1e7 + 1, 1e7 + 2, 1e7 + 3], { classes: 3 });
    const c = Math.log(1 + Math.exp(-1) + Math.exp(-2));
    expect(Math.abs(l[0]! - (-2 - c))).toBeLessThan(1e-14);
    expect(Math.abs(l[1]! - (-1 - c))).toBeLessThan(1e-14);
    expect(Math.abs(l[2]! - -c)).toBeLessThan(1e-14);
  });

  it("masked classes give −Infinity / 0; the others are the softmax of the rest", () => {
    const l = logSoftmax([0, -Infinity, Math.log(3)], { classes: 3 });
    const p = softmax([0, -Infinity, Math.log(3)], { classes: 3 });
    expect(l[1]).toBe(-Infinity);
    expect(p[1]).toBe(0);
    expect(Math.abs(p[0]! - 0.25)).toBeLessThan(1e-16);
    expect(Math.abs(p[2]! - 0.75)).toBeLessThan(1e-16);
  });

  it("a row with every class masked, or holding NaN or +Infinity, is all NaN; other rows unaffected", () => {
    for (const row of [
      [-Infinity, -Infinity],
      [NaN, 1],
      [Infinity, 1],
      [Infinity, -Infinity],
    ]) {
      const z = [...row, 0, 0];
      for (const out of [softmax(z, { classes: 2 }), logSoftmax(z, { classes: 2 })]) {
        expect(out[0]).toBeNaN();
        expect(out[1]).toBeNaN();
        expect(Number.isFinite(out[2]!)).toBe(true);
      }
      expect(softmax(z, { classes: 2 })[3]).toBe(0.5);
    }
  });
});

describe("smoothTargets", () => {
  it("uniform and 'others' by hand, ignored rows 0", () => {
    const labels = new Int32Array([2, -100, 0]);
    const u = smoothTargets(labels, { classes: 4, smoothing: 0.2 });
    expect(Array.from(u)).toEqual([0.05, 0.05, 0.8 + 0.05, 0.05, 0, 0, 0, 0, 0.8 + 0.05, 0.05, 0.05, 0.05]);
    const o = smoothTargets(labels, { classes: 4, smoothing: 0.3, smoothingMode: "others" });
    const expected = [0.1, 0.1, 0.7, 0.1, 0, 0, 0, 0, 0.7, 0.1, 0.1, 0.1];
    expect(o.length).toBe(expected.length);
    expected.forEach((v, e) => expect(Math.abs(o[e]! - v)).toBeLessThan(1e-16));
  });

  it("a custom ignoreIndex, and K = 1 (q_y = 1 in both modes)", () => {
    expect(Array.from(smoothTargets([1, 9], { classes: 2, smoothing: 0.5, ignoreIndex: 9 }))).toEqual([0.25, 0.75, 0, 0]);
    expect(Array.from(smoothTargets([0, 0], { classes: 1, smoothing: 0.3 }))).toEqual([1, 1]);
    expect(Array.from(smoothTargets([0], { classes: 1, smoothing: 0.3, smoothingMode: "others" }))).toEqual([1]);
  });

  it("each non-ignored row sums to 1", () => {
    const q = smoothTargets([0, 3, 4], { classes: 5, smoothing: 0.37, smoothingMode: "others" });
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += q[i * 5 + j]!;
      expect(Math.abs(s - 1)).toBeLessThan(1e-15);
    }
  });
});
