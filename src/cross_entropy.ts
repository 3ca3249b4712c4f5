// crossEntropy: the fused forward + gradient (SPEC.md "crossEntropy"). Validation happens before
// any byte of wasm memory is written; labels are range-checked by the kernel's first pass, which
// writes nothing when it finds a bad one.

import { heap } from "./memory.js";
import { WasmBuffer } from "./memory.js";
import type { CrossEntropyOptions, CrossEntropyResult, Float32Input, TargetInput } from "./types.js";
import {
  badLabel, bool, checkNoOverlap, checkOptions, checkWeights, classesOf, expectLength, f32Operand, fail, failType,
  describe, i32Operand, integer, numberIn, oneOf, rowsOf, type Operand,
} from "./validate.js";
import { copyIn, deliver, place } from "./stage.js";

const FN = "crossEntropy";
const KEYS: ReadonlySet<string> = new Set([
  "classes", "smoothing", "smoothingMode", "reduction", "ignoreIndex", "classWeights", "classWeightMode", "zLoss", "grad", "gradOut",
]);
const REDUCTIONS = ["mean", "sum", "none"] as const;
const SMOOTHING_MODES = ["uniform", "others"] as const;
const WEIGHT_MODES = ["pytorch", "target"] as const;
/** assembly/common.ts codes */
const REDUCE_CODE = { mean: 0, sum: 1, none: 2 } as const;
const WEIGHT_CODE = { none: 0, pytorch: 1, target: 2 } as const;

function isIndexTarget(t: unknown): boolean {
  return t instanceof Int32Array || (t instanceof WasmBuffer && t.kind === "int32");
}

function isProbTarget(t: unknown): boolean {
  return t instanceof Float32Array || (t instanceof WasmBuffer && t.kind === "float32");
}

/** Reads K weights for checking, wherever they are. */
function weightValues(w: Operand<Float32Array>, f32: Float32Array): Float32Array {
  return w.copy ?? f32.subarray(w.ptr >>> 2, (w.ptr >>> 2) + w.length);
}

/**
 * Softmax cross-entropy with label smoothing, class weights, ignoreIndex, z-loss and masked
 * (−Infinity) classes, and its gradient with respect to the logits, in one call.
 *
 * `target` is an Int32Array of N class indices, or a Float32Array of N·K probabilities.
 */
