/**
 * The worker pool's life cycle (docs/spec.md "Threads"): init options and backendInfo, a worker dying
 * mid-call (the call throws naming the cause, the next call rebuilds the pool and is right again), a
 * worker failing while it starts (reported on the next pooled call, with its cause, before anything is
 * written), a worker that never answers (the call throws within the stall limit),
 * init replacing a threaded instance, an idle pool not keeping Node alive, where threads cannot run
 * (no SharedArrayBuffer: threads: 2 rejects naming why and the fix, 'auto' falls back with a note), and
 * the stale-view rule over a shared memory.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { allocFloat32, backendInfo, crossEntropy, init, initSync, linearCrossEntropy } from "../../dist/index.js";
import { heapOrNull } from "../../dist/memory.js";
import { POOL_STALL_MS, poolTestHooks } from "../../dist/threads/pool.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const N = 512,
  K = 2000;
const rng = mulberry32(7);
const z = randomLogits(rng, N, K);
const y = randomLabels(rng, N, K);
const opts = { classes: K, smoothing: 0.1 } as const;
const LN = 64,
  LD = 32,
  LV = 3000;
const lh = randomLogits(rng, LN, LD, 1),
  lw = randomLogits(rng, LV, LD, 0.3),
  ly = randomLabels(rng, LN, LV);
const lopts = { classes: LV, smoothing: 0.1 } as const;

afterAll(() => initSync({ threads: 1 }));

/** Runs big calls until the pool's workers take blocks (they start asynchronously). */
async function warm(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    crossEntropy(z, y, opts);
    if ((heapOrNull()!.currentPool()?.lastWorkerBlocks ?? 0) > 0) return;
    await sleep(50);
  }
  throw new Error("the pool's workers never took a block");
}

describe("threads option", () => {
  it("defaults to 1, takes an integer or 'auto', and refuses anything else", async () => {
    initSync();
    expect(backendInfo().threads).toBe(1);
    expect(backendInfo().threadsNote).toBeUndefined();
    initSync({ threads: "auto" });
    expect(backendInfo().threads).toBe(Math.min(255, availableParallelism()));
    await init({ threads: 2 });
    expect(backendInfo().threads).toBe(2);
    await init(); // another module's init() keeps the threaded instance
    initSync({ simd: true });
    expect(backendInfo().threads).toBe(2);
    expect(() => initSync({ threads: 0 })).toThrow(RangeError);
    expect(() => initSync({ threads: 2.5 })).toThrow(/options\.threads/);
    expect(() => initSync({ threads: "many" as unknown as number })).toThrow(TypeError);
    await expect(init({ threads: -1 })).rejects.toThrow(RangeError);
    expect(backendInfo().threads).toBe(2); // a refused init leaves the instance in place
  });
});

describe("a worker that dies mid-call", () => {
  it("makes the call throw an Error naming the cause; the next call rebuilds the pool and is right", async () => {
    initSync({ threads: 1 });
    const expected = crossEntropy(z, y, opts);
    initSync({ threads: 2 });
    await warm();
    const first = heapOrNull()!.currentPool()!;
    let thrown: unknown = null;
    for (let i = 0; i < 20 && thrown === null; i++) {
      first.killOneWorker();
      try {
        crossEntropy(z, y, opts);
      } catch (err) {
        thrown = err;
      }
      if (thrown === null) await sleep(20); // the caller ran every block: try again
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/crossEntropy: a thread-pool worker failed.*exited \(code 7\)/);
    const again = crossEntropy(z, y, opts);
    expect(heapOrNull()!.currentPool()).not.toBe(first);
    expect(again.loss).toBe(expected.loss);
    expect(Buffer.from(again.grad!.buffer).equals(Buffer.from(expected.grad!.buffer))).toBe(true);
    await warm(); // the new pool's workers work
  });
});

