// Moving tensors between TF.js and softxent's wasm memory with no avoidable work per step
// (docs/spec.md, "TF.js adapter": no extra N×K tensor operation, no new N×K host array once warm).
//
// What each TF.js backend does with memory (tfjs 4.22, read from its sources and checked by
// test/integration/tfjs-grad.test.ts, whose kept-gradient case fails if the cpu backend is handed a view):
// - wasm: tensors live in TF.js's own wasm heap. `backend.typedArrayFromHeap(t)` is a view of a
//   tensor's bytes (no copy); `tf.tensor(values)` copies `values` into that heap at once (malloc +
//   memcpy), so handing it a view of softxent's memory is safe and allocates no host array.
// - cpu: `dataSync()` returns the backend's own array (no copy); `tf.tensor(values)` KEEPS `values`
//   as the tensor's storage, and contiguous `tf.slice`s of it are subarrays of that same array under
//   other data ids. An array given to TF.js therefore belongs to TF.js for as long as any of those
//   live, which softxent cannot see: the gradient goes out as a new array that TF.js owns (the one
//   N×K host array a cpu step allocates; TF.js's own cpu kernels allocate one per op).
// - others (webgl, …): `dataSync()` reads back; the gradient goes out as a new array, as on cpu.
//
// Per-call gradient state lives in "slots": wasm-resident buffers (allocFloat32) that only grow.
// A forward pass that TF.js records on its tape computes loss and gradient in one kernel call, in
// place over its slot, and the slot stays pending until the backward pass uploads it. Several
// calls may be pending at once (a sum of two losses); a pending slot whose tape has ended without a
// backward pass (a loss that did not lead to the differentiated value) is reclaimed by the next call.

import type { Tensor } from "@tensorflow/tfjs-core";
import { allocFloat32, allocInt32 } from "../index.js";
import { heap, type WasmBuffer } from "../memory.js";
import { fail, failType } from "../validate.js";

/** The parts of the TF.js namespace used here (pass `tf` itself). */
export interface TfLike {
  backend(): unknown;
  getBackend(): string;
  engine(): unknown;
}

interface WasmBackendLike {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { has(dataId: object): boolean };
}

function wasmBackend(tf: TfLike, t: Tensor): WasmBackendLike | null {
  const b = tf.backend() as Partial<WasmBackendLike> | null;
  if (
    b &&
    typeof b.typedArrayFromHeap === "function" &&
    b.dataIdMap &&
    typeof b.dataIdMap.has === "function" &&
    b.dataIdMap.has(t.dataId)
  ) {
    return b as WasmBackendLike;
  }
  return null;
}

/**
 * A tensor's values without a copy where the backend allows it: a view of TF.js's wasm heap (valid
 * only until TF.js allocates again: use it at once), the cpu backend's own array, or a read-back.
 */
export function hostValues(tf: TfLike, t: Tensor): ArrayLike<number> & { length: number } {
  const wb = wasmBackend(tf, t);
  if (wb !== null) return wb.typedArrayFromHeap(t);
  return t.dataSync() as ArrayLike<number> & { length: number };
}

/** Whether `tf.tensor(values)` copies `values` at once on the current backend (so a view may be passed). */
export function copiesOnUpload(tf: TfLike): boolean {
  const b = tf.backend() as Partial<WasmBackendLike> | null;
  return tf.getBackend() === "wasm" && !!b && typeof b.typedArrayFromHeap === "function";
}

interface EngineLike {
  state?: { gradientDepth?: number; activeTape?: object | null };
}

/**
 * The tape a forward pass is being recorded on, or null when none is (then no gradient will be asked
 * for: model.evaluate, validation, plain calls). `undefined` when this TF.js does not expose it: then
 * every call is treated as taped.
 */
export function currentTape(tf: TfLike): object | null | undefined {
  const state = (tf.engine() as EngineLike | null)?.state;
  if (state === undefined || typeof state.gradientDepth !== "number") return undefined;
  return state.gradientDepth > 0 ? (state.activeTape ?? null) : null;
}

export interface Slot {
  buf: WasmBuffer<Float32Array> | null;
  pending: boolean;
  /** The tape the pending forward pass was recorded on (undefined: unknown TF.js internals). */
  tape: object | null | undefined;
}

const slots: Slot[] = [];
/** With no tape to tell staleness by, keep at most this many pending slots (oldest reclaimed first). */
const MAX_BLIND_PENDING = 8;
const blindOrder: Slot[] = [];

function ensure(slot: Slot, length: number): void {
  if (slot.buf === null || slot.buf.released || slot.buf.length < length) {
    slot.buf?.release();
    slot.buf = null;
    slot.buf = allocFloat32(length);
  }
}

/**
 * A slot of at least `length` floats for one call. `tape` is the call's tape (see currentTape);
 * pending slots of other (finished) tapes are reclaimed first.
 */
