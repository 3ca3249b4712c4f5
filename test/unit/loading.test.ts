/**
 * Loading in Node: sync and async, in the main thread and in worker_threads, with the build forced
 * or detected, and from caller-supplied bytes, modules and URLs (the browser side is in
 * test/browser/). Each load is checked with a known loss.
 */
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { allocFloat32, backendInfo, crossEntropy, init, initSync } from "../../dist/index.js";

const lse = (a: number[]): number => Math.log(a.reduce((t, v) => t + Math.exp(v), 0));
const WANT = lse([1, 2, 3]) - 3 + (lse([4, 0, -1]) - 4);
const loss = (): number =>
  crossEntropy(new Float32Array([1, 2, 3, 4, 0, -1]), new Int32Array([2, 0]), { classes: 3, reduction: "sum" }).loss;

const WASM = new URL("../../dist/wasm/", import.meta.url);
const simdBytes = readFileSync(new URL("softxent.simd.wasm", WASM));
const scalarBytes = readFileSync(new URL("softxent.scalar.wasm", WASM));

function inWorker(data: {
  sync: boolean;
  simd?: boolean;
}): Promise<{ build?: string; copied?: number; resident?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("../fixtures/node-worker.mjs", import.meta.url), { workerData: data });
    w.once("message", (m) => {
      void w.terminate();
      resolve(m);
    });
    w.once("error", reject);
  });
}

describe("Node worker_threads", () => {
  for (const sync of [true, false]) {
    for (const simd of [undefined, false]) {
      it(`${sync ? "initSync" : "await init"}({ simd: ${simd} }) in a worker thread`, async () => {
        const r = await inWorker({ sync, simd });
        expect(r.error).toBeUndefined();
        expect(r.build).toBe(simd === false ? "scalar" : "simd");
        expect(Math.abs(r.copied! - WANT)).toBeLessThan(1e-6);
        expect(Math.abs(r.resident! - WANT)).toBeLessThan(1e-6);
      });
    }
  }

  it("four workers at once, each with its own instance", async () => {
    const rs = await Promise.all([0, 1, 2, 3].map((i) => inWorker({ sync: i % 2 === 0, simd: i < 2 ? undefined : false })));
    expect(rs.map((r) => r.build)).toEqual(["simd", "simd", "scalar", "scalar"]);
    for (const r of rs) expect(Math.abs(r.copied! - WANT)).toBeLessThan(1e-6);
  });
});

describe("Node main thread", () => {
  it("init() is cached: a second call with the same options returns at once and keeps the instance", async () => {
    await init({ simd: true });
    // A replaced instance would release this buffer; a cached one keeps it (no timing asserted).
    const kept = allocFloat32(4);
    const before = backendInfo();
    kept.view.set([1, 2, 3, 4]);
    await init();
    await init({ simd: true });
    expect(kept.released).toBe(false);
    expect(Array.from(kept.view)).toEqual([1, 2, 3, 4]);
    expect(backendInfo()).toEqual(before);
    kept.release();
  });

  it("init and initSync from bytes, a compiled module, a URL and a URL string", async () => {
    const seen: string[] = [];
    initSync({ wasm: { simd: simdBytes } });
    seen.push(backendInfo().build);
    expect(Math.abs(loss() - WANT)).toBeLessThan(1e-6);
    initSync({ simd: false, wasm: { scalar: new WebAssembly.Module(scalarBytes) } });
    seen.push(backendInfo().build);
    expect(Math.abs(loss() - WANT)).toBeLessThan(1e-6);
    await init({ wasm: { simd: new URL("softxent.simd.wasm", WASM), scalar: new URL("softxent.scalar.wasm", WASM) } });
    seen.push(backendInfo().build);
    expect(Math.abs(loss() - WANT)).toBeLessThan(1e-6);
    await init({ simd: false, wasm: { scalar: new URL("softxent.scalar.wasm", WASM).href } });
    seen.push(backendInfo().build);
    expect(Math.abs(loss() - WANT)).toBeLessThan(1e-6);
    expect(seen).toEqual(["simd", "scalar", "simd", "scalar"]);
  });

  it("the scalar build given as the SIMD one is refused, and the loaded instance keeps working", async () => {
    initSync({ simd: true });
    expect(() => initSync({ wasm: { simd: scalarBytes } })).toThrow(/is the scalar build/);
    await expect(init({ wasm: { simd: new Uint8Array([0, 97, 115, 109]) } })).rejects.toThrow();
    expect(backendInfo().build).toBe("simd");
    expect(Math.abs(loss() - WANT)).toBeLessThan(1e-6);
  });

  it("options.simd must be a boolean", () => {
    expect(() => initSync({ simd: "yes" as unknown as boolean })).toThrow(TypeError);
  });
});
