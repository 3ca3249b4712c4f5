// linearCrossEntropy: the output layer and the loss in one call (docs/spec.md "linearCrossEntropy"),
// exactly crossEntropy(hidden·Wᵀ + bias, target) with the gradients chained through the product, in
// chunks of rows so that the N×V logits are never held. Validation happens before any byte of wasm
// memory is written; labels are range-checked by the kernel's first pass, which writes nothing when it
// finds a bad one.
//
// Memory: the inputs (copied into scratch unless resident), the outputs (written in place when
// resident), and one chunk: max(chunkBytes, 4·V) for the chunk's logits plus 4·V + 512 KiB for the
// product's packing and 16 bytes per row block. The chunk does not depend on N; an empty batch holds
// none. Every size is computed in JS numbers (exact to 2^53) and checked against wasm32's limit before
// anything is allocated; the core's own count of the chunk (u64) must agree.

import { FOCAL_SCHEDULE, JOB, LCE, PARAMS, REDUCE, RESULT, WEIGHT } from "./abi.js";
import { runJob } from "./threads/run.js";
import { type Heap, heap } from "./memory.js";
import type { ClassWeightMode, Float32Input, FocalOptions, GradOf, Int32Input, Reduction, SmoothingMode } from "./types.js";
import { readFocal } from "./focal.js";
import {
  badLabel,
  bool,
  checkNoOverlap,
  checkOptions,
  checkWeights,
  classesOf,
  countIn,
  expectLength,
  f32Operand,
  fail,
  i32Operand,
  oneOf,
  type Operand,
} from "./validate.js";
import { copyIn, deliver, paramWriter, place } from "./stage.js";
import { enter, leave } from "./guard.js";
import { LINEAR_CROSS_ENTROPY_KEYS, readLossOptions } from "./options.js";

export type WeightLayout = "vd" | "dv";

export interface LinearCrossEntropyOptions {
  /** Number of classes V (the weight is V×D or D×V). Required. */
  classes: number;
  /** 'vd' (default): weight is V×D (PyTorch nn.Linear.weight, tied embeddings); 'dv': D×V (a TF.js Dense kernel). */
  weightLayout?: WeightLayout;
  /** Bias, length V. */
  bias?: Float32Input;
  /** Label smoothing ε ∈ [0, 1]. Default 0. */
  smoothing?: number;
  smoothingMode?: SmoothingMode;
  /** 'mean' (default): Σ L_i / Σ w_{y_i}; 'sum'; 'none': per-row losses. */
  reduction?: Reduction;
  /** Rows whose label equals this get loss 0 and contribute no gradient. Default −100. */
  ignoreIndex?: number;
  classWeights?: Float32Input;
  classWeightMode?: ClassWeightMode;
  /** z-loss strength λ ≥ 0. Default 0. */
  zLoss?: number;
  /** Compute the gradients. Default true. */
  grad?: boolean;
  /** Where to write ∂hidden (N·D); always overwritten. */
  gradHidden?: Float32Input;
  /** Where to write ∂weight (the weight's layout, V·D). */
  gradWeight?: Float32Input;
  /** Where to write ∂bias (V); needs `bias`. */
  gradBias?: Float32Input;
  /** Add into the given gradWeight / gradBias instead of overwriting them (gradient accumulation). Default false. */
  accumulate?: boolean;
  /**
   * The softmax focal loss of the logits instead of their cross-entropy (docs/spec.md "focal"), with
   * every other option: per row Σ_j α_j·(1−p_j)^γ·r_j·(−log p_j). γ a number or 'flsd-53'; α a number
   * or one per class (V).
   */
  focal?: FocalOptions;
  /**
   * Bytes of logits held at once (one chunk of rows; at least one row of 4·V bytes is always held), an
   * integer in [1, 2^31]. Default 32 MiB (DEFAULT_CHUNK_BYTES). Changes speed and memory, and the last
   * bits of some results (the thread count never does): ∂weight / ∂bias are f32 sums added chunk by
   * chunk and the reduced loss an f64 sum of row-block sums, so they change with the chunk size; for
   * V ≤ 72 the row losses ('none') and ∂hidden change too (the loss kernel computes four rows at a
   * time there, grouped within a chunk). Keep it fixed where bitwise reproducibility matters. A chunk,
   * or a whole call, that wasm32 cannot hold is a RangeError naming the sizes.
   */
  chunkBytes?: number;
}

