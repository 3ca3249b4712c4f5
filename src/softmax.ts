// logSoftmax and softmax (with temperature), row-wise and max-subtracted (SPEC.md).

import { heap } from "./memory.js";
import type { Float32Input, LogSoftmaxOptions, SoftmaxOptions } from "./types.js";
import { checkNoOverlap, checkOptions, classesOf, expectLength, f32Operand, numberIn, rowsOf, type Operand } from "./validate.js";
import { copyIn, deliver, place } from "./stage.js";

const LOG_KEYS: ReadonlySet<string> = new Set(["classes", "out"]);
const SOFT_KEYS: ReadonlySet<string> = new Set(["classes", "out", "temperature"]);

function run(fn: string, logits: Float32Input, options: SoftmaxOptions, keys: ReadonlySet<string>, log: boolean): Float32Array {
  const h = heap(fn);
  const o = checkOptions(fn, options, keys, true);
  const k = classesOf(fn, o.classes);
  const temperature = log ? 1 : numberIn(fn, "temperature", o.temperature, 0, Number.MAX_VALUE, 1, true);
  const z = f32Operand(fn, "logits", logits, h);
  const n = rowsOf(fn, "logits", z.length, k);
  let out: Operand<Float32Array> | null = null;
  let inPlace = false;
  if (o.out !== undefined) {
    out = f32Operand(fn, "out", o.out, h);
    expectLength(fn, "out", out.length, n * k, `N·K = ${n}·${k}`);
    inPlace = out.source === z.source || (out.copy === null && z.copy === null && out.ptr === z.ptr);
    if (!inPlace) checkNoOverlap(fn, out, "out", z, "logits");
  }
  const zPtr = place(h, z, "a");
  let oPtr: number;
  if (inPlace) oPtr = zPtr;
  else if (out !== null && out.copy === null) oPtr = out.ptr;
  else if (z.copy !== null) oPtr = zPtr;
  else oPtr = h.scratchPtr("g", n * k * 4);
  copyIn(h, z, zPtr);
  if (log) h.exports.logSoftmax(zPtr, oPtr, n, k);
  else h.exports.softmax(zPtr, oPtr, n, k, 1 / temperature);
  return deliver(h, oPtr, n * k, inPlace && z.copy !== null ? z : out);
}

/** Row-wise log-softmax: (z − max) − log Σ exp(z − max). Masked (−Infinity) classes give −Infinity. */
export function logSoftmax(logits: Float32Input, options: LogSoftmaxOptions): Float32Array {
  return run("logSoftmax", logits, options, LOG_KEYS, true);
}

/** Row-wise softmax(z / T). Masked (−Infinity) classes give exactly 0. */
export function softmax(logits: Float32Input, options: SoftmaxOptions): Float32Array {
  return run("softmax", logits, options, SOFT_KEYS, false);
}