export function acquireSlot(length: number, tape: object | null | undefined): Slot {
  for (const s of slots) if (s.pending && s.tape !== undefined && s.tape !== tape) s.pending = false;
  if (tape === undefined && blindOrder.length >= MAX_BLIND_PENDING) blindOrder.shift()!.pending = false;
  let slot: Slot | undefined;
  // Prefer a free slot that is already large enough (no growth), else any free one.
  for (const s of slots)
    if (!s.pending && s.buf !== null && !s.buf.released && s.buf.length >= length) {
      slot = s;
      break;
    }
  slot ??= slots.find((s) => !s.pending);
  if (slot === undefined) {
    slot = { buf: null, pending: false, tape: null };
    slots.push(slot);
  }
  ensure(slot, length);
  return slot;
}

/** Marks a slot as holding a gradient that a backward pass will collect. */
export function holdSlot(slot: Slot, tape: object | null | undefined): void {
  slot.pending = true;
  slot.tape = tape;
  if (tape === undefined) blindOrder.push(slot);
}

export function freeSlot(slot: Slot): void {
  slot.pending = false;
  const i = blindOrder.indexOf(slot);
  if (i >= 0) blindOrder.splice(i, 1);
}

/** The first `length` floats of a slot, as a view of wasm memory (take it after every allocation). */
export function slotView(slot: Slot, length: number): Float32Array {
  return slot.buf!.view.subarray(0, length);
}

let f32Targets: WasmBuffer<Float32Array> | null = null;
let i32Targets: WasmBuffer<Int32Array> | null = null;

/** Shared staging for probability targets (used within one synchronous call only). */
export function f32TargetView(length: number): Float32Array {
  if (f32Targets === null || f32Targets.released || f32Targets.length < length) {
    f32Targets?.release();
    f32Targets = null;
    f32Targets = allocFloat32(length);
  }
  return f32Targets.view.subarray(0, length);
}

/** Shared staging for index labels (used within one synchronous call only). */
export function i32TargetView(length: number): Int32Array {
  if (i32Targets === null || i32Targets.released || i32Targets.length < length) {
    i32Targets?.release();
    i32Targets = null;
    i32Targets = allocInt32(length);
  }
  return i32Targets.view.subarray(0, length);
}

/**
 * Copies index labels into `dest`, checking that each is an integer (a float tensor or a number[] may
 * carry anything) that an Int32 holds exactly: a plain Int32 store wraps, so 2^32 + 3 would train as
 * class 3 and 2^31 would be reported as −2147483648. Within the Int32 range, the class range is checked
 * by the kernel (labels outside [0, K) that are not ignoreIndex), which then reports the real value.
 */
export function copyIndices(fn: string, src: ArrayLike<number>, dest: Int32Array, classes: number): void {
  if (src instanceof Int32Array) {
    dest.set(src);
    return;
  }
  for (let i = 0; i < dest.length; i++) {
    const v = src[i]!;
    dest[i] = checkedIndex(fn, i, v, classes);
  }
}

/** One label as an Int32, exactly: an integer in [−2^31, 2^31), else a RangeError with its real value. */
export function checkedIndex(fn: string, i: number, v: number, classes: number): number {
  if (!Number.isInteger(v)) fail(fn, `labels[${i}] = ${v} is not an integer class index`);
  if (v < -2147483648 || v > 2147483647) {
    fail(fn, `labels[${i}] = ${v} is out of range for classes = ${classes} (a class index is an integer in [0, ${classes}))`);
  }
  return v;
}

/**
 * Labels must be numbers: a 'string' (or 'complex64') tensor is refused by its dtype, before its values
 * are read (TF.js's wasm backend would throw its own "Unknown dtype", the cpu backend hand over bytes).
 */
export function checkLabelDtype(fn: string, labels: { dtype: string }, what: string): void {
  const dt = labels.dtype;
  if (dt !== "int32" && dt !== "float32" && dt !== "bool") {
    failType(fn, `labels must be a numeric tensor (${what}); received a tensor of dtype '${String(dt)}'`);
  }
}

/** Below this many floats a JS loop beats a wasm call. */
const WASM_SCALE_MIN = 64;

/** view[start .. start+len) *= c, in f32 (the same product tf.mul would give). */
function scaleRange(view: Float32Array, start: number, len: number, c: number): void {
  if (len >= WASM_SCALE_MIN) {
    const ptr = view.byteOffset + start * 4;
    heap("tfjs").exports.scalePass(ptr, ptr, len, c);
    return;
  }
  for (let j = start; j < start + len; j++) view[j] = view[j]! * c;
}

/**
 * Chains the upstream gradient `dy` into the kernel's gradient, in place: a scalar for 'mean' and
 * 'sum' (skipped when it is exactly 1), one factor per row for 'none' (one pass when all are equal).
 */
export function applyDy(view: Float32Array, rows: number, k: number, dy: ArrayLike<number>): void {
  if (dy.length === 1 || rows === 0) {
    const c = dy.length === 0 ? 1 : dy[0]!;
    if (c !== 1) scaleRange(view, 0, view.length, c);
    return;
  }
  let uniform = true;
  for (let i = 1; i < rows; i++)
    if (dy[i] !== dy[0]) {
      uniform = false;
      break;
    }
  if (uniform) {
    if (dy[0] !== 1) scaleRange(view, 0, view.length, dy[0]!);
    return;
  }
  for (let i = 0; i < rows; i++) {
    const c = dy[i]!;
    if (c !== 1) scaleRange(view, i * k, k, c);
  }
}