export interface LinearCrossEntropyResult<
  L extends number | Float32Array = number | Float32Array,
  G extends Float32Array | null = Float32Array | null,
  B extends Float32Array | null = Float32Array | null,
> {
  /** The reduced loss, or per-row losses for reduction 'none'. */
  loss: L;
  /** ∂loss/∂hidden (N·D), or null with grad: false. */
  gradHidden: G;
  /** ∂loss/∂weight in the weight's layout, or null with grad: false. */
  gradWeight: G;
  /** ∂loss/∂bias, or null without a bias or with grad: false. */
  gradBias: B;
}

/** ∂bias's type for the options type O: a Float32Array with a bias and the gradient, null without either. */
export type GradBiasOf<O> = [O] extends [never]
  ? Float32Array | null
  : [GradOf<O>] extends [null]
    ? null
    : "bias" extends keyof O
      ? [O] extends [{ bias: Float32Input }]
        ? GradOf<O>
        : Float32Array | null
      : null;

/**
 * Default bytes of logits per chunk: 32 MiB (258 rows at V = 32000, 162 at V = 50257). Why not less:
 * every chunk adds its G_cᵀ·H_c into the whole ∂weight (V·D floats read and written once per chunk), so
 * a chunk of few rows makes that product memory-bound (at 512×768×50257, 36-row chunks stream 4 GB
 * through ∂weight); a few hundred rows keep it compute-bound. 32 MiB is 1/16 of the 524 MB that the
 * logits and their gradient take at 2048×32000.
 */
export const DEFAULT_CHUNK_BYTES = 32 << 20;
/** The largest chunk accepted (wasm32 could not hold more). */
const MAX_CHUNK_BYTES = 2 ** 31;

const FN = "linearCrossEntropy";
const LAYOUTS = ["vd", "dv"] as const;
/** assembly/common.ts and assembly/linear_cross_entropy.ts codes */
const LAYOUT_CODE = { vd: 0, dv: 1 } as const;
/** The micro-kernel's row count: chunks of a multiple of it keep every row on the 6-row kernel. */
const MR = 6;

/** Rows per chunk for a byte budget: a multiple of MR where the budget allows, at least one row. */
export function chunkRowsFor(chunkBytes: number, classes: number, rows: number): number {
  let r = Math.max(1, Math.floor(chunkBytes / (4 * classes)));
  if (r >= MR) r -= r % MR;
  return Math.max(1, Math.min(r, rows));
}

const align16 = (x: number): number => Math.ceil(x / 16) * 16;

/**
 * The chunk's scratch bytes (assembly/linear_cross_entropy.ts linearScratchBytes): computed here in
 * JS numbers and by the core in u64, and refused unless both agree and wasm32 could hold it. The core
 * used to return an i32: past 2^31 bytes it came back negative and a small scratch slot was handed
 * out for 2 GiB of logits.
 */
function chunkScratchBytes(h: Heap, rows: number, v: number, chunkBytes: number): number {
  const pack = h.exports.linearScratchBytes(1, 1, 1) - 48; // the product's packing area (one row of one class: 3 × 16 bytes besides it)
  // the logits, one 16-byte sum slot per row block, and per thread of the pool a row and a packing area
  const own = align16(rows * v * 4) + align16(Math.min(rows, 65535) * 16) + h.threads * (align16(v * 4) + pack);
  const got = h.exports.linearScratchBytes(rows, v, h.threads);
  if (!(Number.isSafeInteger(pack) && pack > 0 && got === own)) {
    throw new Error(
      `softxent.${FN}: internal error: the core sizes the chunk scratch at ${got} bytes, the facade at ${own} (${rows} rows × ${v} classes); please report this`,
    );
  }
  if (own > h.capacity()) {
    fail(
      FN,
      `one chunk of ${rows} row(s) × classes = ${v} needs ${own} bytes of scratch (4·classes bytes per row, at least one row, plus ${pack} for the product), more than wasm32 can hold (${h.capacity()} bytes); lower options.chunkBytes (received ${chunkBytes})${rows === 1 ? ", or use fewer classes: one row alone does not fit" : ""}`,
    );
  }
  return own;
}