describe("a worker that fails while starting", () => {
  it("is reported with its cause on the next call that needs the pool, before it writes anything; the pool is rebuilt", async () => {
    initSync({ threads: 1 });
    const expected = linearCrossEntropy(lh, lw, ly, lopts);
    poolTestHooks.failAtStart = true;
    let thrown: unknown = null;
    try {
      initSync({ threads: 2 });
      const gw = new Float32Array(LV * LD).fill(7);
      // the first call starts the pool (its workers fail asynchronously): a later call reports them
      for (let i = 0; i < 50 && thrown === null; i++) {
        gw.fill(7);
        try {
          linearCrossEntropy(lh, lw, ly, { ...lopts, gradWeight: gw });
        } catch (err) {
          thrown = err;
          expect(gw.every((x) => x === 7)).toBe(true); // nothing written
        }
        if (thrown === null) await sleep(20);
      }
    } finally {
      poolTestHooks.failAtStart = false;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(
      /^softxent\.linearCrossEntropy: a thread-pool worker had failed \(softxent pool worker 1: Error: failing while starting \(test hook\)\); nothing was written/,
    );
    // the next call builds a new pool, whose workers start, and is right
    const again = linearCrossEntropy(lh, lw, ly, lopts);
    expect(again.loss).toBe(expected.loss);
    expect(Buffer.from(again.gradWeight!.buffer).equals(Buffer.from(expected.gradWeight!.buffer))).toBe(true);
    await warm();
  });
});

describe("a worker that never answers", () => {
  it("a worker that claimed a block and finishes none makes the call throw within the stall limit; the pool is rebuilt", async () => {
    initSync({ threads: 1 });
    const expected = crossEntropy(z, y, opts);
    initSync({ threads: 2 });
    await warm();
    const first = heapOrNull()!.currentPool()!;
    poolTestHooks.stallMs = 300;
    let thrown: unknown = null;
    let took = 0;
    try {
      for (let i = 0; i < 20 && thrown === null; i++) {
        first.hangOneWorker();
        const t0 = performance.now();
        try {
          crossEntropy(z, y, opts);
        } catch (err) {
          thrown = err;
          took = performance.now() - t0;
        }
        if (thrown === null) await sleep(20); // the caller ran every block: try again
      }
    } finally {
      poolTestHooks.stallMs = POOL_STALL_MS;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/crossEntropy: a thread-pool worker claimed a block and finished none for \d+ ms/);
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(10_000); // bounded: the limit plus one wait slice, not a hang
    const again = crossEntropy(z, y, opts);
    expect(heapOrNull()!.currentPool()).not.toBe(first);
    expect(again.loss).toBe(expected.loss);
    expect(Buffer.from(again.grad!.buffer).equals(Buffer.from(expected.grad!.buffer))).toBe(true);
    await warm();
  });
});

describe("init replacing a threaded instance", () => {
  it("retires the pool and the buffers, and the new instance (threaded or not) computes the same bits", async () => {
    initSync({ threads: 2 });
    await warm();
    const old = heapOrNull()!.currentPool()!;
    const b = allocFloat32(N * K);
    b.view.set(z);
    expect(b.view.buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = crossEntropy(b, y, opts);
    initSync({ threads: 3 });
    expect(b.released).toBe(true);
    expect(heapOrNull()!.currentPool()).toBeNull();
    await warm();
    expect(heapOrNull()!.currentPool()).not.toBe(old);
    const three = crossEntropy(z, y, opts);
    expect(three.loss).toBe(before.loss);
    initSync({ threads: 1 });
    const c = allocFloat32(4);
    expect(c.view.buffer).toBeInstanceOf(ArrayBuffer); // back on the non-shared build
    expect(crossEntropy(z, y, opts).loss).toBe(before.loss);
  });
});

describe("stale views over a shared memory", () => {
  it("a released buffer's view is refused, and a new buffer never reuses its bytes while that view could exist", () => {
    initSync({ threads: 1 });
    initSync({ threads: 2 }); // a fresh instance: the layout below is known
    const a = allocFloat32(1000);
    // 30 pages less 8 KiB: the growth leaves at least 8 KiB of fresh (never released) bytes at the top,
    // unless the old tail was within 8 KiB of a page
    const spare = allocFloat32((30 * 65536 - 8192) / 4);
    const kept = a.view; // a view a caller keeps too long (taken after the growth)
    a.release();
    const b = allocFloat32(1000);
    // no growth in between (so the old view could not be told apart by its buffer), and b did not take
    // a's bytes: a shared buffer cannot be detached
    expect(b.view.buffer).toBe(kept.buffer);
    expect(b.byteOffset + 4000 <= a.byteOffset || a.byteOffset + 4000 <= b.byteOffset).toBe(true);
    expect(() => crossEntropy(kept, new Int32Array(100), { classes: 10 })).toThrow(/outside any live WasmBuffer/);
    spare.release();
    b.view.fill(0);
    expect(crossEntropy(b, new Int32Array(100), { classes: 10 }).loss).toBeCloseTo(Math.log(10), 5);
  });
});

describe("Node processes", () => {
  const script = (body: string) => `import * as sx from ${JSON.stringify(join(root, "dist/index.js"))};\n${body}\n`;

  it("exit with an idle pool", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        script(`
      sx.initSync({ threads: 2 });
      const z = new Float32Array(256 * 1000), y = new Int32Array(256);
      for (let i = 0; i < 20; i++) sx.crossEntropy(z, y, { classes: 1000 });
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < 20; i++) sx.crossEntropy(z, y, { classes: 1000 });
      console.log("done", sx.backendInfo().threads);
    `),
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(out.trim()).toBe("done 2");
  });

  it("without SharedArrayBuffer: threads: 2 rejects naming why, 'auto' falls back with a note", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--no-harmony-sharedarraybuffer",
        "--input-type=module",
        "-e",
        script(`
      let msg = "";
      try { sx.initSync({ threads: 2 }); } catch (e) { msg = e.constructor.name + ": " + e.message; }
      let rejected = "";
      await sx.init({ threads: 2 }).catch((e) => { rejected = e.message; });
      sx.initSync({ threads: "auto" });
      console.log(JSON.stringify({ msg, rejected, info: sx.backendInfo() }));
    `),
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    const r = JSON.parse(out) as { msg: string; rejected: string; info: { threads: number; threadsNote?: string } };
    expect(r.msg).toMatch(/^Error: softxent\.initSync: threads: 2 cannot run here: this engine has no SharedArrayBuffer/);
    expect(r.rejected).toMatch(/softxent\.init: threads: 2 cannot run here/);
    expect(r.info.threads).toBe(1);
    if (availableParallelism() > 1)
      expect(r.info.threadsNote).toMatch(/threads: 'auto' runs 1 thread: this engine has no SharedArrayBuffer/);
  });
});
