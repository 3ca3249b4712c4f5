// crossEntropy: the fused forward + gradient (docs/spec.md "crossEntropy"). Options are read once,
// operands resolved and checked, then staged: nothing the caller sees is written before the kernel
// runs, and no caller code runs after the options snapshot (so what was checked is what is used);
// labels are range-checked by the kernel's first pass, which writes nothing when it finds a bad one.

import { REDUCE, RESULT, WEIGHT } from "./abi.js";
import { enter, leave } from "./guard.js";
import { heap, isWasmBuffer } from "./memory.js";
import type { CrossEntropyOptions, CrossEntropyResult, Float32Input, GradOf, TargetInput } from "./types.js";
import {
  badLabel,
  checkNoOverlap,
  checkOptions,
  checkWeights,
  classesOf,
  expectLength,
  f32Operand,
  floatTargetsHint,
  inputHint,
  fail,
  failType,
  describe,
  i32Operand,
  rowsOf,
  typedArrayKind,
  type Operand,
} from "./validate.js";
import { copyIn, deliverTo, destination, destinationPtr, place, type Destination } from "./stage.js";
import { CE_KIND, ceJob } from "./threads/run.js";
import { CROSS_ENTROPY_KEYS, readLossOptions } from "./options.js";
import { focalCrossEntropyCall, focalPlace, readFocal } from "./focal.js";

const FN = "crossEntropy";
/** 'int32', 'float32', or undefined for anything else (brand and intrinsic checks: no getters run). */
function targetKind(t: unknown): "int32" | "float32" | undefined {
  if (isWasmBuffer(t)) return t.kind;
  const tag = typedArrayKind(t);
  return tag === "Int32Array" ? "int32" : tag === "Float32Array" ? "float32" : undefined;
}

/**
 * Softmax cross-entropy with label smoothing, class weights, ignoreIndex, z-loss and masked
 * (−Infinity) classes, and its gradient with respect to the logits, in one call.
 *
 * `target` is an Int32Array of N class indices, or a Float32Array of N·K probabilities.
 */
export function crossEntropy<O extends CrossEntropyOptions & { reduction: "none" }>(
  logits: Float32Input,
  target: TargetInput,
  options: O,
): CrossEntropyResult<Float32Array, GradOf<O>>;
export function crossEntropy<O extends CrossEntropyOptions & { reduction?: "mean" | "sum" }>(
  logits: Float32Input,
  target: TargetInput,
  options: O,
): CrossEntropyResult<number, GradOf<O>>;
export function crossEntropy(
  logits: Float32Input,
  target: TargetInput,
  options: CrossEntropyOptions,
): CrossEntropyResult<number | Float32Array>;
export function crossEntropy(
  logits: Float32Input,
  target: TargetInput,
  options: CrossEntropyOptions,
): CrossEntropyResult<number | Float32Array> {
  heap(FN);
  const o = checkOptions(FN, options, CROSS_ENTROPY_KEYS, true);
  enter(FN);
  try {
    return compute(logits, target, o);
  } finally {
    leave();
  }
}

