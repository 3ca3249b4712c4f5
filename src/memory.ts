// The one place that owns the wasm linear memory: it allocates (a first-fit free list above the
// module's heap base), grows the memory, and refreshes every typed-array view right after growing —
// `memory.grow` detaches the old ArrayBuffer. Kernels never allocate; the facade asks this module for
// pointers and copies plain typed arrays in and out of named scratch slots that only ever grow.

import type { CoreExports, LoadedCore } from "./abi.js";
import { Pool } from "./threads/pool.js";
import { enter, leave } from "./guard.js";

const PAGE = 65536;
const ALIGN = 16;
/** wasm32: 65536 pages. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

type ViewCtor = Float32ArrayConstructor | Int32ArrayConstructor;

/**
 * A buffer's state, reachable only from this module: the public object exposes read-only getters,
 * so no caller can rewrite the pointer or the length the kernels are given.
 */
export interface BufferState {
  heap: Heap | null;
  view: Float32Array | Int32Array;
  readonly ctor: ViewCtor;
  readonly ptr: number;
  readonly length: number;
  readonly bytes: number;
}

/** Only allocBuffer may construct a WasmBuffer. */
const TOKEN: unique symbol = Symbol("softxent.WasmBuffer");
let stateOf: (b: WasmBuffer<Float32Array | Int32Array>) => BufferState;
let hasState: (x: unknown) => boolean;

/**
 * A block of wasm memory holding `length` elements, with a typed-array view over it. Pass the buffer
 * itself (or its view) to any softxent function: it is used in place, without copying.
 * The view object stays the same between calls; after the library grows its memory (when a larger
 * input or a new buffer needs room), or hands memory released by another buffer to a new one, it is
 * replaced by a fresh view of the same bytes — read `.view` again rather than keeping an old
 * reference across allocations. Call `release()` when done.
 */
export class WasmBuffer<T extends Float32Array | Int32Array> {
  readonly #s: BufferState;

  static {
    stateOf = (b) => b.#s;
    hasState = (x) => typeof x === "object" && x !== null && #s in x;
  }

  /** @internal Buffers come from allocFloat32 / allocInt32. */
  constructor(token: typeof TOKEN, heap: Heap, ctor: ViewCtor, ptr: number, length: number, bytes: number) {
    if (token !== TOKEN) throw new TypeError("softxent: a WasmBuffer is made by allocFloat32() or allocInt32(), not by new");
    this.#s = { heap, ctor, ptr, length, bytes, view: new ctor(heap.memory.buffer, ptr, length) };
  }

  /** Number of elements. */
  get length(): number {
    return this.#s.length;
  }

  /** Byte offset in wasm memory (what the kernels receive). */
  get byteOffset(): number {
    return this.#s.ptr;
  }

  /** 'float32' or 'int32'. */
  get kind(): "float32" | "int32" {
    return this.#s.ctor === Float32Array ? "float32" : "int32";
  }

