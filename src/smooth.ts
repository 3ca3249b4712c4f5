// smoothTargets: the dense smoothed target matrix q (docs/spec.md "smoothTargets"), written by row
// blocks over the pool (a parameter block: docs/spec.md "Threads").

import { JOB, PARAMS, SMT } from "./abi.js";
import { runJob } from "./threads/run.js";
import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import type { Int32Input, SmoothTargetsOptions } from "./types.js";
import {
  badLabel,
  checkNoOverlap,
  checkOptions,
  failType,
  classesOf,
  expectLength,
  f32Operand,
  i32Operand,
  integer,
  numberIn,
  oneOf,
  type Operand,
} from "./validate.js";
import { copyIn, deliver, paramWriter, place } from "./stage.js";

const FN = "smoothTargets";
const KEYS: ReadonlySet<string> = new Set(["classes", "smoothing", "smoothingMode", "ignoreIndex", "out"]);

/** The N×K matrix of smoothed targets for index labels (ignored rows are all 0). */
export function smoothTargets(labels: Int32Input, options: SmoothTargetsOptions): Float32Array {
  heap(FN);
  const o = checkOptions(FN, options, KEYS, true);
  enter(FN);
  try {
    return compute(labels, o);
  } finally {
    leave();
  }
}

function compute(labels: Int32Input, o: Record<string, unknown>): Float32Array {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  if (o.smoothing === undefined) failType(FN, "options.smoothing (ε ∈ [0, 1]) is required");
  const eps = numberIn(FN, "smoothing", o.smoothing, 0, 1, 0);
  const mode = oneOf(FN, "smoothingMode", o.smoothingMode, ["uniform", "others"] as const, "uniform");
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  const y = i32Operand(FN, "labels", labels, h);
  const n = y.length;
  let out: Operand<Float32Array> | null = null;
  if (o.out !== undefined) {
    out = f32Operand(FN, "out", o.out, h);
    expectLength(FN, "out", out.length, n * k, `N·K = ${n}·${k}`);
    checkNoOverlap(FN, out, "out", y, "labels");
  }
  const yPtr = place(h, y, "b");
  const oPtr = out !== null && out.copy === null ? out.ptr : h.scratchPtr("g", n * k * 4);
  const p = h.scratchPtr("smooth.params", PARAMS.bytes); // the call's parameter block (assembly/params.ts)
  copyIn(h, y, yPtr);
  const w = paramWriter(h, p);
  w.int(PARAMS.job, JOB.smooth);
  w.int(SMT.y, yPtr);
  w.int(SMT.n, n);
  w.int(SMT.k, k);
  w.f64(SMT.eps, eps);
  w.int(SMT.others, mode === "others" ? 1 : 0);
  w.int(SMT.ignore, ignoreIndex);
  w.int(SMT.out, oPtr);
  const bad = runJob(h, FN, p, n * k);
  if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);
  return deliver(h, oPtr, n * k, out);
}
