/**
 * Property-based: smoothTargets against the f64 reference, any labels (ignored rows, ignoreIndex
 * inside [0, K)), ε and mode, with and without `out` (plain or wasm-resident), on both builds.
 * Bound: |a − r| ≤ 3e-7·r (a few f32 roundings of a value ≤ 1); exact zeros stay exactly 0.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { backendInfo, initSync } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { FUZZ_TIMEOUT, fuzzParams } from "../helpers/fuzz.js";
import { runSmooth, smoothCaseArb, smoothOptions } from "../helpers/smooth-case.js";

describe.each(BUILDS)("smoothTargets properties vs reference — $name build", ({ simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().simd).toBe(simd);
  });

  it(
    "matches the reference for any labels, ε and mode",
    () => {
      fc.assert(
        fc.property(smoothCaseArb, (c) => {
          const got = runSmooth(c);
          const want = ref.smoothTargets(Int32Array.from(c.labels), smoothOptions(c));
          expect(got.length).toBe(want.length);
          for (let e = 0; e < want.length; e++) {
            const r = want[e]!,
              a = got[e]!;
            if (r === 0 ? a !== 0 : !(Math.abs(a - r) <= 3e-7 * r)) {
              expect.fail(`q[${Math.floor(e / c.k)}][${e % c.k}] = ${a}, reference ${r}`);
            }
          }
        }),
        fuzzParams(3000),
      );
    },
    FUZZ_TIMEOUT,
  );
});
