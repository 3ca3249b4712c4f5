/**
 * Memory another thread can write:
 * - class weights / posWeight backed by a SharedArrayBuffer, or resident in a threaded instance's
 *   shared wasm memory, rewritten by a worker while calls run: each call reads them once (a private
 *   copy, checked and then used), so every call either refuses a bad value or computes with a good one —
 *   never a NaN or a negative weight slipping between the check and the copy;
 * - stale views over a shared memory: a view kept past release() never reaches a later buffer's bytes
 *   (before or after growth), and passed back it is refused with a message that is true for shared
 *   memory (not "detached, length 0").
 */
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { allocFloat32, crossEntropy, initSync, linearCrossEntropy, sigmoidCrossEntropy } from "../../dist/index.js";
import { heapOrNull } from "../../dist/memory.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

afterAll(() => initSync({ threads: 1 }));

/**
 * A worker that flips f32 element `index` of `sab` through 1 → NaN → 1 → −5 → … until stopped (flag
 * at Int32 0 of `ctl`). Resolves once it is running.
 */
async function flipper(sab: SharedArrayBuffer, byteOffset: number, ctl: SharedArrayBuffer): Promise<Worker> {
  const w = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     const f = new Float32Array(workerData.sab, workerData.byteOffset, 1);
     const c = new Int32Array(workerData.ctl);
     parentPort.postMessage("go");
     while (Atomics.load(c, 0) === 0) {
       for (let i = 0; i < 64; i++) { f[0] = NaN; f[0] = 1; f[0] = -5; f[0] = 1; }
     }
     f[0] = 1;`,
    { eval: true, workerData: { sab, byteOffset, ctl } },
  );
  await new Promise((resolve) => w.once("message", resolve));
  return w;
}

/**
 * Runs `call` at least `times` times, and on until it has seen 50 refusals (or 6 s have passed, on a
 * loaded machine): each call must refuse the weight (RangeError naming it) or equal `good` exactly.
 */
function hammer(call: () => number, good: number, name: string, times: number): { refused: number; bad: number[] } {
  let refused = 0;
  const bad: number[] = [];
  const end = performance.now() + 6000;
  for (let i = 0; i < times || (refused < 50 && performance.now() < end); i++) {
    let loss: number;
    try {
      loss = call();
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).message).toMatch(new RegExp(`${name}\\[0\\] = (NaN|-5); weights must be finite and ≥ 0`));
      refused++;
      continue;
    }
    if (!Object.is(loss, good)) bad.push(loss);
  }
  return { refused, bad };
}

const K = 20000;
const rng = mulberry32(4);
const z = randomLogits(rng, 2, K, 2);
const y = randomLabels(rng, 2, K);

describe.each([
  { name: "one thread", threads: 1 },
  { name: "threads: 2", threads: 2 },
])("weights that another thread rewrites — $name", ({ threads }) => {
  const cases: [string, string, (w: Float32Array | ReturnType<typeof allocFloat32>) => number, number][] = [
    ["crossEntropy", "classWeights", (w) => crossEntropy(z, y, { classes: K, classWeights: w }).loss, 4000],
    [
      "sigmoidCrossEntropy",
      "posWeight",
      (w) => sigmoidCrossEntropy(z, new Float32Array(2 * K).fill(1), { classes: K, posWeight: w }).loss,
      2000,
    ],
    [
      "linearCrossEntropy",
      "classWeights",
      (w) =>
        linearCrossEntropy(
          new Float32Array([1, -1]),
          Float32Array.from({ length: K }, (_, j) => Math.sin(j)),
          new Int32Array([0, 5]),
          { classes: K, classWeights: w },
        ).loss,
      1000,
    ],
  ];
  for (const [fn, name, call, times] of cases) {
    it(`${fn}'s ${name} over a SharedArrayBuffer: checked and used from one read`, async () => {
      initSync({ threads });
      const sab = new SharedArrayBuffer(4 * K);
      const w = new Float32Array(sab).fill(1);
      const good = call(new Float32Array(K).fill(1));
      const ctl = new SharedArrayBuffer(4);
      const worker = await flipper(sab, 0, ctl);
      try {
        const r = hammer(() => call(w), good, name, times);
        expect(r.bad, `${r.bad.length} calls computed with a weight that was never validated`).toEqual([]);
        expect(r.refused, "the race was exercised (some calls saw a bad value)").toBeGreaterThan(0);
      } finally {
        Atomics.store(new Int32Array(ctl), 0, 1);
        await worker.terminate();
      }
    });
  }

  it.runIf(threads > 1)("crossEntropy's resident classWeights in the shared wasm memory: checked and used from one read", async () => {
    initSync({ threads });
    const wb = allocFloat32(K);
    wb.view.fill(1);
    const good = crossEntropy(z, y, { classes: K, classWeights: new Float32Array(K).fill(1) }).loss;
    const ctl = new SharedArrayBuffer(4);
    const worker = await flipper(heapOrNull()!.memory.buffer as unknown as SharedArrayBuffer, wb.byteOffset, ctl);
    try {
      const r = hammer(() => crossEntropy(z, y, { classes: K, classWeights: wb }).loss, good, "classWeights", 4000);
      expect(r.bad).toEqual([]);
      expect(r.refused).toBeGreaterThan(0);
    } finally {
      Atomics.store(new Int32Array(ctl), 0, 1);
      await worker.terminate();
      wb.release();
    }
  });
});