  /** The typed array over this buffer's bytes. Throws after release(). */
  get view(): T {
    if (this.#s.heap === null) throw new TypeError("softxent: this WasmBuffer has been released");
    return this.#s.view as T;
  }

  /** Whether release() has been called (or the instance it belonged to was replaced by init). */
  get released(): boolean {
    return this.#s.heap === null;
  }

  /** Returns the memory to the library. Further use of the buffer throws. Releasing twice is a no-op. */
  release(): void {
    const heap = this.#s.heap;
    if (heap === null) return;
    enter("WasmBuffer.release");
    try {
      heap.freeBuffer(this as WasmBuffer<Float32Array | Int32Array>);
    } finally {
      leave();
    }
  }
}

/** A genuine WasmBuffer (a brand check: no prototype tricks, no Proxy, no getters run). */
export function isWasmBuffer(x: unknown): x is WasmBuffer<Float32Array | Int32Array> {
  return hasState(x);
}

/** The private state of a genuine WasmBuffer (facade modules only). */
export function bufferState(b: WasmBuffer<Float32Array | Int32Array>): BufferState {
  return stateOf(b);
}

interface Block {
  ptr: number;
  size: number;
}

export class Heap {
  readonly exports: CoreExports;
  readonly memory: WebAssembly.Memory;
  readonly core: LoadedCore;
  /** Whole-memory views, replaced after every growth. */
  f32!: Float32Array;
  i32!: Int32Array;
  f64!: Float64Array;
  /** Free blocks sorted by address. */
  private free: Block[] = [];
  private readonly live = new Set<BufferState>();
  /** Memory buffers detached by growth: a view over one of them is a stale `.view` kept too long. */
  private readonly detached = new WeakSet<ArrayBufferLike>();
  /**
   * Ranges released by WasmBuffers since the memory was last detached. A caller may still hold a view
   * of one (the released buffer's `.view`, or a subarray of it); such a view is indistinguishable by
   * address from a new buffer placed there. So before a new buffer takes bytes from one of these
   * ranges, the memory is detached (`memory.grow(0)`): every view taken before — stale or not —
   * becomes a view of a detached buffer, which the facade refuses.
   *
   * A shared memory cannot be detached: growing (by 0 pages or more) gives `memory.buffer` a new
   * SharedArrayBuffer object, but views of the old one keep reading and writing the same bytes. So
   * there the ranges stay tainted for the instance's life: they serve scratch only, never another
   * buffer (sorted by address, merged where they touch).
   */
  private tainted: Block[] = [];
  private readonly scratch = new Map<string, Block>();
  private readonly base: number;
  /** Byte offset of the kernels' f64 results (RESULTS in assembly/common.ts). */
  readonly results: number;
  allocatedBytes = 0;
  /**
   * A threaded build's shared memory (docs/spec.md "Threads"). Growth never detaches a shared
   * buffer, so the stale-view rule differs: see allocBuffer.
   */
  readonly shared: boolean;
  /** Threads a call may use, the caller included (1: no pool). */
  readonly threads: number;
  private pool: Pool | null = null;

  constructor(core: LoadedCore, threads = 1) {
    this.core = core;
    this.exports = core.exports;
    this.memory = core.exports.memory;
    this.base = core.exports.heapBase();
    this.shared = core.module !== undefined;
    this.threads = this.shared ? threads : 1;
    const top = this.memory.buffer.byteLength;
    if (top > this.base) this.free.push({ ptr: this.base, size: top - this.base });
    this.refresh();
    if (this.shared) {
      // Every instance over this memory re-applies the module's data segments when it starts, zeros
      // for the static scratch regions included: the calling thread gets a context block of its own
      // too, so a worker starting mid-call cannot clear state it is using (assembly/thread_context.ts).
      core.exports.setThreadContext(this.alloc(this.contextBytes()));
    }
    this.results = core.exports.resultsPtr();
  }

  /**
   * The pool for a call over `elements` logits, or null when the call runs on this thread alone (one
   * thread, or a call below POOL_MIN_ELEMENTS). A pool retired by a failed worker is replaced here.
   */
  poolFor(elements: number): Pool | null {
    if (this.threads === 1 || elements < poolMinElements) return null;
    if (this.pool === null || this.pool.failed) {
      const bytes = this.contextBytes();
      const contexts: number[] = [];
      // fresh context blocks: a failed pool's workers may still be finishing a block in theirs
      for (let i = 1; i < this.threads; i++) contexts.push(this.alloc(bytes));
      this.pool = new Pool(this.core.module!, this.memory, this.threads, contexts);
    }
    return this.pool;
  }

  /** The core's context block size, checked before use (an i32 from wasm: a wrong one would corrupt memory). */
  private contextBytes(): number {
    const bytes = this.exports.threadContextBytes();
    if (!(Number.isSafeInteger(bytes) && bytes > 0 && bytes <= 1 << 24)) {
      throw new Error(`softxent: internal error: the core reports a thread context of ${bytes} bytes; please report this`);
    }
    return bytes;
  }

  /** Test hook: the pool of a threaded instance (or null before its first pooled call). */
  currentPool(): Pool | null {
    return this.pool;
  }

  /** Re-creates every view over the (new) memory buffer. Called only right after growth or detachment. */
  private refresh(): void {
    const buf = this.memory.buffer;
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    for (const b of this.live) b.view = new b.ctor(buf, b.ptr, b.length);
    // an unshared memory's old views are detached now; a shared memory's old views still reach its bytes
    if (!this.shared) this.tainted = [];
  }

  /** The most bytes this instance could ever hand out: wasm32's limit less the module's own data. */
  capacity(): number {
    return MAX_MEMORY_BYTES - this.base;
  }

