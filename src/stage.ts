// Moving operands in and out of wasm memory for one call. Resident operands are used where they
// are; plain typed arrays go to named scratch slots (which only grow). All pointers of a call are
// taken first, then the copies are made: a scratch allocation may grow memory and so replace views.

import type { Heap } from "./memory.js";
import type { Operand } from "./validate.js";

/** Pointer for an operand: its own (resident) or the scratch slot's (to be filled by copyIn). */
export function place(h: Heap, op: Operand<Float32Array | Int32Array>, slot: string): number {
  return op.copy === null ? op.ptr : h.scratchPtr(slot, op.length * 4);
}

/** Copies a non-resident operand into its slot (after every place() of the call). */
export function copyIn(h: Heap, op: Operand<Float32Array | Int32Array>, ptr: number): void {
  if (op.copy === null) return;
  if (op.copy instanceof Float32Array) h.f32.set(op.copy, ptr >>> 2);
  else h.i32.set(op.copy, ptr >>> 2);
}

/** The caller-visible array for a resident result: the buffer's (refreshed) view, or a live view. */
export function residentView(h: Heap, op: Operand<Float32Array>): Float32Array {
  const src = op.source as { view?: Float32Array } | Float32Array;
  if (src instanceof Float32Array) {
    return src.buffer === h.memory.buffer ? src : new Float32Array(h.memory.buffer, op.ptr, op.length);
  }
  return src.view!;
}

/**
 * Delivers a computed f32 result of `length` at `ptr`: into the caller's destination `dest` when it
 * is resident (already there) or a plain array (copied), else into a new Float32Array.
 */
export function deliver(h: Heap, ptr: number, length: number, dest: Operand<Float32Array> | null): Float32Array {
  const i = ptr >>> 2;
  if (dest === null) return h.f32.slice(i, i + length);
  if (dest.copy === null) return residentView(h, dest);
  dest.copy.set(h.f32.subarray(i, i + length));
  return dest.copy;
}
