/**
 * A random smoothTargets case for the property suites (labels with ignored rows, ignoreIndex
 * possibly inside [0, K), ε, mode, and how `out` is passed), and a runner through the public API.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { allocFloat32, allocInt32, smoothTargets } from "../../dist/index.js";
import { classesArb, maxRows, rowsArb, smoothingArb, smoothingModeArb } from "./fuzz.js";

export interface SmoothCase {
  k: number;
  labels: number[];
  smoothing: number;
  smoothingMode: "uniform" | "others" | undefined;
  ignoreIndex: number | undefined;
  mode: "copy" | "out" | "resident";
}

export const smoothCaseArb: fc.Arbitrary<SmoothCase> = fc
  .record({ k: classesArb, ignoreIndex: fc.option(fc.integer({ min: -3, max: 12 }), { nil: undefined, freq: 3 }) })
  .chain(({ k, ignoreIndex }) =>
    fc.record({
      k: fc.constant(k),
      ignoreIndex: fc.constant(ignoreIndex),
      labels: rowsArb(
        k,
        fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: k - 1 }) }, { weight: 1, arbitrary: fc.constant(ignoreIndex ?? -100) }),
        2 * maxRows(k),
      ),
      smoothing: smoothingArb,
      smoothingMode: fc.option(smoothingModeArb, { nil: undefined }),
      mode: fc.constantFrom("copy" as const, "out" as const, "resident" as const),
    }),
  );

export function smoothOptions(c: SmoothCase): {
  classes: number;
  smoothing: number;
  smoothingMode?: "uniform" | "others";
  ignoreIndex?: number;
} {
  return {
    classes: c.k,
    smoothing: c.smoothing,
    ...(c.smoothingMode !== undefined ? { smoothingMode: c.smoothingMode } : {}),
    ...(c.ignoreIndex !== undefined ? { ignoreIndex: c.ignoreIndex } : {}),
  };
}

export function runSmooth(c: SmoothCase): Float32Array {
  const y = Int32Array.from(c.labels);
  const o = smoothOptions(c);
  if (c.mode === "copy") return smoothTargets(y, o);
  if (c.mode === "out") {
    const out = new Float32Array(y.length * c.k).fill(9);
    expect(smoothTargets(y, { ...o, out })).toBe(out);
    return out;
  }
  const yb = allocInt32(y.length);
  const ob = allocFloat32(y.length * c.k);
  try {
    yb.view.set(y);
    ob.view.fill(9);
    expect(smoothTargets(yb, { ...o, out: ob })).toBe(ob.view);
    return ob.view.slice();
  } finally {
    yb.release();
    ob.release();
  }
}
