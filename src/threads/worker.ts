// A pool worker (docs/spec.md "Threads"): instantiates the threaded core over the shared memory, points
// its writable static regions at its own context block, then claims row blocks of each published job
// (src/threads/protocol.ts) until the pool stops it. The same file runs as a Node worker_threads worker and
// as a browser module Worker; it is found with `new URL("./worker.js", import.meta.url)` (src/threads/pool.ts).
//
// A failure here (an exception, a trap, process.exit in Node) is written to the shared FAIL / MSG words
// and notified, so that the synchronous caller waiting for this worker's block throws instead of hanging.

import {
  CTRL_WORDS,
  DEAD,
  FAIL,
  GEN,
  HANG,
  KILL,
  KIND,
  MSG_CHARS,
  NB,
  READY,
  STATE,
  STOP,
  claimLoop,
  type BlockExports,
} from "./protocol.js";

export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  msg: SharedArrayBuffer;
  /** 1-based: thread 0 is the caller. */
  index: number;
  ctxBase: number;
  /** Iterations to spin on GEN before sleeping in Atomics.wait (keeps the hand-off cheap between calls). */
  spin: number;
  /** Test hook (src/threads/pool.ts poolTestHooks): fail while starting, before the instance exists. */
  failAtStart?: boolean;
}

interface NodeProcess {
  versions?: { node?: string };
  on(event: "exit", fn: (code: number) => void): void;
  exit(code: number): never;
  getBuiltinModule?: (id: string) => unknown;
}
interface Port {
  once(event: "message", fn: (m: WorkerStart) => void): void;
}

const proc = (globalThis as { process?: NodeProcess }).process;

function start(m: WorkerStart): void {
  const ctrl = new Int32Array(m.ctrl);
  const args = new Float64Array(m.args);
  const msg = new Uint16Array(m.msg);
  let failed = false;
  const fail = (cause: string): void => {
    if (failed) return;
    failed = true;
    if (Atomics.load(ctrl, STOP)) return; // retired: nobody waits
    Atomics.store(ctrl, STATE + m.index, DEAD);
    if (Atomics.compareExchange(ctrl, FAIL, 0, m.index + 1) === 0) {
      const text = `softxent pool worker ${m.index}: ${cause}`.slice(0, MSG_CHARS - 1);
      for (let i = 0; i < text.length; i++) msg[i] = text.charCodeAt(i);
      msg[text.length] = 0;
    }
    Atomics.notify(ctrl, 2 /* DONE */);
  };
  if (proc?.versions?.node) proc.on("exit", (code) => fail(`the worker thread exited (code ${code}) during a call`));
  try {
    if (m.index >= CTRL_WORDS - STATE) throw new Error("too many workers");
    if (m.failAtStart) throw new Error("failing while starting (test hook)");
    const instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory } });
    const ex = instance.exports as unknown as BlockExports & { setThreadContext(base: number): void };
    ex.setThreadContext(m.ctxBase);
    Atomics.store(ctrl, STATE + m.index, READY);
    const kill = (): void => {
      if (Atomics.compareExchange(ctrl, KILL, 1, 0) === 1) {
        if (proc?.versions?.node) proc.exit(7);
        throw new Error("killed by the test hook");
      }
      if (Atomics.compareExchange(ctrl, HANG, 1, 0) === 1) for (;;); // never answers, until terminated
    };
    let seen = 0;
    for (;;) {
      let g = Atomics.load(ctrl, GEN);
      for (let i = 0; g === seen && i < m.spin; i++) g = Atomics.load(ctrl, GEN);
      if (g === seen) {
        Atomics.wait(ctrl, GEN, seen);
        g = Atomics.load(ctrl, GEN);
      }
      if (Atomics.load(ctrl, STOP)) return;
      if (g === seen) continue;
      seen = g;
      claimLoop(ex, ctrl, args, g, Atomics.load(ctrl, KIND), Atomics.load(ctrl, NB), m.index, kill);
    }
  } catch (err) {
    fail(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

if (proc?.versions?.node && typeof proc.getBuiltinModule === "function") {
  const wt = proc.getBuiltinModule("node:worker_threads") as { parentPort: Port | null };
  wt.parentPort?.once("message", start);
} else {
  (globalThis as unknown as { onmessage: ((e: { data: WorkerStart }) => void) | null }).onmessage = (e) => {
    (globalThis as unknown as { onmessage: null }).onmessage = null;
    start(e.data);
  };
}
