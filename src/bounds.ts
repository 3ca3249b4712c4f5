// softxent/bounds — bench-facing only. The two bare passes that the real kernels are measured
// against (docs/performance.md): `expBound` runs the kernels' own vector exp over the data, which
// is the compute bound of every softmax-family kernel (one exp per element); `scaleBound` reads and
// writes the data once, which is the memory bound. Neither is part of the library's API contract
// (docs/spec.md); they exist so that a benchmark can report "time ÷ bound" from the same process, through
// the same memory module and the same staging as the real functions. `crossEntropyKernel` is the
// third reference point: the fused kernel called directly on resident buffers, with none of the
// facade's option parsing, so that "kernel only" targets can be read off the same table.
//
//   import { initSync, allocFloat32 } from "softxent";
//   import { expBound } from "softxent/bounds";
//   initSync();
//   const x = allocFloat32(n), out = allocFloat32(n);   // resident: the pure kernel is timed
//   expBound(x, out);

import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import { copyIn, deliverTo, destination, destinationPtr, place } from "./stage.js";
import { isWasmBuffer, type WasmBuffer } from "./memory.js";
import type { Float32Input } from "./types.js";
import { RESULT, REDUCE } from "./abi.js";
import { classesOf, expectLength, f32Operand, failType, describe, i32Operand, numberIn, rowsOf } from "./validate.js";

type Pass = "expPass" | "scalePass";

function run(fn: string, pass: Pass, x: Float32Input, out: Float32Input, c: number): Float32Array {
  enter(fn);
  try {
    return compute(fn, pass, x, out, c);
  } finally {
    leave();
  }
}

function compute(fn: string, pass: Pass, x: Float32Input, out: Float32Input, c: number): Float32Array {
  const h = heap(fn);
  const xs = f32Operand(fn, "x", x, h);
  const d = destination(fn, "out", out, h, xs, "x", xs.length, "the length of x");
  // All pointers first (a scratch allocation may grow memory), then the copy in.
  const xPtr = place(h, xs, "a");
  const oPtr = destinationPtr(h, d, xs, xPtr, xs.length);
  copyIn(h, xs, xPtr);
  if (pass === "expPass") h.exports.expPass(xPtr, oPtr, xs.length);
  else h.exports.scalePass(xPtr, oPtr, xs.length, c);
  return deliverTo(h, oPtr, xs.length, d, xs);
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

/**
 * Bench-only: the fused cross-entropy kernel (index targets, 'uniform' smoothing, 'mean', gradient)
 * called straight on wasm-resident buffers — what `crossEntropy(z, y, { classes, smoothing, gradOut })`
 * costs minus its option handling. Labels are not range-checked here beyond what the kernel reports;
 * use `crossEntropy` for anything but timing. Returns the mean loss; the gradient is in `gradOut`.
 */
export function crossEntropyKernel(
  logits: WasmBuffer<Float32Array>, labels: WasmBuffer<Int32Array>, gradOut: WasmBuffer<Float32Array>,
  classes: number, smoothing: number,
): number {
  const fn = "crossEntropyKernel";
  const h = heap(fn);
  for (const [name, b] of [["logits", logits], ["labels", labels], ["gradOut", gradOut]] as const) {
    if (!isWasmBuffer(b)) failType(fn, `${name} must be a WasmBuffer (resident only); received ${describe(b)}`);
  }
  const k = classesOf(fn, classes);
  const eps = numberIn(fn, "smoothing", smoothing, 0, 1, 0);
  const z = f32Operand(fn, "logits", logits, h), y = i32Operand(fn, "labels", labels, h), g = f32Operand(fn, "gradOut", gradOut, h);
  const n = rowsOf(fn, "logits", z.length, k);
  expectLength(fn, "labels", y.length, n, `one label per row`);
  expectLength(fn, "gradOut", g.length, n * k, `N·K`);
  // Arguments as in crossEntropy: uniform smoothing, ignoreIndex −100, no weights, no z-loss, 'mean' (0), gradient on.
  const bad = h.exports.crossEntropyIndex(z.ptr, y.ptr, n, k, eps, 0, -100, 0, 0, 0, REDUCE.mean, g.ptr, 1, 0);
  if (bad >= 0) throw new RangeError(`softxent.${fn}: labels[${bad}] is out of range for classes = ${k}`);
  return h.f64[(h.results >>> 3) + RESULT.loss]!;
}
