/**
 * Property-based: crossEntropy against the f64 reference for random shapes (N = 0, K = 1, …),
 * every option, hostile values and every way of passing operands, on both builds, within docs/spec.md's
 * bounds. A failure shrinks to a minimal case; see test/helpers/fuzz.ts for long runs and replay.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { backendInfo, initSync } from "../../dist/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { FUZZ_TIMEOUT, fuzzParams } from "../helpers/fuzz.js";
import { ceCaseArb, gradBoundScale, referenceOf, runCrossEntropy, tag, type CeCase } from "../helpers/ce-case.js";

function checkAgainstReference(c: CeCase): void {
  const got = runCrossEntropy(c);
  const want = referenceOf(c);
  const what = tag(c);
  if (c.reduction === "none") {
    expect(got.loss, what).toBeInstanceOf(Float32Array);
    expectLosses(got.loss as Float32Array, want.loss as Float64Array, what);
  } else {
    expect(typeof got.loss, what).toBe("number");
    expectLoss(got.loss as number, want.loss as number, what);
  }
  if (!c.grad) {
    expect(got.grad, what).toBeNull();
    return;
  }
  expectGrad(got.grad!, want.grad!, gradBoundScale(c), what);
}

describe.each(BUILDS)("crossEntropy property vs reference — $name build", ({ simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().simd).toBe(simd);
  });

  it(
    "index targets: any shape, option and value, any way of passing operands",
    () => {
      fc.assert(fc.property(ceCaseArb({ kind: fc.constant("index") }), checkAgainstReference), fuzzParams(3000));
    },
    FUZZ_TIMEOUT,
  );

  it(
    "probability targets: any shape, option and value, any way of passing operands",
    () => {
      fc.assert(fc.property(ceCaseArb({ kind: fc.constant("prob") }), checkAgainstReference), fuzzParams(2000));
    },
    FUZZ_TIMEOUT,
  );
});