/**
 * Softmax cross-entropy of the logits hidden·Wᵀ + bias, with its gradients with respect to hidden,
 * the weight and the bias, in one call that never holds the N×V logits. Every index-target option of
 * crossEntropy applies.
 */
export function linearCrossEntropy<O extends LinearCrossEntropyOptions & { reduction: "none" }>(
  hidden: Float32Input,
  weight: Float32Input,
  target: Int32Input,
  options: O,
): LinearCrossEntropyResult<Float32Array, GradOf<O>, GradBiasOf<O>>;
export function linearCrossEntropy<O extends LinearCrossEntropyOptions & { reduction?: "mean" | "sum" }>(
  hidden: Float32Input,
  weight: Float32Input,
  target: Int32Input,
  options: O,
): LinearCrossEntropyResult<number, GradOf<O>, GradBiasOf<O>>;
export function linearCrossEntropy(
  hidden: Float32Input,
  weight: Float32Input,
  target: Int32Input,
  options: LinearCrossEntropyOptions,
): LinearCrossEntropyResult<number | Float32Array>;
export function linearCrossEntropy(
  hidden: Float32Input,
  weight: Float32Input,
  target: Int32Input,
  options: LinearCrossEntropyOptions,
): LinearCrossEntropyResult<number | Float32Array> {
  heap(FN);
  const o = checkOptions(FN, options, LINEAR_CROSS_ENTROPY_KEYS, true);
  enter(FN);
  try {
    return compute(hidden, weight, target, o);
  } finally {
    leave();
  }
}

