/**
 * softmaxHead in a Web Worker of real headless Chromium (Debian's, via playwright-core): TF.js from its
 * UMD bundles, softxent as ESM. On TF.js's wasm backend the worker trains a Dense model and its
 * softmaxHead twin with model.fit (same weights, same batches, ε = 0.1): every step's loss and the
 * weights after 4 SGD steps within 1e-4, predict within 1e-3; 50 more steps and two fit calls with
 * validation leak no tensor and no softxent wasm byte; save/load in memory keeps the class and the
 * logits. The same on the webgl backend, which headless Chromium offers in a worker (software GL).
 * A missing Chromium fails loudly; SOFTXENT_SKIP_BROWSER=1 leaves the suite out on purpose.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LOADER = "/node_modules/@assemblyscript/loader/index.js";

interface HeadOutput {
  ok: boolean;
  error?: string;
  backend: string;
  available: boolean;
  build: string;
  inWorker: boolean;
  losses: Array<[number, number]>;
  weightGap: number;
  predictGap: number;
  leakedTensors: number;
  leakedBytes: number;
  loadedClass: string;
  loadGap: number;
}

describe.runIf(browserSuites)("softmaxHead in a Chromium Web Worker", () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveStatic({
      mounts: {
        "/": join(root, "test/browser/pages-tfjs"),
        "/dist/": join(root, "dist"),
        "/esm/": join(root, "dist"),
        "/node_modules/@assemblyscript/loader/": join(root, "node_modules/@assemblyscript/loader"),
        "/node_modules/@tensorflow/": join(root, "node_modules/@tensorflow"),
      },
      transform: (path, body) =>
        path.startsWith("/esm/") && path.endsWith(".js")
          ? Buffer.from(body.toString("utf8").replaceAll('"@assemblyscript/loader"', JSON.stringify(LOADER)))
          : body,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function inWorker(backend: string): Promise<{ out: HeadOutput; errors: string[] }> {
    const { page, errors } = await browser.newPage();
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const out = (await page.evaluate(
      (b) =>
        new Promise<unknown>((resolve) => {
          const w = new Worker("/head-worker.js");
          w.onmessage = (e) => {
            resolve(e.data);
            w.terminate();
          };
          w.onerror = (e) => resolve({ ok: false, error: `worker error: ${e.message}` });
          w.postMessage({ backend: b });
        }),
      backend,
    )) as HeadOutput;
    await page.close();
    return { out, errors };
  }

  function check(out: HeadOutput, backend: string): void {
    expect(out.error).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(out.inWorker).toBe(true);
    expect(out.backend).toBe(backend);
    expect(out.build).not.toBe("scalar");
    expect(out.losses).toHaveLength(4);
    for (const [a, b] of out.losses) expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.max(1, a));
    expect(out.weightGap).toBeLessThan(1e-4);
    expect(out.predictGap).toBeLessThan(1e-3);
    expect(out.leakedTensors).toBe(0);
    expect(out.leakedBytes).toBe(0);
    expect(out.loadedClass).toBe("SoftmaxHead");
    expect(out.loadGap).toBe(0);
  }

  it("wasm backend: fit with softmaxHead matches the Dense model, leaks nothing, saves and loads", async () => {
    const { out, errors } = await inWorker("wasm");
    check(out, "wasm");
    expect(errors).toEqual([]);
    expect(server.requests).toContain("/esm/tfjs-head.js");
  });

  // Headless Chromium offers webgl in a worker here (software GL, although launched with --disable-gpu).
  it("webgl backend (OffscreenCanvas in the worker): the same checks", async () => {
    const { out, errors } = await inWorker("webgl");
    expect(out.available).toBe(true);
    check(out, "webgl");
    expect(errors).toEqual([]);
  });
});
