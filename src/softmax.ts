// logSoftmax and softmax (with temperature), row-wise and max-subtracted (docs/spec.md "softmax").

import { heap } from "./memory.js";
import type { Float32Input, LogSoftmaxOptions, SoftmaxOptions } from "./types.js";
import { checkOptions, classesOf, f32Operand, numberIn, rowsOf } from "./validate.js";
import { copyIn, deliverTo, destination, destinationPtr, place, type Destination } from "./stage.js";

const LOG_KEYS: ReadonlySet<string> = new Set(["classes", "out"]);
const SOFT_KEYS: ReadonlySet<string> = new Set(["classes", "out", "temperature"]);

function run(fn: string, logits: Float32Input, options: SoftmaxOptions, keys: ReadonlySet<string>, log: boolean): Float32Array {
  heap(fn);
  const o = checkOptions(fn, options, keys, true);
  const h = heap(fn); // after the options' getters (one could have replaced the instance)
  const k = classesOf(fn, o.classes);
  const temperature = log ? 1 : numberIn(fn, "temperature", o.temperature, 0, Number.MAX_VALUE, 1, true);
  const z = f32Operand(fn, "logits", logits, h);
  const n = rowsOf(fn, "logits", z.length, k);
  const d: Destination | null = o.out === undefined ? null : destination(fn, "out", o.out, h, z, "logits", n * k, `N·K = ${n}·${k}`);
  const zPtr = place(h, z, "a");
  const oPtr = destinationPtr(h, d, z, zPtr, n * k);
  copyIn(h, z, zPtr);
  if (log) h.exports.logSoftmax(zPtr, oPtr, n, k);
  else h.exports.softmax(zPtr, oPtr, n, k, 1 / temperature);
  return deliverTo(h, oPtr, n * k, d, z);
}

/** Row-wise log-softmax: (z − max) − log Σ exp(z − max). Masked (−Infinity) classes give −Infinity. */
export function logSoftmax(logits: Float32Input, options: LogSoftmaxOptions): Float32Array {
  return run("logSoftmax", logits, options, LOG_KEYS, true);
}

/** Row-wise softmax(z / T). Masked (−Infinity) classes give exactly 0. */
export function softmax(logits: Float32Input, options: SoftmaxOptions): Float32Array {
  return run("softmax", logits, options, SOFT_KEYS, false);
}
