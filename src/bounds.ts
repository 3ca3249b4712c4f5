// softxent/bounds — bench-facing only. The two bare passes that the real kernels are measured
// against (issue 4, PERF-NOTES.md): `expBound` runs the kernels' own vector exp over the data, which
// is the compute bound of every softmax-family kernel (one exp per element); `scaleBound` reads and
// writes the data once, which is the memory bound. Neither is part of the library's API contract
// (SPEC.md); they exist so that a benchmark can report "time ÷ bound" from the same process, through
// the same memory module and the same staging as the real functions.
//
//   import { initSync, allocFloat32 } from "softxent";
//   import { expBound } from "softxent/bounds";
//   initSync();
//   const x = allocFloat32(n), out = allocFloat32(n);   // resident: the pure kernel is timed
//   expBound(x, out);

import { heap } from "./memory.js";
import { copyIn, deliver, place } from "./stage.js";
import type { Float32Input } from "./types.js";
import { checkNoOverlap, expectLength, f32Operand, failType, describe, type Operand } from "./validate.js";

type Pass = "expPass" | "scalePass";

function run(fn: string, pass: Pass, x: Float32Input, out: Float32Input, c: number): Float32Array {
  const h = heap(fn);
  const xs = f32Operand(fn, "x", x, h);
  const os: Operand<Float32Array> = f32Operand(fn, "out", out, h);
  expectLength(fn, "out", os.length, xs.length, "the length of x");
  const inPlace = os.source === xs.source || (os.copy === null && xs.copy === null && os.ptr === xs.ptr);
  if (!inPlace) checkNoOverlap(fn, os, "out", xs, "x");
  // All pointers first (a scratch allocation may grow memory), then the copy in.
  const xPtr = place(h, xs, "a");
  const oPtr = inPlace ? xPtr : os.copy === null ? os.ptr : xs.copy !== null ? xPtr : h.scratchPtr("g", xs.length * 4);
  copyIn(h, xs, xPtr);
  if (pass === "expPass") h.exports.expPass(xPtr, oPtr, xs.length);
  else h.exports.scalePass(xPtr, oPtr, xs.length, c);
  return deliver(h, oPtr, xs.length, inPlace && xs.copy !== null ? xs : os);
}

/**
 * Bench-only: `out[j] = exp(x[j])` with the same vector exp as the softmax kernels, for `x[j] ≤ 0`
 * (the softmax domain; larger inputs are outside the kernel's precondition). `x` and `out` are
 * Float32Arrays (copied in and out) or wasm-resident buffers (used in place); `out` may be `x`.
 * Returns the array holding the result (`out`, or its view when resident).
 */
export function expBound(x: Float32Input, out: Float32Input): Float32Array {
  return run("expBound", "expPass", x, out, 1);
}

/**
 * Bench-only: `out[j] = c·x[j]` — one read and one write per element, the memory bound. Same operand
 * rules as {@link expBound}.
 */
export function scaleBound(x: Float32Input, out: Float32Input, c: number): Float32Array {
  if (typeof c !== "number") failType("scaleBound", `c must be a number; received ${describe(c)}`);
  return run("scaleBound", "scalePass", x, out, c);
}