  /** Bytes the allocator could still hand out (up to wasm32's limit). */
  headroom(): number {
    return MAX_MEMORY_BYTES - this.memory.buffer.byteLength + this.free.reduce((s, b) => s + b.size, 0);
  }

  /** Allocates `bytes` (rounded up to 16). Throws RangeError when wasm32 cannot hold it; state is unchanged then. */
  alloc(bytes: number, avoidTainted = false): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < size) continue;
      const ptr = avoidTainted ? this.cleanStart(b.ptr, b.ptr + b.size, size) : b.ptr;
      if (ptr < 0) continue;
      if (ptr > b.ptr) {
        // take [ptr, ptr + size) from the middle: the bytes before it stay free
        const end = b.ptr + b.size;
        b.size = ptr - b.ptr;
        if (end > ptr + size) this.free.splice(i + 1, 0, { ptr: ptr + size, size: end - ptr - size });
      } else if (b.size === size) this.free.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      this.allocatedBytes += size;
      return ptr;
    }
    // Avoiding tainted bytes, grow by the whole size: the free tail may be tainted, and the new pages
    // alone then hold a clean start (after a growth an unshared memory has no taint left anyway).
    this.grow(avoidTainted && this.shared ? size + ALIGN : size, 0, avoidTainted && this.shared);
    return this.alloc(size, avoidTainted);
  }

  /** The lowest start in [from, to) of `size` bytes outside every tainted range, or −1. */
  private cleanStart(from: number, to: number, size: number): number {
    let start = from;
    for (;;) {
      if (start + size > to) return -1;
      const end = start + size;
      const hit = this.tainted.find((r) => start < r.ptr + r.size && r.ptr < end);
      if (hit === undefined) return start;
      start = Math.ceil((hit.ptr + hit.size) / ALIGN) * ALIGN;
    }
  }

  private isTainted(ptr: number, end: number): boolean {
    return this.tainted.some((r) => ptr < r.ptr + r.size && r.ptr < end);
  }

  /** Makes room for a block of `size` bytes at the top of memory. */
  private grow(size: number, minPages = 0, ignoreTail = false): void {
    const top = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const atTop = last !== undefined && last.ptr + last.size === top;
    const tail = atTop && !ignoreTail ? last.size : 0;
    const pages = Math.max(minPages, Math.ceil((size - tail) / PAGE));
    if (top + pages * PAGE > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `softxent: needs ${size} more bytes of wasm memory, beyond what wasm32 can address ` + `(${MAX_MEMORY_BYTES} bytes; ${top} in use)`,
      );
    }
    const old = this.memory.buffer;
    try {
      this.memory.grow(pages);
    } catch (err) {
      throw new RangeError(`softxent: the engine refused to grow wasm memory by ${pages * PAGE} bytes (${(err as Error).message})`);
    }
    if (atTop) last!.size += pages * PAGE;
    else this.free.push({ ptr: top, size: pages * PAGE });
    this.detached.add(old);
    this.refresh();
  }

  /**
   * Whether `buffer` is this instance's memory from before a growth: detached (length 0) for an
   * unshared memory, where a view over it would read as a valid empty input; for a shared memory an
   * older SharedArrayBuffer object, whose views still reach the same bytes but say nothing of which
   * buffer they belong to. Either way such a view is refused.
   */
  isDetachedMemory(buffer: ArrayBufferLike): boolean {
    return this.detached.has(buffer);
  }

  release(ptr: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.allocatedBytes -= size;
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i]!.ptr < ptr) i++;
    free.splice(i, 0, { ptr, size });
    // Coalesce with the next, then with the previous block.
    if (i + 1 < free.length && ptr + size === free[i + 1]!.ptr) {
      free[i]!.size += free[i + 1]!.size;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1]!.ptr + free[i - 1]!.size === ptr) {
      free[i - 1]!.size += free[i]!.size;
      free.splice(i, 1);
    }
  }

  allocBuffer<T extends Float32Array | Int32Array>(ctor: ViewCtor, length: number): WasmBuffer<T> {
    const bytes = length * 4;
    // A shared memory's buffer is never detached (grow(0) cannot refuse old views), so there a new
    // buffer never takes bytes released by another since the last growth: they serve scratch only.
    // A real growth gives the memory a new SharedArrayBuffer, which the facade tells from the old
    // one (views over the old one are refused as before), and clears the taint.
    const ptr = this.alloc(bytes, this.shared);
    const end = ptr + Math.max(ALIGN, bytes);
    if (this.isTainted(ptr, end)) this.detachViews();
    const buf = new WasmBuffer<T>(TOKEN, this, ctor, ptr, length, bytes);
    this.live.add(stateOf(buf as WasmBuffer<Float32Array | Int32Array>));
    return buf;
  }

  /**
   * Detaches the memory's ArrayBuffer without growing it (`grow(0)` replaces the buffer, as every
   * growth does) and refreshes the views: any view a caller kept from before now has length 0 and is
   * refused as "taken before the memory grew".
   */
  private detachViews(): void {
    const old = this.memory.buffer;
    this.memory.grow(0);
    // An engine that kept the old buffer on grow(0) gets a real growth of one page instead.
    if (this.memory.buffer === old) {
      this.grow(0, 1);
      return;
    }
    this.detached.add(old);
    this.refresh();
  }

  freeBuffer(buf: WasmBuffer<Float32Array | Int32Array>): void {
    const s = stateOf(buf);
    if (!this.live.delete(s)) return;
    s.heap = null;
    s.view = new s.ctor(0);
    this.taint(s.ptr, Math.max(ALIGN, s.bytes));
    this.release(s.ptr, s.bytes);
  }

  /** Adds [ptr, ptr + size) to the tainted ranges, kept sorted and merged (a shared memory keeps them for good). */
  private taint(ptr: number, size: number): void {
    const t = this.tainted;
    let i = 0;
    while (i < t.length && t[i]!.ptr + t[i]!.size < ptr) i++;
    let start = ptr,
      end = ptr + size,
      j = i;
    while (j < t.length && t[j]!.ptr <= end) {
      start = Math.min(start, t[j]!.ptr);
      end = Math.max(end, t[j]!.ptr + t[j]!.size);
      j++;
    }
    t.splice(i, j - i, { ptr: start, size: end - start });
  }

  /** Detaches every buffer (used when init replaces this instance). */
  retire(): void {
    this.pool?.retire();
    this.pool = null;
    for (const s of this.live) {
      s.heap = null;
      s.view = new s.ctor(0);
    }
    this.live.clear();
  }

  /**
   * A scratch block of at least `bytes` for slot `name`. It only ever grows (to the largest size seen),
   * so steady-state calls allocate nothing. Pointers stay valid across growth; views do not — take
   * views (this.f32 …) only after every scratch() call of an operation.
   */
  scratchPtr(name: string, bytes: number): number {
    const cur = this.scratch.get(name);
    if (cur && cur.size >= bytes) return cur.ptr;
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    // The old block is freed first (its contents are never needed again), so the larger one can reuse
    // its bytes: allocating first left both held at once, and a call near the limit failed after a
    // smaller one where it succeeds on a fresh instance. If the allocation fails, the slot is gone.
    if (cur) {
      this.scratch.delete(name);
      this.release(cur.ptr, cur.size);
    }
    const ptr = this.alloc(size);
    this.scratch.set(name, { ptr, size });
    return ptr;
  }

  /** The live buffer whose bytes contain [byteOffset, byteOffset + byteLength), or null. */
  ownerOf(byteOffset: number, byteLength: number): BufferState | null {
    for (const b of this.live) {
      if (byteOffset >= b.ptr && byteOffset + byteLength <= b.ptr + b.bytes) return b;
    }
    return null;
  }
}

let current: Heap | null = null;

/**
 * Logits per call below which a call runs on the calling thread alone even with a pool: the hand-off
 * costs more than the split gains (measured: bench/threads, docs/performance.md "Threads"). Changes
 * no result: the blocks and their order are the same either way.
 */
export const POOL_MIN_ELEMENTS = 32768;
let poolMinElements = POOL_MIN_ELEMENTS;

/** Bench hook (bench/threads.ts measures the threshold): the pool's small-call threshold. */
export function setPoolMinElements(n: number): void {
  poolMinElements = n;
}

export function setHeap(core: LoadedCore, threads = 1): Heap {
  current?.retire();
  current = new Heap(core, threads);
  return current;
}

export function heapOrNull(): Heap | null {
  return current;
}

/** The heap, or the "call init() first" error of docs/spec.md. */
export function heap(fn: string): Heap {
  if (current === null) {
    throw new Error(`softxent.${fn}: the wasm core is not loaded; call \`await init()\` (or \`initSync()\`) first`);
  }
  return current;
}
