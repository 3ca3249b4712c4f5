/**
 * docs/spec.md "Threads" in headless Chromium: served with COOP/COEP the page is cross-origin
 * isolated, `init({ threads: 2 })` starts module Workers (found by `new URL("./worker.js",
 * import.meta.url)`) over a shared memory, the workers take blocks, and the results are bitwise the
 * one-thread results (the main thread spins while it waits). Served without the headers,
 * `threads: 2` rejects naming the cause and the headers, and `'auto'` runs one thread with a note.
 * A Worker (where training belongs) runs its own pool too.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const LOADER = "/node_modules/@assemblyscript/loader/index.js";
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

describe.runIf(browserSuites)("threads in headless Chromium", () => {
  let isolated: StaticServer;
  let plain: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const mounts = {
      "/": join(root, "test/browser/pages"),
      "/dist/": join(root, "dist"),
      // the same files with the bare import resolved, for workers (import maps do not reach them)
      "/esm/": join(root, "dist"),
      "/node_modules/@assemblyscript/loader/": join(root, "node_modules/@assemblyscript/loader"),
    };
    const transform = (path: string, body: Buffer) =>
      path.startsWith("/esm/") && path.endsWith(".js")
        ? Buffer.from(body.toString("utf8").replaceAll('"@assemblyscript/loader"', JSON.stringify(LOADER)))
        : body;
    isolated = await serveStatic({ mounts, transform, headers: ISOLATION });
    plain = await serveStatic({ mounts, transform });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
  });

  async function open(origin: string) {
    const { page, errors } = await browser.newPage();
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return { page, errors };
  }

  it("with COOP/COEP: threads: 2 runs module Workers and gives the one-thread bits", async () => {
    const { page, errors } = await open(isolated.origin);
    const out = await page.evaluate(async () => {
      const sx = (window as unknown as { softxent: typeof import("../../dist/index.js") }).softxent;
      // the module dist/index.js imports (same URL); an import() written here would be rewritten by vitest
      const load = new Function("u", "return import(u)") as (u: string) => Promise<unknown>;
      const mem = (await load("/dist/memory.js")) as typeof import("../../dist/memory.js");
      const N = 64,
        K = 4000;
      const z = new Float32Array(N * K),
        y = new Int32Array(N);
      let s = 12345;
      for (let e = 0; e < z.length; e++) {
        s = (s * 1103515245 + 12345) >>> 0;
        z[e] = (s / 2 ** 32) * 12 - 6;
      }
      for (let i = 0; i < N; i++) y[i] = (i * 7919) % K;
      const run = () => {
        const r = sx.crossEntropy(z, y, { classes: K, smoothing: 0.1, zLoss: 1e-4 });
        const l = sx.logSoftmax(z, { classes: K });
        return { loss: r.loss as number, grad: Array.from(new Uint32Array(r.grad!.buffer)), log: Array.from(new Uint32Array(l.buffer)) };
      };
      await sx.init({ threads: 1 });
      const one = run();
      await sx.init({ threads: 2 });
      const info = sx.backendInfo();
      run();
      let workerBlocks = 0;
      for (let i = 0; i < 40 && workerBlocks === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        run();
        workerBlocks = mem.heapOrNull()!.currentPool()?.lastWorkerBlocks ?? 0;
      }
      const two = run();
      const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
      return {
        isolated: crossOriginIsolated,
        threads: info.threads,
        build: info.build,
        workerBlocks,
        lossEqual: Object.is(one.loss, two.loss),
        gradEqual: same(one.grad, two.grad),
        logEqual: same(one.log, two.log),
      };
    });
    expect(out.isolated).toBe(true);
    expect(out.threads).toBe(2);
    expect(out.workerBlocks).toBeGreaterThan(0);
    expect(out.lossEqual).toBe(true);
    expect(out.gradEqual).toBe(true);
    expect(out.logEqual).toBe(true);
    expect(errors).toEqual([]);
  });

  it("with COOP/COEP: a Worker trains with threads: 2 (its pool started from the Worker) and gets the one-thread bits", async () => {
    const { page, errors } = await open(isolated.origin);
    const out = await page.evaluate(
      () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const w = new Worker("/threads-worker.js", { type: "module" });
          w.onmessage = (e) => {
            w.terminate();
            resolve(e.data as Record<string, unknown>);
          };
          w.onerror = (e) => {
            w.terminate();
            reject(new Error(`worker: ${e.message}`));
          };
          w.postMessage(null);
        }),
    );
    expect(out).toMatchObject({ ok: true, inWorker: true, threads: 2, equal: true });
    expect(out.workerBlocks as number).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("without COOP/COEP: threads: 2 rejects naming why and the fix; 'auto' falls back to 1 with a note", async () => {
    const { page, errors } = await open(plain.origin);
    const out = await page.evaluate(async () => {
      const sx = (window as unknown as { softxent: typeof import("../../dist/index.js") }).softxent;
      let rejected = "";
      await sx.init({ threads: 2 }).catch((e: Error) => {
        rejected = `${e.constructor.name}: ${e.message}`;
      });
      await sx.init({ threads: "auto" });
      const info = sx.backendInfo();
      return {
        isolated: crossOriginIsolated,
        hc: navigator.hardwareConcurrency,
        rejected,
        threads: info.threads,
        note: info.threadsNote ?? null,
      };
    });
    expect(out.isolated).toBe(false);
    expect(out.rejected).toMatch(
      /^Error: softxent\.init: threads: 2 cannot run here: .*cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
    );
    expect(out.threads).toBe(1);
    if (out.hc > 1) expect(out.note).toMatch(/threads: 'auto' runs 1 thread: .*cross-origin isolated/);
    expect(errors).toEqual([]);
  });
});
