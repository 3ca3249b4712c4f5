/**
 * Extreme values: temperatures near 0 and ∞, logit gaps beyond the f32 range, huge class weights.
 * Each either gets the f64 reference's answer or a RangeError naming the option (the documented
 * ranges of docs/non-finite.md); before the fixes each gave NaN, Infinity, or a wrong bound.
 */
import { describe, expect, it } from "vitest";
import * as sx from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import { BUILDS } from "../helpers/builds.js";

const { calibration, crossEntropy, distillation, fitTemperature, initSync, sigmoidCrossEntropy, softmax } = sx;

function rng(seed: number): () => number {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

for (const build of BUILDS) {
  describe(`extreme values (${build.name} build)`, () => {
    const r = rng(11);
    const N = 5,
      K = 7;
    const z = new Float32Array(N * K).map(() => (r() - 0.5) * 6);
    const t = new Float32Array(N * K).map(() => (r() - 0.5) * 6);
    z[3] = -Infinity; // a masked class
    z[K + 2] = z[K + 5] = 4; // tied maxima in row 1
    z[2 * K + 1] = NaN; // a NaN row

    it("softmax at T below 3e-39 (f32 1/T overflows): the reference's T → 0 answer, not NaN", () => {
      initSync({ simd: build.simd });
      for (const T of [2.5e-39, 1e-40, 1e-45, Number.MIN_VALUE]) {
        const got = softmax(z, { classes: K, temperature: T });
        const want = ref.softmax(z, { classes: K, temperature: T });
        for (let e = 0; e < N * K; e++) {
          if (Number.isNaN(want[e]!)) expect(got[e]).toBeNaN();
          else expect(Math.abs(got[e]! - want[e]!)).toBeLessThanOrEqual(1e-37 + 1e-6 * want[e]!);
        }
        expect(got[K + 2]).toBeCloseTo(0.5, 7); // tied maxima share the mass
        expect(got[3]).toBe(0); // masked
      }
      // in place and into a resident destination as well
      const b = sx.allocFloat32(N * K);
      b.view.set(z);
      softmax(b, { classes: K, temperature: 1e-40, out: b });
      expect(b.view[K + 5]).toBeCloseTo(0.5, 7);
      b.release();
    });

    it("calibration at T below 3e-39 (f32 1/T overflows): the reference's T → 0 metrics, not NaN", () => {
      initSync({ simd: build.simd });
      const zz = z.slice();
      zz[2 * K + 1] = 1; // no NaN row here: the metrics are finite
      const y = new Int32Array([0, 2, 1, 4, 3]);
      y[4] = zz.subarray(4 * K, 5 * K).indexOf(Math.max(...zz.subarray(4 * K, 5 * K))); // one hit
      for (const T of [1e-31, 2.5e-39, 1e-45, Number.MIN_VALUE]) {
        for (const binning of ["uniform", "quantile"] as const) {
          const got = calibration(zz, y, { classes: K, temperature: T, bins: 4, binning });
          const want = ref.calibration(zz, y, { classes: K, temperature: T, bins: 4, binning });
          for (const key of ["ece", "mce", "brier", "accuracy", "confidence"] as const) {
            expect(Math.abs(got[key] - want[key]), key).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[key])));
          }
          if (want.nll === Infinity)
            expect(got.nll).toBe(Infinity); // (m − z_y)/T overflows f64 at T = 5e-324
          else expect(Math.abs(got.nll - want.nll)).toBeLessThanOrEqual(1e-6 * want.nll);
          expect(got.bins.map((b) => b.count)).toEqual(want.bins.map((b) => b.count));
        }
      }
      // a NaN row and a masked label keep their rules
      const withNaN = calibration(z, new Int32Array(N), { classes: K, temperature: 1e-45 });
      expect(withNaN.ece).toBeNaN();
      const masked = calibration(z.subarray(0, K), new Int32Array([3]), { classes: K, temperature: 1e-45 });
      expect(masked.nll).toBe(Infinity);
      expect(() => calibration(z, new Int32Array([0, 0, 0, 0, K]), { classes: K, temperature: 1e-45 })).toThrowError(
        /labels\[4\] = 7 is out of range/,
      );
    });

    it("distillation: temperatures outside [1e-30, 1e16] are a RangeError naming the option; its edges are computed", () => {
      initSync({ simd: build.simd });
      const row = z.slice(0, K);
      for (const T of [1e-31, 1e-40, 1.1e16, 1e20, 1e40]) {
        expect(() => distillation(row, t.slice(0, K), { classes: K, temperature: T })).toThrowError(
          /softxent\.distillation: options\.temperature must be in \[1e-30, 1e16\]/,
        );
      }
      // the edges of the ranges are computed, to f32 accuracy against the f64 reference
      const tr = t.slice(0, K);
      const sr = new Float32Array(K).map(() => (r() - 0.5) * 6);
      for (const T of [1e-30, 1e-3, 1, 1e3, 1e8, 1e16]) {
        const got = distillation(sr, tr, { classes: K, temperature: T });
        const want = ref.distillation(sr, tr, { classes: K, temperature: T });
        expect(Math.abs((got.loss as number) - (want.loss as number))).toBeLessThanOrEqual(1e-5 * Math.abs(want.loss as number));
        const scale = Math.max(...Array.from(want.grad!, Math.abs));
        for (let j = 0; j < K; j++) expect(Math.abs(got.grad![j]! - want.grad![j]!)).toBeLessThanOrEqual(1e-5 * scale);
      }
    });

    it("fitTemperature with logit gaps beyond the f32 range: the reference's bound and NLLs", () => {
      initSync({ simd: build.simd });
      const cases: [Float32Array, Int32Array, number][] = [
        [new Float32Array([3e38, -3e38, 0, 1]), new Int32Array([1, 1]), 2],
        [new Float32Array([3e38, -3e38, 1, 0, 2, -1]), new Int32Array([0, 0, 1]), 2],
        [new Float32Array([-3.4e38, 3.4e38, 5, 1, 0, 1, 2, 3, 3e38]), new Int32Array([1, 2, 0]), 3],
        [new Float32Array([2e38, -2e38, 1e38, 0.5, 0.25, 0]), new Int32Array([2, 0]), 3],
        [new Float32Array([1e13, 0, -Infinity, 1, 2, 0.5, 0, 0.25, 0.5]), new Int32Array([0, 1, 2]), 3],
        // the one large logit in the scan's second vector, and in its scalar tail (after eight)
        [new Float32Array([0.5, 1, 2, 0, 0.25, -2e13, 1, 0, 0.75]), new Int32Array([0, 1, 2]), 3],
        [new Float32Array([0.5, 1, 2, 0, 0.25, 0.5, 1, 0, 1e13]), new Int32Array([0, 1, 2]), 3],
      ];
      for (const [zz, yy, k] of cases) {
        const got = fitTemperature(zz, yy, { classes: k });
        const want = ref.fitTemperature(zz, yy, { classes: k });
        expect(got.atBound).toBe(want.atBound);
        // β lives on the f32 grid: the temperatures agree to f32 resolution
        expect(Math.abs(got.temperature - want.temperature)).toBeLessThanOrEqual(1e-6 * want.temperature);
        expect(Math.abs(got.nllBefore - want.nllBefore)).toBeLessThanOrEqual(1e-6 * want.nllBefore);
        expect(Math.abs(got.nllAfter - want.nllAfter)).toBeLessThanOrEqual(1e-6 * Math.max(1e-30, want.nllAfter));
      }
    });

    it("class weights and posWeight above 1e30 are a RangeError naming the index; 1e30 itself matches the reference", () => {
      initSync({ simd: build.simd });
      const zz = new Float32Array([1, 2, 3, 0, 0, 5, 2, -1, 0]),
        yy = new Int32Array([0, 2, 1]);
      for (const w of [
        [3e38, 1, 1],
        [1, 1.1e30, 1],
      ]) {
        expect(() => crossEntropy(zz, yy, { classes: 3, classWeights: new Float32Array(w) })).toThrowError(
          /softxent\.crossEntropy: classWeights\[\d\] = .*weights must be ≤ 1e\+?30/,
        );
        expect(() => sigmoidCrossEntropy(zz, new Float32Array(9).fill(0.5), { classes: 3, posWeight: new Float32Array(w) })).toThrowError(
          /softxent\.sigmoidCrossEntropy: posWeight\[\d\] = /,
        );
      }
      for (const reduction of ["mean", "sum", "none"] as const) {
        for (const smoothing of [0, 0.1]) {
          const w = new Float32Array([1e30, 1, 3]);
          const got = crossEntropy(zz, yy, { classes: 3, classWeights: w, reduction, smoothing });
          const want = ref.crossEntropy(zz, yy, { classes: 3, classWeights: w, reduction, smoothing });
          const g = reduction === "none" ? Array.from(got.loss as Float32Array) : [got.loss as number];
          const wv = reduction === "none" ? Array.from(want.loss as Float64Array) : [want.loss as number];
          g.forEach((v, i) => expect(Math.abs(v - wv[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(wv[i]!)));
        }
      }
    });
  });
}