describe("stale views over a threaded instance's shared memory", () => {
  it("a view kept past release() never reaches a new buffer's bytes, with or without growth", () => {
    initSync({ threads: 1 });
    initSync({ threads: 2 }); // fresh
    const rngS = mulberry32(9);
    const live: ReturnType<typeof allocFloat32>[] = [];
    const stale: Float32Array[] = [];
    for (let step = 0; step < 300; step++) {
      if (live.length > 0 && rngS() < 0.5) {
        const b = live.splice(Math.floor(rngS() * live.length), 1)[0]!;
        stale.push(b.view.subarray(0));
        b.release();
      } else {
        // sizes from 16 bytes to 1.5 MB: some fit in released ranges, some make the memory grow
        const b = allocFloat32(1 + Math.floor(rngS() ** 3 * 400_000));
        b.view.fill(step);
        live.push(b);
      }
      // scribble through every stale view: no live buffer may change
      for (const v of stale) v.fill(-1);
      for (const b of live) {
        const v = b.view;
        if (v[0] === -1 || v[v.length - 1] === -1) expect.fail(`step ${step}: a stale view wrote into a live buffer at ${b.byteOffset}`);
      }
    }
    for (const b of live) b.release();
  });

  it("the audit's case: release, then a buffer of the same size that needs growth", () => {
    initSync({ threads: 1 });
    initSync({ threads: 2 });
    const h = heapOrNull()!;
    // fill memory up to its top so that the next allocation must grow
    const filler = allocFloat32(Math.floor(h.headroom() > 0 ? (h.memory.buffer.byteLength - h.allocatedBytes) / 4 : 1));
    const a = allocFloat32(1000);
    const kept = a.view;
    a.release();
    const b = allocFloat32(1000);
    b.view.fill(1);
    kept.fill(7);
    expect(b.view.every((x) => x === 1)).toBe(true);
    expect(b.byteOffset + 4000 <= a.byteOffset || a.byteOffset + 4000 <= b.byteOffset).toBe(true);
    // passed back, it is refused with a message true of shared memory
    let msg = "";
    try {
      crossEntropy(kept, new Int32Array(100), { classes: 10 });
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(
      /^softxent\.crossEntropy: logits is a view (of softxent's shared wasm memory taken before the memory grew|into softxent's wasm memory outside any live WasmBuffer)/,
    );
    expect(msg).not.toMatch(/detached, length 0/);
    for (const x of [filler, b]) x.release();
  });
});
