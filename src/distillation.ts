// distillation: Hinton et al.'s soft-target loss with the T² factor and batch-mean KL, mixed with the
// label cross-entropy, fused loss + gradient w.r.t. the student logits (docs/spec.md "distillation").
// Snapshot the options → validate everything → place every pointer → copy in → one kernel call →
// deliver. Labels are range-checked by the kernel's first pass, which writes nothing when it finds a
// bad one.

import { DST, JOB, PARAMS, REDUCE, RESULT } from "./abi.js";
import { runJob } from "./threads/run.js";
import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import type { CrossEntropyResult, DistillationOptions, Float32Input, GradOf } from "./types.js";
import {
  badLabel,
  bool,
  checkNoOverlap,
  checkOptions,
  classesOf,
  expectLength,
  f32Operand,
  i32Operand,
  integer,
  mustBe,
  needs,
  notWith,
  numberIn,
  oneOf,
  rowsOf,
  temperatureIn,
  type Operand,
} from "./validate.js";
import { copyIn, deliverTo, destination, destinationPtr, paramWriter, place, type Destination } from "./stage.js";

const FN = "distillation";
const KEYS: ReadonlySet<string> = new Set([
  "classes",
  "temperature",
  "alpha",
  "labels",
  "smoothing",
  "smoothingMode",
  "ignoreIndex",
  "reduction",
  "grad",
  "gradOut",
]);
const REDUCTIONS = ["mean", "sum", "none"] as const;
/**
 * Temperatures the f32 kernel computes to f32 accuracy: below 1e-30 its 1/T and (s − m)/T overflow
 * f32 (NaN at T < 3e-39); above 1e16 the O(1/T) differences it subtracts fall below f32 resolution
 * (drift from ~1e18, 0 from ~1e30). T²·KL tends to ½·Var(t − s) as T grows, already reached at 1e16.
 */
export const MIN_TEMPERATURE = 1e-30;
export const MAX_TEMPERATURE = 1e16;
const SMOOTHING_MODES = ["uniform", "others"] as const;

/**
 * L = α·T²·(1/n)·Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T)) + (1−α)·crossEntropy_ε(s, labels, 'mean'),
 * n = rows whose label is not ignoreIndex (all rows without labels). Returns the loss and its gradient
 * with respect to the student logits.
 */
export function distillation<O extends DistillationOptions & { reduction: "none" }>(
  student: Float32Input,
  teacher: Float32Input,
  options: O,
): CrossEntropyResult<Float32Array, GradOf<O>>;
export function distillation<O extends DistillationOptions & { reduction?: "mean" | "sum" }>(
  student: Float32Input,
  teacher: Float32Input,
  options: O,
): CrossEntropyResult<number, GradOf<O>>;
export function distillation(
  student: Float32Input,
  teacher: Float32Input,
  options: DistillationOptions,
): CrossEntropyResult<number | Float32Array>;
export function distillation(
  student: Float32Input,
  teacher: Float32Input,
  options: DistillationOptions,
): CrossEntropyResult<number | Float32Array> {
  heap(FN);
  const o = checkOptions(FN, options, KEYS, true);
  enter(FN);
  try {
    return compute(student, teacher, o);
  } finally {
    leave();
  }
}