function compute(
  hidden: Float32Input,
  weight: Float32Input,
  target: Int32Input,
  o: Record<string, unknown>,
): LinearCrossEntropyResult<number | Float32Array> {
  const h = heap(FN); // after the options' getters (one could have replaced the instance)
  const v = classesOf(FN, o.classes);
  const layout = oneOf(FN, "weightLayout", o.weightLayout, LAYOUTS, "vd");
  const {
    smoothing: eps,
    smoothingMode,
    reduction,
    ignoreIndex,
    classWeightMode: weightMode,
    zLoss: lambda,
    grad: wantGrad,
  } = readLossOptions(FN, o);
  const accumulate = bool(FN, "accumulate", o.accumulate, false);
  const focal = readFocal(FN, o.focal, v, false);
  const chunkBytes = countIn(FN, "chunkBytes", o.chunkBytes, 1, MAX_CHUNK_BYTES, DEFAULT_CHUNK_BYTES);

  const W = f32Operand(FN, "weight", weight, h);
  if (W.length === 0 || W.length % v !== 0) {
    fail(
      FN,
      `weight.length = ${W.length} must be a positive multiple of classes = ${v} (${layout === "vd" ? "V×D" : "D×V"}, weightLayout '${layout}')`,
    );
  }
  const d = W.length / v;
  const H = f32Operand(FN, "hidden", hidden, h);
  if (H.length % d !== 0) fail(FN, `hidden.length = ${H.length} is not a multiple of D = weight.length / classes = ${d}`);
  const n = H.length / d;
  const Y = i32Operand(FN, "target", target, h);
  expectLength(FN, "target", Y.length, n, `one label per row: hidden.length / D = ${n}`);

  let B: Operand<Float32Array> | null = null;
  if (o.bias !== undefined) {
    B = f32Operand(FN, "bias", o.bias, h);
    expectLength(FN, "bias", B.length, v, "one bias per class");
  }
  let cw: Operand<Float32Array> | null = null;
  if (o.classWeights !== undefined) {
    cw = f32Operand(FN, "classWeights", o.classWeights, h);
    expectLength(FN, "classWeights", cw.length, v, "one weight per class");
    checkWeights(FN, "classWeights", cw, h.f32);
  }

  const inputs: [Operand<Float32Array | Int32Array>, string][] = [
    [H, "hidden"],
    [W, "weight"],
    [Y, "target"],
  ];
  if (B) inputs.push([B, "bias"]);
  if (cw) inputs.push([cw, "classWeights"]);
  const outputs: [Operand<Float32Array>, string][] = [];
  const output = (name: "gradHidden" | "gradWeight" | "gradBias", length: number, what: string): Operand<Float32Array> | null => {
    const x = o[name];
    if (x === undefined) return null;
    if (!wantGrad) fail(FN, `options.${name} was given together with grad: false`);
    const op = f32Operand(FN, name, x, h);
    expectLength(FN, name, op.length, length, what);
    for (const [inp, iname] of inputs) checkNoOverlap(FN, op, name, inp, iname);
    for (const [out, oname] of outputs) checkNoOverlap(FN, op, name, out, oname);
    outputs.push([op, name]);
    return op;
  };
  const gH = output("gradHidden", n * d, `N·D = ${n}·${d}`);
  const gW = output("gradWeight", v * d, `the weight's length, ${v * d}`);
  if (o.gradBias !== undefined && B === null)
    fail(FN, "options.gradBias needs options.bias (the gradient of a bias that is not there); received no bias");
  const gB = output("gradBias", v, "one per class");
  if (accumulate && wantGrad) {
    if (gW === null) fail(FN, "options.accumulate needs options.gradWeight (the gradient to add into); received no gradWeight");
    if (B !== null && gB === null)
      fail(FN, "options.accumulate with a bias needs options.gradBias (the gradient to add into); received no gradBias");
  }

  // ---- sizes: every byte count of the call in JS numbers (exact to 2^53), checked before any allocation
  const rows = n === 0 ? 0 : chunkRowsFor(chunkBytes, v, n); // no rows: no chunk (an empty batch allocates nothing big)
  const chunk = rows === 0 ? 0 : chunkScratchBytes(h, rows, v, chunkBytes);
  const copied = (op: Operand<Float32Array | Int32Array> | null): number => (op !== null && op.copy !== null ? op.length * 4 : 0);
  const outBytes = (op: Operand<Float32Array> | null, length: number): number => (op !== null && op.copy === null ? 0 : length * 4);
  const need =
    copied(H) +
    copied(W) +
    copied(Y) +
    copied(B) +
    copied(cw) +
    (wantGrad ? outBytes(gH, n * d) + outBytes(gW, v * d) + (B ? outBytes(gB, v) : 0) : 0) +
    (reduction === "none" ? n * 4 : 0) +
    (focal ? (focal.alphaVec ? 8 : 4) * v : 0) +
    PARAMS.bytes +
    chunk;
  if (need > h.capacity()) {
    fail(
      FN,
      `this call needs ${need} bytes of wasm memory (copies of the operands that are not resident, the gradients, and ${chunk} bytes of chunk scratch for ${rows} row(s) of classes = ${v}), more than wasm32 can hold (${h.capacity()} bytes after the module's own data); pass the large operands as resident buffers (allocFloat32) or lower options.chunkBytes`,
    );
  }

  // ---- stage (all pointers first, then copies)
  const hPtr = place(h, H, "lce.hidden");
  const wPtr = place(h, W, "lce.weight");
  const yPtr = place(h, Y, "lce.target");
  const bPtr = B ? place(h, B, "lce.bias") : 0;
  const cwPtr = cw ? place(h, cw, "lce.classWeights") : 0;
  const at = (op: Operand<Float32Array> | null, slot: string, bytes: number): number =>
    op !== null && op.copy === null ? op.ptr : h.scratchPtr(slot, bytes);
  const ghPtr = wantGrad ? at(gH, "lce.gradHidden", n * d * 4) : 0;
  const gwPtr = wantGrad ? at(gW, "lce.gradWeight", v * d * 4) : 0;
  const gbPtr = wantGrad && B ? at(gB, "lce.gradBias", v * 4) : 0;
  const lossPtr = reduction === "none" ? h.scratchPtr("lce.loss", n * 4) : 0;
  const scratch = rows === 0 ? 0 : h.scratchPtr("lce.chunk", chunk);
  const p = h.scratchPtr("lce.params", PARAMS.bytes); // the call's parameter block (assembly/params.ts)
  // the focal option: its coefficient row (α_j·w_j, written by the kernel) and a per-class α
  const fcwPtr = focal && rows > 0 ? h.scratchPtr("lce.focalCw", v * 4) : 0;
  const faPtr = focal?.alphaVec ? h.scratchPtr("lce.focalAlpha", v * 4) : 0;
  copyIn(h, H, hPtr);
  copyIn(h, W, wPtr);
  copyIn(h, Y, yPtr);
  if (B) copyIn(h, B, bPtr);
  if (cw) copyIn(h, cw, cwPtr);
  if (accumulate && wantGrad) {
    copyIn(h, gW!, gwPtr);
    if (gB) copyIn(h, gB, gbPtr);
  }
  if (focal?.alphaVec) h.f32.set(focal.alphaVec, faPtr >>> 2);

  const w = paramWriter(h, p);
  const set = w.int;
  set(PARAMS.job, JOB.linear);
  set(LCE.h, hPtr);
  set(LCE.w, wPtr);
  set(LCE.bias, bPtr);
  set(LCE.y, yPtr);
  set(LCE.n, n);
  set(LCE.d, d);
  set(LCE.v, v);
  set(LCE.layout, LAYOUT_CODE[layout]);
  w.f64(LCE.eps, eps);
  set(LCE.others, smoothingMode === "others" ? 1 : 0);
  set(LCE.ignore, ignoreIndex);
  set(LCE.cw, cwPtr);
  set(LCE.wMode, cw ? WEIGHT[weightMode] : WEIGHT.none);
  w.f64(LCE.lambda, lambda);
  set(LCE.reduction, REDUCE[reduction]);
  set(LCE.chunkRows, rows);
  set(LCE.scratch, scratch);
  set(LCE.grad, wantGrad ? 1 : 0);
  set(LCE.gh, ghPtr);
  set(LCE.gw, gwPtr);
  set(LCE.gb, gbPtr);
  set(LCE.acc, accumulate ? 1 : 0);
  set(LCE.rowLoss, lossPtr);
  set(LCE.focal, focal ? 1 : 0);
  w.f64(LCE.gamma, focal ? focal.gamma : 0);
  set(LCE.schedule, focal?.flsd ? FOCAL_SCHEDULE.flsd53 : FOCAL_SCHEDULE.fixed);
  w.f64(LCE.falpha, focal ? focal.alpha : 1);
  set(LCE.falphaV, faPtr);
  set(LCE.focalCw, fcwPtr);
  const bad = runJob(h, FN, p, n * v);
  if (bad >= 0) badLabel(FN, "target", bad, h.i32[(yPtr >>> 2) + bad]!, v, ignoreIndex);

  const loss = reduction === "none" ? h.f32.slice(lossPtr >>> 2, (lossPtr >>> 2) + n) : h.f64[(h.results >>> 3) + RESULT.loss]!;
  if (!wantGrad) return { loss, gradHidden: null, gradWeight: null, gradBias: null };
  return {
    loss,
    gradHidden: deliver(h, ghPtr, n * d, gH),
    gradWeight: deliver(h, gwPtr, v * d, gW),
    gradBias: B ? deliver(h, gbPtr, v, gB) : null,
  };
}