export function crossEntropy(
  logits: Float32Input, target: TargetInput, options: CrossEntropyOptions & { reduction: "none" },
): CrossEntropyResult<Float32Array>;
export function crossEntropy(
  logits: Float32Input, target: TargetInput, options: CrossEntropyOptions & { reduction?: "mean" | "sum" },
): CrossEntropyResult<number>;
export function crossEntropy(
  logits: Float32Input, target: TargetInput, options: CrossEntropyOptions,
): CrossEntropyResult<number | Float32Array>;
export function crossEntropy(
  logits: Float32Input, target: TargetInput, options: CrossEntropyOptions,
): CrossEntropyResult<number | Float32Array> {
  const h = heap(FN);
  const o = checkOptions(FN, options, KEYS, true);
  const k = classesOf(FN, o.classes);
  const eps = numberIn(FN, "smoothing", o.smoothing, 0, 1, 0);
  const smoothingMode = oneOf(FN, "smoothingMode", o.smoothingMode, SMOOTHING_MODES, "uniform");
  const reduction = oneOf(FN, "reduction", o.reduction, REDUCTIONS, "mean");
  const ignoreIndex = integer(FN, "ignoreIndex", o.ignoreIndex, -100);
  const weightMode = oneOf(FN, "classWeightMode", o.classWeightMode, WEIGHT_MODES, "pytorch");
  const lambda = numberIn(FN, "zLoss", o.zLoss, 0, Number.MAX_VALUE, 0);
  const wantGrad = bool(FN, "grad", o.grad, true);

  const z = f32Operand(FN, "logits", logits, h);
  const n = rowsOf(FN, "logits", z.length, k);

  const index = isIndexTarget(target);
  if (!index && !isProbTarget(target)) {
    failType(FN, `target must be an Int32Array of N class indices, a Float32Array of N·K probabilities, or a WasmBuffer of either; received ${describe(target)}`);
  }
  const t = index ? i32Operand(FN, "labels", target, h) : f32Operand(FN, "targets", target, h);
  if (index) {
    expectLength(FN, "labels", t.length, n, `one label per row: logits.length / classes = ${n}`);
  } else {
    expectLength(FN, "targets", t.length, n * k, `probability targets, N·K = ${n}·${k}`);
    if (o.ignoreIndex !== undefined) fail(FN, "options.ignoreIndex applies to index targets only; received probability targets");
    if (smoothingMode === "others") fail(FN, "options.smoothingMode 'others' applies to index targets only; received probability targets");
    if (o.classWeightMode === "target") fail(FN, "options.classWeightMode 'target' applies to index targets only; received probability targets");
  }

  let w: Operand<Float32Array> | null = null;
  if (o.classWeights !== undefined) {
    w = f32Operand(FN, "classWeights", o.classWeights, h);
    expectLength(FN, "classWeights", w.length, k, `one weight per class`);
    checkWeights(FN, "classWeights", weightValues(w, h.f32));
  }

  let g: Operand<Float32Array> | null = null;
  let inPlace = false;
  if (o.gradOut !== undefined) {
    if (!wantGrad) fail(FN, "options.gradOut was given together with grad: false");
    g = f32Operand(FN, "gradOut", o.gradOut, h);
    expectLength(FN, "gradOut", g.length, n * k, `N·K = ${n}·${k}`);
    inPlace = g.source === z.source || (g.copy === null && z.copy === null && g.ptr === z.ptr);
    if (!inPlace) checkNoOverlap(FN, g, "gradOut", z, "logits");
    checkNoOverlap(FN, g, "gradOut", t, index ? "labels" : "targets");
    if (w) checkNoOverlap(FN, g, "gradOut", w, "classWeights");
  }

  // ---- stage (all pointers first, then copies)
  const zPtr = place(h, z, "a");
  const tPtr = place(h, t, "b");
  const wPtr = w ? place(h, w, "w") : 0;
  let gPtr: number;
  if (!wantGrad) gPtr = h.scratchPtr("row", k * 4);
  else if (inPlace) gPtr = zPtr;
  else if (g !== null && g.copy === null) gPtr = g.ptr; // resident destination: write there directly
  else if (z.copy !== null) gPtr = zPtr; // copied logits: compute over the copy, then copy out
  else gPtr = h.scratchPtr("g", n * k * 4);
  const lossPtr = reduction === "none" ? h.scratchPtr("loss", n * 4) : 0;
  copyIn(h, z, zPtr);
  copyIn(h, t, tPtr);
  if (w) copyIn(h, w, wPtr);

  const ex = h.exports;
  const red = REDUCE_CODE[reduction];
  if (index) {
    const bad = ex.crossEntropyIndex(
      zPtr, tPtr, n, k, eps, smoothingMode === "others" ? 1 : 0, ignoreIndex,
      wPtr, w ? WEIGHT_CODE[weightMode] : 0, lambda, red, gPtr, wantGrad ? 1 : 0, lossPtr,
    );
    if (bad >= 0) badLabel(FN, "labels", bad, h.i32[(tPtr >>> 2) + bad]!, k, ignoreIndex);
  } else {
    ex.crossEntropyProb(zPtr, tPtr, n, k, eps, wPtr, lambda, red, gPtr, wantGrad ? 1 : 0, lossPtr);
  }

  const loss = reduction === "none" ? h.f32.slice(lossPtr >>> 2, (lossPtr >>> 2) + n) : h.f64[(h.results >>> 3) + 2]!;
  let grad: Float32Array | null = null;
  if (wantGrad) {
    // In place over copied logits: the caller's logits array is the destination.
    const dest = inPlace && z.copy !== null ? z : g;
    grad = deliver(h, gPtr, n * k, dest);
  }
  return { loss, grad };
}
