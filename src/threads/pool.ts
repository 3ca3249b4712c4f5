// The calling thread's side of the worker pool (docs/spec.md "Threads"). The pool's workers
// (src/threads/worker.ts) each run an instance of the threaded core over the heap's shared memory; a call is
// published through shared words (src/threads/protocol.ts) and every thread, the caller included, claims
// row blocks until none is left. The caller then waits for the blocks other threads still run: with
// Atomics.wait where it may block (Node, workers), spinning on a browser's main thread.
//
// A worker that dies (an exception, a trap, process.exit) writes its cause to shared memory before it
// goes; the waiting caller sees it, retires the pool and throws an Error naming the cause. The heap
// builds a new pool on the next call. Workers are unref()'d in Node: an idle pool never keeps a
// process alive.

import {
  ARGS_WORDS,
  CTRL_WORDS,
  DONE,
  FAIL,
  GEN,
  CLAIM,
  HANG,
  KILL,
  KIND,
  MAX_BLOCKS,
  MSG_CHARS,
  NB,
  STOP,
  claimLoop,
  tagOf,
  type BlockExports,
} from "./protocol.js";
import type { WorkerStart } from "./worker.js";

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}
interface NodeWorker extends AnyWorker {
  unref(): void;
  on(event: string, fn: (...a: unknown[]) => void): void;
}

function nodeWorkerThreads(): { Worker: new (url: URL) => NodeWorker } | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== "function") return null;
  return proc.getBuiltinModule("node:worker_threads") as { Worker: new (url: URL) => NodeWorker };
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // "not-equal" at once where allowed
    return true;
  } catch {
    return false;
  }
}

/** Iterations a worker spins on GEN before sleeping (bench/threads: back-to-back calls stay cheap). */
export const WORKER_SPIN = 20000;

/**
 * Milliseconds a call waits for the blocks that workers claimed while none of them finishes, before
 * it gives up on the pool (docs/spec.md "Threads": a worker that never answers). Progress on any
 * block restarts the wait, so a long call of many blocks is never cut short.
 */
export const POOL_STALL_MS = 60_000;

/** Test hooks (test/unit/threads-pool.test.ts): new pools' workers fail while starting; the stall limit. */
export const poolTestHooks = { failAtStart: false, stallMs: POOL_STALL_MS };

export class Pool {
  /** Threads taking part in a call, the caller included. */
  readonly threads: number;
  /** Set once a worker failed: this pool is retired and the heap builds a new one. */
  failed = false;
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly msg: Uint16Array;
  private readonly workers: AnyWorker[] = [];
  private readonly canBlock = mayBlock();
  private gen = 0;
  /** Blocks of the last call run by workers (not the caller): tests and the bench check the pool works. */
  lastWorkerBlocks = 0;