function compute(logits: Float32Input, target: TargetInput, o: Record<string, unknown>): CrossEntropyResult<number | Float32Array> {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = classesOf(FN, o.classes);
  const {
    smoothing: eps,
    smoothingMode,
    reduction,
    ignoreIndex,
    classWeightMode: weightMode,
    zLoss: lambda,
    grad: wantGrad,
  } = readLossOptions(FN, o);
  const focal = readFocal(FN, o.focal, k, false);

  const z = f32Operand(FN, "logits", logits, h);
  const n = rowsOf(FN, "logits", z.length, k);

  const kind = targetKind(target);
  const index = kind === "int32";
  if (kind === undefined) {
    failType(
      FN,
      `target must be an Int32Array of N class indices, a Float32Array of N·K probabilities, or a WasmBuffer of either; received ${describe(target)}${inputHint(target, Int32Array)}`,
    );
  }
  const t = index ? i32Operand(FN, "labels", target, h) : f32Operand(FN, "targets", target, h);
  if (index) {
    expectLength(FN, "labels", t.length, n, `one label per row: logits.length / classes = ${n}`);
  } else {
    expectLength(FN, "targets", t.length, n * k, `probability targets, N·K = ${n}·${k}`, floatTargetsHint(t.length, n));
    if (o.ignoreIndex !== undefined) fail(FN, "options.ignoreIndex applies to index targets only; received probability targets");
    if (smoothingMode === "others") fail(FN, "options.smoothingMode 'others' applies to index targets only; received probability targets");
    if (o.classWeightMode === "target")
      fail(FN, "options.classWeightMode 'target' applies to index targets only; received probability targets");
  }

  let w: Operand<Float32Array> | null = null;
  if (o.classWeights !== undefined) {
    w = f32Operand(FN, "classWeights", o.classWeights, h);
    expectLength(FN, "classWeights", w.length, k, `one weight per class`);
    checkWeights(FN, "classWeights", w, h.f32);
  }

  let d: Destination | null = null;
  if (o.gradOut !== undefined) {
    if (!wantGrad) fail(FN, "options.gradOut was given together with grad: false");
    d = destination(FN, "gradOut", o.gradOut, h, z, "logits", n * k, `N·K = ${n}·${k}`);
    checkNoOverlap(FN, d.op, "gradOut", t, index ? "labels" : "targets");
    if (w) checkNoOverlap(FN, d.op, "gradOut", w, "classWeights");
  }

  // ---- stage (all pointers first, then copies)
  const zPtr = place(h, z, "a");
  const tPtr = place(h, t, "b");
  const wPtr = w ? place(h, w, "w") : 0;
  // Without a gradient the kernel still needs one row of scratch per thread (none for an empty batch).
  const gPtr = wantGrad ? destinationPtr(h, d, z, zPtr, n * k) : h.scratchPtr("row", n === 0 ? 0 : k * 4 * h.threads);
  const lossPtr = reduction === "none" ? h.scratchPtr("loss", n * 4) : 0;
  const focalAt = focal ? focalPlace(h, focal, n, k) : null;
  copyIn(h, z, zPtr);
  copyIn(h, t, tPtr);
  if (w) copyIn(h, w, wPtr);

  const red = REDUCE[reduction];
  if (focal) {
    // docs/spec.md "focal": its own kernel, a parameter-block job
    const scalars = {
      smoothing: eps,
      zLoss: lambda,
      ignoreIndex,
      others: smoothingMode === "others",
      weightMode: w ? WEIGHT[weightMode] : WEIGHT.none,
      reduction: red,
      grad: wantGrad,
    };
    const bad = focalCrossEntropyCall(h, FN, focal, focalAt!, scalars, index, zPtr, tPtr, n, k, wPtr, gPtr, lossPtr);
    if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(tPtr >>> 2) + bad]!, k, ignoreIndex);
  } else {
    // both target kinds: the CE parameter block (assembly/ce_job.ts), on the pool where there is one
    const bad = ceJob(h, FN, {
      kind: index ? CE_KIND.index : CE_KIND.prob,
      z: zPtr,
      t: tPtr,
      n,
      k,
      eps,
      others: index && smoothingMode === "others" ? 1 : 0,
      ignoreIndex: index ? ignoreIndex : 0,
      w: wPtr,
      wMode: index && w ? WEIGHT[weightMode] : WEIGHT.none,
      lambda,
      red,
      g: gPtr,
      grad: wantGrad ? 1 : 0,
      rowLoss: lossPtr,
      invT: 1,
    });
    if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(tPtr >>> 2) + bad]!, k, ignoreIndex);
  }

  const loss = reduction === "none" ? h.f32.slice(lossPtr >>> 2, (lossPtr >>> 2) + n) : h.f64[(h.results >>> 3) + RESULT.loss]!;
  const grad = wantGrad ? deliverTo(h, gPtr, n * k, d, z) : null;
  return { loss, grad };
}
