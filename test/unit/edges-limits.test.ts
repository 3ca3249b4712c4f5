/**
 * Resource limits: a documented cap for calibration's `bins`, and nothing proportional to `classes`
 * for an empty batch (facade and reference), so neither a huge option nor an empty input can exhaust
 * the JS heap or grow wasm memory.
 */
import { describe, expect, it } from "vitest";
import * as sx from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import { BUILDS } from "../helpers/builds.js";

const { backendInfo, calibration, crossEntropy, distillation, initSync } = sx;

for (const build of BUILDS) {
  describe(`resource limits (${build.name} build)`, () => {
    it("calibration: bins is capped at 65536 with a RangeError naming the option; the library keeps working", () => {
      initSync({ simd: build.simd });
      const z = new Float32Array([2, 0, 0, 1]),
        y = new Int32Array([0, 1]);
      expect(() => calibration(z, y, { classes: 2, bins: 65537 })).toThrowError(
        /softxent\.calibration: options\.bins must be an integer in \[1, 65536\]; received 65537/,
      );
      expect(() => calibration(z, y, { classes: 2, bins: 2 ** 31 - 1 })).toThrowError(RangeError);
      expect(() => calibration(z, y, { classes: 2, bins: 2 ** 31 - 1, binning: "quantile" })).toThrowError(RangeError);
      expect(calibration(z, y, { classes: 2, bins: 65536 }).bins.length).toBe(65536);
      const want = ref.calibration(z, y, { classes: 2, bins: 4 });
      expect(calibration(z, y, { classes: 2, bins: 4 }).ece).toBeCloseTo(want.ece, 6);
    });

    it("an empty batch with classes = 2^31 − 1 allocates nothing and answers as an empty batch", () => {
      initSync({ simd: build.simd });
      const K = 2 ** 31 - 1;
      const e = new Float32Array(0),
        y = new Int32Array(0);
      const before = backendInfo().memoryBytes;
      expect(crossEntropy(e, y, { classes: K, grad: false })).toEqual({ loss: 0, grad: null });
      expect(crossEntropy(e, y, { classes: K, reduction: "none", smoothing: 0.1 }).loss).toEqual(new Float32Array(0));
      expect(distillation(e, e, { classes: K })).toEqual({ loss: 0, grad: new Float32Array(0) });
      expect(distillation(e, e, { classes: K, labels: y, alpha: 0.3 }).loss).toBe(0);
      const c = calibration(e, y, { classes: K, bins: 3 });
      expect([c.ece, c.brier, c.nll, c.bins.length]).toEqual([0, 0, 0, 3]);
      expect(sx.fitTemperature(e, y, { classes: K }).temperature).toBe(1);
      expect(sx.smoothTargets(y, { classes: K, smoothing: 0.1 })).toEqual(new Float32Array(0));
      expect(backendInfo().memoryBytes).toBe(before);
    });
  });
}

describe("reference limits", () => {
  it("smoothTargets with empty labels and classes = 2^31 − 1 returns an empty matrix at once", () => {
    expect(ref.smoothTargets(new Int32Array(0), { classes: 2 ** 31 - 1, smoothing: 0.1 })).toEqual(new Float64Array(0));
  });
});
