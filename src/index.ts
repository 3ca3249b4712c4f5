// softxent: label-smoothed softmax cross-entropy and its gradient, on a WebAssembly SIMD core.
//
//   import { init, crossEntropy } from "softxent";
//   await init();
//   const { loss, grad } = crossEntropy(logits, labels, { classes: 10, smoothing: 0.1 });

import { loadCore, loadCoreSync } from "./loader.js";
import { autoThreads, threadsUnavailable } from "./threads/pool.js";
import { heapOrNull, setHeap, heap, type WasmBuffer } from "./memory.js";
import { enter, leave } from "./guard.js";
import { checkOptions, describe, fail, failType } from "./validate.js";
import type { BackendInfo, InitOptions } from "./types.js";

export { crossEntropy } from "./cross_entropy.js";
export { logSoftmax, softmax } from "./softmax.js";
export { smoothTargets } from "./smooth.js";
export { sigmoidCrossEntropy } from "./sigmoid.js";
export { distillation } from "./distillation.js";
export { calibration } from "./calibration.js";
export { fitTemperature } from "./temperature.js";
export {
  linearCrossEntropy,
  DEFAULT_CHUNK_BYTES,
  type LinearCrossEntropyOptions,
  type LinearCrossEntropyResult,
  type GradBiasOf,
  type WeightLayout,
} from "./linear_cross_entropy.js";
export { WasmBuffer } from "./memory.js";
export type * from "./types.js";

export const VERSION = "0.1.0";

const INIT_KEYS: ReadonlySet<string> = new Set(["simd", "relaxedSimd", "wasm", "threads"]);
/** The thread count of the instance in place, and why it is lower than asked, if it is. */
let threadsNote: string | undefined;

interface ThreadPlan {
  threads: number;
  note: string | undefined;
}

/** Resolves options.threads: the count to run, or throws where threads > 1 cannot run (docs/spec.md "Threads"). */
function threadPlan(fn: string, options: InitOptions | undefined): ThreadPlan {
  const t = options?.threads;
  if (t === undefined || t === 1) return { threads: 1, note: undefined };
  if (t !== "auto" && (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > 255)) {
    if (typeof t !== "number") failType(fn, `options.threads must be an integer ≥ 1 or 'auto'; received ${describe(t)}`);
    fail(fn, `options.threads must be an integer in [1, 255] or 'auto'; received ${t}`);
  }
  if (options?.wasm !== undefined)
    fail(fn, "options.threads > 1 cannot be combined with options.wasm yet (the threaded builds load from the package's files)");
  const why = threadsUnavailable();
  if (t === "auto") {
    const n = Math.min(255, autoThreads());
    if (n > 1 && why !== null) return { threads: 1, note: `threads: 'auto' runs 1 thread: ${why}` };
    return { threads: n, note: undefined };
  }
  if (why !== null) throw new Error(`softxent.${fn}: threads: ${t} cannot run here: ${why}`);
  return { threads: t, note: undefined };
}
let pending: Promise<void> | null = null;
let pendingKey: InitOptions | undefined;
/**
 * Requests that load a core are numbered; a core is installed only if no later request has installed
 * one already. So an init() still pending when a later initSync() (or init()) completes resolves
 * without replacing that instance — and without releasing the buffers allocated from it since.
 */
let requests = 0;
let installed = 0;

function install(request: number, core: Parameters<typeof setHeap>[0], plan: ThreadPlan): void {
  if (request < installed) return; // superseded: a later request's instance stays
  installed = request;
  threadsNote = plan.note;
  setHeap(core, plan.threads);
}

/** The options read once (getters run here only), or undefined when none were given. */
function snapshotInit(fn: string, given: InitOptions | undefined): InitOptions | undefined {
  const o = checkOptions(fn, given, INIT_KEYS, false);
  return given === undefined ? undefined : (o as InitOptions);
}

