// sigmoidCrossEntropy: element-wise (binary / multi-label) cross-entropy with logits, fused loss +
// gradient (docs/spec.md "sigmoidCrossEntropy"). Snapshot the options → validate everything → place
// every pointer → copy in → one kernel call → deliver.

import { JOB, PARAMS, REDUCE, RESULT, SIG } from "./abi.js";
import { runJob } from "./threads/run.js";
import { enter, leave } from "./guard.js";
import { heap } from "./memory.js";
import type { CrossEntropyResult, Float32Input, GradOf, SigmoidCrossEntropyOptions } from "./types.js";
import {
  bool,
  checkNoOverlap,
  checkOptions,
  checkWeights,
  classesOf,
  expectLength,
  f32Operand,
  needs,
  notWith,
  numberIn,
  oneOf,
  rowsOf,
  type Operand,
} from "./validate.js";
import { copyIn, deliverTo, destination, destinationPtr, paramWriter, place, type Destination } from "./stage.js";
import { readFocal } from "./focal.js";

const FN = "sigmoidCrossEntropy";
const KEYS: ReadonlySet<string> = new Set(["classes", "smoothing", "reduction", "posWeight", "grad", "gradOut", "focal"]);
const REDUCTIONS = ["mean", "sum", "none"] as const;

/**
 * Sigmoid cross-entropy with logits, element-wise: `targets` (same length as `logits`) are
 * probabilities in [0, 1]. Stable form max(x,0) − x·t' + log1p(exp(−|x|)) with t' = t·(1−ε) + ε/2;
 * `posWeight` (length K, with `classes`) weighs the positive term as PyTorch's BCEWithLogitsLoss.
 * The gradient is ∂loss/∂logits (of the sum for 'none').
 */
export function sigmoidCrossEntropy<O extends SigmoidCrossEntropyOptions & { reduction: "none" }>(
  logits: Float32Input,
  targets: Float32Input,
  options: O,
): CrossEntropyResult<Float32Array, GradOf<O>>;
export function sigmoidCrossEntropy<O extends SigmoidCrossEntropyOptions & { reduction?: "mean" | "sum" } = Record<never, never>>(
  logits: Float32Input,
  targets: Float32Input,
  options?: O,
): CrossEntropyResult<number, GradOf<O>>;
export function sigmoidCrossEntropy(
  logits: Float32Input,
  targets: Float32Input,
  options?: SigmoidCrossEntropyOptions,
): CrossEntropyResult<number | Float32Array>;
export function sigmoidCrossEntropy(
  logits: Float32Input,
  targets: Float32Input,
  options?: SigmoidCrossEntropyOptions,
): CrossEntropyResult<number | Float32Array> {
  heap(FN);
  const o = checkOptions(FN, options, KEYS, false);
  enter(FN);
  try {
    return compute(logits, targets, o);
  } finally {
    leave();
  }
}

function compute(logits: Float32Input, targets: Float32Input, o: Record<string, unknown>): CrossEntropyResult<number | Float32Array> {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const k = o.classes === undefined ? 0 : classesOf(FN, o.classes);
  const eps = numberIn(FN, "smoothing", o.smoothing, 0, 1, 0);
  const reduction = oneOf(FN, "reduction", o.reduction, REDUCTIONS, "mean");
  const wantGrad = bool(FN, "grad", o.grad, true);
  const focal = readFocal(FN, o.focal, k, true);

  const x = f32Operand(FN, "logits", logits, h);
  const count = x.length;
  if (k > 0) rowsOf(FN, "logits", count, k);
  const t = f32Operand(FN, "targets", targets, h);
  expectLength(FN, "targets", t.length, count, "one target per logit");
  checkNoOverlap(FN, t, "targets", x, "logits");

  let pw: Operand<Float32Array> | null = null;
  if (o.posWeight !== undefined) {
    if (k === 0) needs(FN, "posWeight", "classes", "element e takes posWeight[e mod classes]");
    pw = f32Operand(FN, "posWeight", o.posWeight, h);
    expectLength(FN, "posWeight", pw.length, k, "one weight per class");
    checkWeights(FN, "posWeight", pw, h.f32);
  }

  let d: Destination | null = null;
  if (o.gradOut !== undefined) {
    if (!wantGrad) notWith(FN, "gradOut", "grad: false", "there is no gradient to write");
    d = destination(FN, "gradOut", o.gradOut, h, x, "logits", count, "one gradient per logit");
    checkNoOverlap(FN, d.op, "gradOut", t, "targets");
    if (pw) checkNoOverlap(FN, d.op, "gradOut", pw, "posWeight");
  }

  // ---- stage (all pointers first, then copies)
  const xPtr = place(h, x, "a");
  const tPtr = place(h, t, "b");
  const pwPtr = pw ? place(h, pw, "w") : 0;
  const gPtr = wantGrad ? destinationPtr(h, d, x, xPtr, count) : 0;
  const lossPtr = reduction === "none" ? h.scratchPtr("loss", count * 4) : 0;
  const slots = h.scratchPtr("sig.slots", 8 * Math.min(65535, Math.max(1, count))); // one f64 per element block
  const p = h.scratchPtr("sig.params", PARAMS.bytes); // the call's parameter block (assembly/params.ts)
  copyIn(h, x, xPtr);
  copyIn(h, t, tPtr);
  if (pw) copyIn(h, pw, pwPtr);

  const w = paramWriter(h, p);
  const set = w.int;
  set(PARAMS.job, JOB.sigmoid);
  set(SIG.x, xPtr);
  set(SIG.t, tPtr);
  set(SIG.count, count);
  set(SIG.k, k);
  set(SIG.pw, pwPtr);
  w.f64(SIG.eps, eps);
  set(SIG.reduction, REDUCE[reduction]);
  set(SIG.g, gPtr);
  set(SIG.grad, wantGrad ? 1 : 0);
  set(SIG.out, lossPtr);
  set(SIG.slots, slots);
  // docs/spec.md "focal": the same element blocks, the focal loss per element
  set(SIG.focal, focal ? 1 : 0);
  w.f64(SIG.gamma, focal ? focal.gamma : 0);
  w.f64(SIG.falpha, focal ? focal.alpha : 0);
  set(SIG.balance, focal?.balance ? 1 : 0);
  runJob(h, FN, p, count);

  const loss = reduction === "none" ? h.f32.slice(lossPtr >>> 2, (lossPtr >>> 2) + count) : h.f64[(h.results >>> 3) + RESULT.loss]!;
  const grad = wantGrad ? deliverTo(h, gPtr, count, d, x) : null;
  return { loss, grad };
}