  /** contexts: one context block (threadContextBytes()) per worker, owned by nobody else. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, contexts: number[]) {
    this.threads = threads;
    const ctrl = new SharedArrayBuffer(CTRL_WORDS * 4),
      args = new SharedArrayBuffer(ARGS_WORDS * 8);
    const msg = new SharedArrayBuffer(MSG_CHARS * 2);
    this.ctrl = new Int32Array(ctrl);
    this.args = new Float64Array(args);
    this.msg = new Uint16Array(msg);
    const wt = nodeWorkerThreads();
    for (let i = 1; i < threads; i++) {
      const start: WorkerStart = {
        module,
        memory,
        ctrl,
        args,
        msg,
        index: i,
        ctxBase: contexts[i - 1]!,
        spin: WORKER_SPIN,
        ...(poolTestHooks.failAtStart && { failAtStart: true }),
      };
      let w: AnyWorker;
      if (wt) {
        const nw = new wt.Worker(new URL("./worker.js", import.meta.url));
        nw.unref();
        // Failures are reported through shared memory (the caller is synchronous); keep Node from
        // treating a worker's error event as unhandled.
        nw.on("error", () => {});
        w = nw;
      } else {
        w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
      }
      w.postMessage(start);
      this.workers.push(w);
    }
  }

  /**
   * Runs blocks 0 … nb−1 of a job of `kind` (arguments in `fill`'s array, see runBlock) on every
   * thread, this one included, and returns once all are done. Throws (and retires the pool) when a
   * worker failed.
   */
  run(fn: string, ex: BlockExports, kind: number, nb: number, fill: (a: Float64Array) => void): void {
    // The block index lives in CLAIM's low 16 bits (the kernels' ceBlockRows keeps every job within it).
    if (nb > MAX_BLOCKS) throw new Error(`softxent.${fn}: internal: a job of ${nb} blocks exceeds the pool's ${MAX_BLOCKS}`);
    const ctrl = this.ctrl;
    this.check(fn);
    fill(this.args);
    Atomics.store(ctrl, KIND, kind);
    Atomics.store(ctrl, NB, nb);
    Atomics.store(ctrl, DONE, 0);
    const gen = ++this.gen;
    Atomics.store(ctrl, CLAIM, tagOf(gen));
    Atomics.store(ctrl, GEN, gen);
    Atomics.notify(ctrl, GEN);
    let mine = 0;
    try {
      mine = claimLoop(ex, ctrl, this.args, gen, kind, nb, 0);
    } catch (err) {
      this.retire(); // workers may still run this job's blocks: this pool is not reused
      this.failed = true;
      throw err;
    }
    let seen = -1,
      since = 0;
    for (;;) {
      const d = Atomics.load(ctrl, DONE);
      if (d >= nb) {
        this.lastWorkerBlocks = nb - mine;
        return;
      }
      if (Atomics.load(ctrl, FAIL) !== 0) this.fail(fn, "during");
      const now = performance.now();
      if (d !== seen) {
        seen = d;
        since = now;
      } else if (now - since > poolTestHooks.stallMs) {
        this.failed = true;
        this.retire();
        throw new Error(
          `softxent.${fn}: a thread-pool worker claimed a block and finished none for ${Math.round(now - since)} ms (it never answered); the call's outputs are incomplete, the pool's workers were terminated, and the pool is rebuilt on the next call`,
        );
      }
      if (this.canBlock) Atomics.wait(ctrl, DONE, d, 100);
    }
  }

  private fail(fn: string, when: "before" | "during"): never {
    let text = "";
    for (let i = 0; i < MSG_CHARS && this.msg[i] !== 0; i++) text += String.fromCharCode(this.msg[i]!);
    this.failed = true;
    this.retire();
    throw new Error(
      when === "during"
        ? `softxent.${fn}: a thread-pool worker failed during the call (${text}); the call's outputs are incomplete, and the pool is rebuilt on the next call`
        : `softxent.${fn}: a thread-pool worker had failed (${text}); nothing was written, and the pool is rebuilt on the next call`,
    );
  }

  /**
   * Throws when a worker failed before this call (while starting, or after the last call): the call
   * that needs the pool reports it, with its cause, before it writes any output (callers that write
   * before their first run call this first).
   */
  check(fn: string): void {
    if (Atomics.load(this.ctrl, FAIL) !== 0) this.fail(fn, "before");
  }

  /** Test hook: the next block a worker claims is never finished (that worker hangs until terminated). */
  hangOneWorker(): void {
    Atomics.store(this.ctrl, HANG, 1);
  }

  /** Test hook (test/threads-*.test.ts): the next block a worker claims makes that worker exit. */
  killOneWorker(): void {
    Atomics.store(this.ctrl, KILL, 1);
  }

  /** Stops and terminates every worker. */
  retire(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

/** Why threads cannot run here, with the fix; null when they can. */
export function threadsUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (typeof SharedArrayBuffer !== "function") {
    return g.crossOriginIsolated === false
      ? "SharedArrayBuffer is unavailable because the page is not cross-origin isolated; serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp"
      : "this engine has no SharedArrayBuffer";
  }
  if (g.crossOriginIsolated === false) {
    return "the page is not cross-origin isolated (crossOriginIsolated is false); serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return "this engine has no shared WebAssembly memory (wasm threads)";
  }
  if (nodeWorkerThreads() === null && typeof g.Worker !== "function") return "this environment has no Worker";
  return null;
}

/** The thread count 'auto' stands for: Node's availableParallelism(), a browser's hardwareConcurrency. */
export function autoThreads(): number {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node && typeof proc.getBuiltinModule === "function") {
    const os = proc.getBuiltinModule("node:os") as { availableParallelism?: () => number; cpus(): unknown[] };
    return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  }
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof hc === "number" && hc >= 1 ? Math.floor(hc) : 1;
}