/** Whether the loaded core already satisfies these options (so init can return at once). */
function satisfied(options: InitOptions | undefined, plan: ThreadPlan): boolean {
  const h = heapOrNull();
  if (h === null || options?.wasm !== undefined) return false;
  // without `threads`, the instance in place keeps its thread count (init() from another module
  // does not drop a threaded instance); a reload for other options runs 1 thread
  if (options?.threads !== undefined && (h.threads !== plan.threads || threadsNote !== plan.note)) return false;
  const build = h.core.build;
  if (options?.simd !== undefined && (build !== "scalar") !== options.simd) return false;
  if (options?.relaxedSimd !== undefined && (build === "relaxed-simd") !== options.relaxedSimd) return false;
  return true;
}

/**
 * Loads and instantiates the wasm core (Node, browsers, workers). Cached: calling it again is cheap.
 * Calling it with a different `simd` choice (or new `wasm` sources) replaces the instance; buffers of the
 * previous instance are released.
 */
export function init(given?: InitOptions): Promise<void> {
  const options = snapshotInit("init", given);
  let plan: ThreadPlan;
  try {
    plan = threadPlan("init", options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (satisfied(options, plan)) {
    installed = ++requests; // the instance in place answers the latest request: earlier pending ones yield
    return Promise.resolve();
  }
  if (
    pending !== null &&
    pendingKey?.simd === options?.simd &&
    pendingKey?.relaxedSimd === options?.relaxedSimd &&
    options?.wasm === undefined &&
    pendingKey?.wasm === undefined &&
    pendingKey?.threads === options?.threads
  )
    return pending;
  pendingKey = options;
  const request = ++requests;
  const p: Promise<void> = loadCore(options, plan.threads > 1).then(
    (core) => {
      if (pending === p) pending = null;
      install(request, core, plan); // a promise callback: never inside a running call
    },
    (err: unknown) => {
      if (pending === p) pending = null;
      throw err;
    },
  );
  pending = p;
  return p;
}

/** As init(), synchronously: in Node, or anywhere given `{ wasm: bytes | WebAssembly.Module }`. */
export function initSync(given?: InitOptions): void {
  const options = snapshotInit("initSync", given);
  const plan = threadPlan("initSync", options);
  if (satisfied(options, plan)) {
    installed = ++requests;
    return;
  }
  const request = ++requests;
  const core = loadCoreSync(options, plan.threads > 1);
  enter("initSync");
  try {
    install(request, core, plan);
  } finally {
    leave();
  }
}

/** Which build runs, and how much wasm memory it holds. Throws before init. */
export function backendInfo(): BackendInfo {
  const h = heap("backendInfo");
  return {
    build: h.core.build,
    simd: h.core.build !== "scalar",
    simdSupported: h.core.simdSupported,
    relaxedSimdSupported: h.core.relaxedSimdSupported,
    memoryBytes: h.memory.buffer.byteLength,
    allocatedBytes: h.allocatedBytes,
    version: VERSION,
    threads: h.threads,
    ...(threadsNote === undefined ? {} : { threadsNote }),
  };
}

function lengthArg(fn: string, length: unknown): number {
  if (typeof length !== "number") failType(fn, `length must be a number; received ${describe(length)}`);
  if (!Number.isInteger(length) || length < 0) fail(fn, `length must be an integer ≥ 0; received ${length}`);
  return length;
}

/** A Float32 buffer in wasm memory: fill `.view`, pass the buffer to any function, `.release()` it when done. */
export function allocFloat32(length: number): WasmBuffer<Float32Array> {
  const n = lengthArg("allocFloat32", length);
  const h = heap("allocFloat32");
  enter("allocFloat32");
  try {
    return h.allocBuffer<Float32Array>(Float32Array, n);
  } finally {
    leave();
  }
}

/** An Int32 buffer in wasm memory (labels). */
export function allocInt32(length: number): WasmBuffer<Int32Array> {
  const n = lengthArg("allocInt32", length);
  const h = heap("allocInt32");
  enter("allocInt32");
  try {
    return h.allocBuffer<Int32Array>(Int32Array, n);
  } finally {
    leave();
  }
}
