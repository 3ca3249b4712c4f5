// logSoftmax and softmax (with temperature), row-wise and max-subtracted (docs/spec.md "logSoftmax and softmax").

import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import type { Float32Input, LogSoftmaxOptions, SoftmaxOptions } from "./types.js";
import { checkOptions, classesOf, f32Operand, numberIn, rowsOf } from "./validate.js";
import { copyIn, deliverTo, destination, destinationPtr, place, type Destination } from "./stage.js";
import { softmaxRows } from "./threads/run.js";

const LOG_KEYS: ReadonlySet<string> = new Set(["classes", "out"]);
const SOFT_KEYS: ReadonlySet<string> = new Set(["classes", "out", "temperature"]);

function run(fn: string, logits: Float32Input, options: SoftmaxOptions, keys: ReadonlySet<string>, log: boolean): Float32Array {
  heap(fn);
  const o = checkOptions(fn, options, keys, true);
  enter(fn);
  try {
    return compute(fn, logits, o, log);
  } finally {
    leave();
  }
}

function compute(fn: string, logits: Float32Input, o: Record<string, unknown>, log: boolean): Float32Array {
  const h = heap(fn); // after the options' getters (one could have replaced the instance)
  const k = classesOf(fn, o.classes);
  const temperature = log ? 1 : numberIn(fn, "temperature", o.temperature, 0, Number.MAX_VALUE, 1, true);
  const z = f32Operand(fn, "logits", logits, h);
  const n = rowsOf(fn, "logits", z.length, k);
  const d: Destination | null = o.out === undefined ? null : destination(fn, "out", o.out, h, z, "logits", n * k, `N·K = ${n}·${k}`);
  const zPtr = place(h, z, "a");
  const oPtr = destinationPtr(h, d, z, zPtr, n * k);
  // T so small that the kernel's f32 1/T overflows: hand it u = (z − m)/T, formed here, at T = 1.
  const tiny = !log && Math.fround(1 / temperature) === Infinity;
  const uPtr = tiny ? h.scratchPtr("t", n * k * 4) : 0;
  copyIn(h, z, zPtr);
  if (log) softmaxRows(h, fn, true, zPtr, oPtr, n, k, 1);
  else if (tiny) {
    temperedRows(h.f32, zPtr >>> 2, uPtr >>> 2, n, k, temperature);
    softmaxRows(h, fn, false, uPtr, oPtr, n, k, 1);
  } else softmaxRows(h, fn, false, zPtr, oPtr, n, k, 1 / temperature);
  return deliverTo(h, oPtr, n * k, d, z);
}

/** Below this a finite u = (z − m)/T is clamped (still finite in f32; its exp is 0 either way). */
const U_FLOOR = -3e38;

/**
 * softmax(z/T) = softmax(u), u_j = (z_j − m)/T with m the row's max: formed in f64 for the rows at
 * `from` into `to` (element indices into `f32`), for T < ~2.9e-39 where the kernel's f32 1/T is
 * Infinity (and (z − m)·1/T would be 0·∞ = NaN at the max). Rows holding NaN or +Infinity, or with
 * every class masked, are copied unchanged so that the kernel applies its own rules to them; masked
 * classes stay −Infinity. The result is the T → 0 limit wherever the gaps are not subnormal: one-hot
 * on the maximum, shared equally between tied maxima.
 */
function temperedRows(f32: Float32Array, from: number, to: number, n: number, k: number, T: number): void {
  for (let i = 0; i < n; i++) {
    const a = from + i * k,
      b = to + i * k;
    let m = -Infinity,
      special = false;
    for (let j = 0; j < k; j++) {
      const v = f32[a + j]!;
      if (v !== v || v === Infinity) special = true;
      else if (v > m) m = v;
    }
    if (special || m === -Infinity) {
      f32.copyWithin(b, a, a + k);
      continue;
    }
    for (let j = 0; j < k; j++) {
      const v = f32[a + j]!;
      f32[b + j] = v === -Infinity ? v : Math.max((v - m) / T, U_FLOOR);
    }
  }
}

/** Row-wise log-softmax: (z − max) − log Σ exp(z − max). Masked (−Infinity) classes give −Infinity. */
export function logSoftmax(logits: Float32Input, options: LogSoftmaxOptions): Float32Array {
  return run("logSoftmax", logits, options, LOG_KEYS, true);
}

/** Row-wise softmax(z / T). Masked (−Infinity) classes give exactly 0. */
export function softmax(logits: Float32Input, options: SoftmaxOptions): Float32Array {
  return run("softmax", logits, options, SOFT_KEYS, false);
}
