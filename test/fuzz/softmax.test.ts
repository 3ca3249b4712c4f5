/**
 * Property-based: logSoftmax and softmax (with temperature) against the f64 reference, any shape and
 * value, every way of passing operands (copy, out, in place, wasm-resident), on both builds.
 *   logSoftmax: |a − r| ≤ 1e-6·max(1, |r|)          (docs/spec.md's loss bound, per element)
 *   softmax:    |a − r| ≤ 5e-7                       (docs/spec.md's gradient bound; p ≤ 1)
 * Non-finite reference values (−Infinity for masked classes, NaN rows) must match exactly.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { allocFloat32, backendInfo, initSync, logSoftmax, softmax, type WasmBuffer } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLosses } from "../helpers/compare.js";
import {
  FUZZ_TIMEOUT,
  classesArb,
  flatten,
  fuzzParams,
  logitRowArb,
  profileArb,
  rowsArb,
  uniformBetween,
  type Profile,
} from "../helpers/fuzz.js";

type OutMode = "copy" | "out" | "inPlace" | "resident" | "residentOut" | "residentInPlace";

interface SoftmaxCase {
  k: number;
  profile: Profile;
  rows: number[][];
  /** undefined: option left out (T = 1). */
  temperature: number | undefined;
  mode: OutMode;
}

const temperatureArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(1) },
  { weight: 2, arbitrary: uniformBetween(0.05, 20) },
);

const caseArb: fc.Arbitrary<SoftmaxCase> = fc.record({ k: classesArb, profile: profileArb }).chain(({ k, profile }) =>
  fc.record({
    k: fc.constant(k),
    profile: fc.constant(profile),
    rows: rowsArb(k, logitRowArb(k, profile)),
    temperature: temperatureArb,
    mode: fc.constantFrom<OutMode>("copy", "out", "inPlace", "resident", "residentOut", "residentInPlace"),
  }),
);

/** Runs logSoftmax or softmax on a case in its mode; returns a copy of the result. */
function run(c: SoftmaxCase, log: boolean): Float32Array {
  const z = flatten(c.rows, c.k);
  const options: Record<string, unknown> = { classes: c.k };
  if (!log && c.temperature !== undefined) options.temperature = c.temperature;
  const fn = (x: Float32Array | WasmBuffer<Float32Array>, o: Record<string, unknown>) =>
    log ? logSoftmax(x, o as never) : softmax(x, o as never);
  const buffers: WasmBuffer<Float32Array>[] = [];
  const resident = (src: Float32Array): WasmBuffer<Float32Array> => {
    const b = allocFloat32(src.length);
    buffers.push(b);
    b.view.set(src);
    return b;
  };
  try {
    switch (c.mode) {
      case "copy":
        return fn(z, options);
      case "out": {
        const out = new Float32Array(z.length).fill(7);
        const r = fn(z, { ...options, out });
        expect(r).toBe(out);
        return out.slice();
      }
      case "inPlace": {
        const r = fn(z, { ...options, out: z });
        expect(r).toBe(z);
        return z.slice();
      }
      case "resident":
        return fn(resident(z), options);
      case "residentOut": {
        const zb = resident(z);
        const ob = resident(new Float32Array(z.length).fill(7));
        const r = fn(zb, { ...options, out: ob });
        expect(r).toBe(ob.view);
        return ob.view.slice();
      }
      case "residentInPlace": {
        const zb = resident(z);
        const r = fn(zb, { ...options, out: zb });
        expect(r).toBe(zb.view);
        return zb.view.slice();
      }
      default:
        throw new Error(`unknown mode ${String(c.mode satisfies never)}`);
    }
  } finally {
    for (const b of buffers) b.release();
  }
}

describe.each(BUILDS)("logSoftmax / softmax properties vs reference — $name build", ({ simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().simd).toBe(simd);
  });

  it(
    "logSoftmax matches the reference for any shape and value",
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const want = ref.logSoftmax(flatten(c.rows, c.k), { classes: c.k });
          expectLosses(run(c, true), want, `logSoftmax K=${c.k} ${c.profile} ${c.mode}`);
        }),
        fuzzParams(2000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "softmax (with temperature) matches the reference for any shape and value",
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const want = ref.softmax(flatten(c.rows, c.k), { classes: c.k, temperature: c.temperature ?? 1 });
          expectGrad(run(c, false), want, 1, `softmax K=${c.k} T=${c.temperature} ${c.profile} ${c.mode}`);
        }),
        fuzzParams(2000),
      );
    },
    FUZZ_TIMEOUT,
  );
});
