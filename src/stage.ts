// Moving operands in and out of wasm memory for one call. Resident operands are used where they
// are; plain typed arrays go to named scratch slots (which only grow). All pointers of a call are
// taken first, then the copies are made: a scratch allocation may grow memory and so replace views.
//
// Also the one home of the destination rules every function with a `gradOut` / `out` option shares:
// in place over the input, a resident destination written directly, a copied input computed over in
// its own scratch copy, else a scratch slot — and delivery of the result into whichever it was.

import { bufferState, isWasmBuffer, type Heap } from "./memory.js";
import { bufferOf, checkNoOverlap, expectLength, f32Operand, type Operand } from "./validate.js";

/** %TypedArray%.prototype, whose `set` is looked up at each call (never an override on the caller's object). */
const TA_PROTO = Object.getPrototypeOf(Uint8Array.prototype) as { set: (this: unknown, src: ArrayLike<number>, offset?: number) => void };

/** Pointer for an operand: its own (resident) or the scratch slot's (to be filled by copyIn). */
export function place(h: Heap, op: Operand<Float32Array | Int32Array>, slot: string): number {
  return op.copy === null ? op.ptr : h.scratchPtr(slot, op.length * 4);
}

/**
 * Copies a non-resident operand into its slot (after every place() of the call). The element count
 * copied is the operand's intrinsic length: `set` from a typed array reads the source's internal
 * slots, so a subclass's `length` getter cannot make it write past the slot.
 */
export function copyIn(h: Heap, op: Operand<Float32Array | Int32Array>, ptr: number): void {
  if (op.copy === null) return;
  if (op.f32) h.f32.set(op.copy, ptr >>> 2);
  else h.i32.set(op.copy, ptr >>> 2);
}

/** The caller-visible array for a resident result: the buffer's (refreshed) view, or a live view. */
export function residentView(h: Heap, op: Operand<Float32Array>): Float32Array {
  const src = op.source;
  if (isWasmBuffer(src)) return bufferState(src).view as Float32Array;
  return bufferOf(src) === h.memory.buffer ? (src as Float32Array) : new Float32Array(h.memory.buffer, op.ptr, op.length);
}

/**
 * Delivers a computed f32 result of `length` at `ptr`: into the caller's destination `dest` when it
 * is resident (already there) or a plain array (copied), else into a new Float32Array.
 */
export function deliver(h: Heap, ptr: number, length: number, dest: Operand<Float32Array> | null): Float32Array {
  const i = ptr >>> 2;
  if (dest === null) return h.f32.slice(i, i + length);
  if (dest.copy === null) return residentView(h, dest);
  TA_PROTO.set.call(dest.copy, h.f32.subarray(i, i + length));
  return dest.copy;
}

/** A caller-chosen destination (`gradOut`, `out`) for a result the size of `input`. */
export interface Destination {
  op: Operand<Float32Array>;
  /** The destination is the input itself (or a resident alias of it): the result overwrites it. */
  inPlace: boolean;
}

/**
 * Resolves `value` (the `name` option) as the destination of a result of `length` floats computed
 * from `input`: it may be the input itself (in place), else it must not overlap it. Other operands it
 * must not overlap are checked by the caller (checkNoOverlap).
 */
export function destination(
  fn: string,
  name: string,
  value: unknown,
  h: Heap,
  input: Operand<Float32Array>,
  inputName: string,
  length: number,
  what: string,
): Destination {
  const op = f32Operand(fn, name, value, h);
  expectLength(fn, name, op.length, length, what);
  const inPlace = op.source === input.source || (op.copy === null && input.copy === null && op.ptr === input.ptr);
  if (!inPlace) checkNoOverlap(fn, op, name, input, inputName);
  return { op, inPlace };
}

/**
 * Where the kernel writes the result (call with the other place() calls, before the copies):
 * over the input when in place or when the input is a copy (the kernels allow out = in), directly
 * into a resident destination, else into scratch slot `slot`.
 */
export function destinationPtr(
  h: Heap,
  d: Destination | null,
  input: Operand<Float32Array>,
  inputPtr: number,
  length: number,
  slot = "g",
): number {
  if (d?.inPlace) return inputPtr;
  if (d !== null && d.op.copy === null) return d.op.ptr;
  if (input.copy !== null) return inputPtr;
  return h.scratchPtr(slot, length * 4);
}

/** Delivers the result written at `ptr` (from destinationPtr) to the caller. */
export function deliverTo(h: Heap, ptr: number, length: number, d: Destination | null, input: Operand<Float32Array>): Float32Array {
  // In place over copied input: the caller's input array is the destination.
  if (d?.inPlace && input.copy !== null) return deliver(h, ptr, length, input);
  return deliver(h, ptr, length, d === null ? null : d.op);
}

/** Writers for the fields of a parameter block at byte offset p (assembly/params.ts, focal_params.ts). */
export interface ParamWriter {
  /** An i32 or pointer field (the low half of its 8-byte slot). */
  int(field: number, x: number): void;
  /** An f64 field. */
  f64(field: number, x: number): void;
}

/** The writers for the block at p; call after every allocation of the call (the views are then current). */
export function paramWriter(h: Heap, p: number): ParamWriter {
  const i32 = h.i32,
    f64 = h.f64;
  return {
    int: (field, x) => {
      i32[(p + field) >>> 2] = x;
    },
    f64: (field, x) => {
      f64[(p + field) >>> 3] = x;
    },
  };
}