function compute(student: Float32Input, teacher: Float32Input, o: Record<string, unknown>): CrossEntropyResult<number | Float32Array> {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  const T = temperatureIn(FN, o.temperature, MIN_TEMPERATURE, MAX_TEMPERATURE);
  const hasLabels = o.labels !== undefined;
  const alpha = numberIn(FN, "alpha", o.alpha, 0, 1, hasLabels ? 0.5 : 1);
  if (!hasLabels && alpha !== 1) mustBe(FN, "alpha", alpha, "1", "without labels (there is no cross-entropy term to mix in)");
  const eps = numberIn(FN, "smoothing", o.smoothing, 0, 1, 0);
  const mode = oneOf(FN, "smoothingMode", o.smoothingMode, SMOOTHING_MODES, "uniform");
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  if (!hasLabels) {
    if (o.ignoreIndex !== undefined) needs(FN, "ignoreIndex", "labels", "rows are ignored by their label");
    if (o.smoothing !== undefined) needs(FN, "smoothing", "labels", "it smooths the cross-entropy term");
    if (o.smoothingMode !== undefined) needs(FN, "smoothingMode", "labels", "it applies to the cross-entropy term");
  }
  const reduction = oneOf(FN, "reduction", o.reduction, REDUCTIONS, "mean");
  const wantGrad = bool(FN, "grad", o.grad, true);

  const s = f32Operand(FN, "student", student, h);
  const n = rowsOf(FN, "student", s.length, k);
  const t = f32Operand(FN, "teacher", teacher, h);
  expectLength(FN, "teacher", t.length, s.length, `the student's length, N·K = ${n}·${k}`);
  let y: Operand<Int32Array> | null = null;
  if (hasLabels) {
    y = i32Operand(FN, "labels", o.labels, h);
    expectLength(FN, "labels", y.length, n, `one label per row: student.length / classes = ${n}`);
  }

  let d: Destination | null = null;
  if (o.gradOut !== undefined) {
    if (!wantGrad) notWith(FN, "gradOut", "grad: false", "there is no gradient to write");
    d = destination(FN, "gradOut", o.gradOut, h, s, "student", n * k, `N·K = ${n}·${k}`);
    checkNoOverlap(FN, d.op, "gradOut", t, "teacher");
    if (y) checkNoOverlap(FN, d.op, "gradOut", y, "labels");
  }

  // ---- stage (all pointers first, then copies)
  const sPtr = place(h, s, "a");
  const tPtr = place(h, t, "t");
  const yPtr = y ? place(h, y, "b") : 0;
  const gPtr = wantGrad ? destinationPtr(h, d, s, sPtr, n * k) : 0;
  const lossPtr = reduction === "none" ? h.scratchPtr("loss", n * 4) : 0;
  // 3·K f32 rows (teacher exp, CE exp, student exp without a gradient), then 5·K f64 for rare rows;
  // nothing for an empty batch (whose K may be anything).
  // (per thread of the pool: distillScratchBytes(k), 16-aligned)
  const scratch = h.scratchPtr("distill", n === 0 ? 0 : h.threads * h.exports.distillScratchBytes(k));
  const slots = h.scratchPtr("distill.slots", 8 * Math.min(65535, Math.max(1, n))); // one f64 per row block
  const p = h.scratchPtr("distill.params", PARAMS.bytes); // the call's parameter block (assembly/params.ts)
  copyIn(h, s, sPtr);
  copyIn(h, t, tPtr);
  if (y) copyIn(h, y, yPtr);

  const w = paramWriter(h, p);
  const set = w.int;
  set(PARAMS.job, JOB.distillation);
  set(DST.s, sPtr);
  set(DST.t, tPtr);
  set(DST.y, yPtr);
  set(DST.n, n);
  set(DST.k, k);
  w.f64(DST.temperature, T);
  w.f64(DST.alpha, alpha);
  w.f64(DST.eps, eps);
  set(DST.others, mode === "others" ? 1 : 0);
  set(DST.ignore, ignoreIndex);
  set(DST.reduction, REDUCE[reduction]);
  set(DST.g, gPtr);
  set(DST.grad, wantGrad ? 1 : 0);
  set(DST.rowLoss, lossPtr);
  set(DST.scratch, scratch);
  set(DST.slots, slots);
  const bad = runJob(h, FN, p, n * k);
  if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(yPtr >>> 2) + bad]!, k, ignoreIndex);

  const loss = reduction === "none" ? h.f32.slice(lossPtr >>> 2, (lossPtr >>> 2) + n) : h.f64[(h.results >>> 3) + RESULT.loss]!;
  const grad = wantGrad ? deliverTo(h, gPtr, n * k, d, s) : null;
  return { loss, grad };
}
