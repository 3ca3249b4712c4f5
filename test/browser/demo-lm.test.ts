/**
 * The next-word page (examples/lm/browser): built with Vite into a temporary folder with the corpus file
 * the build step writes, served on 127.0.0.1 and run in headless Chromium for a few steps. Checks that
 * the fused head trains in a module Web Worker (the held-out loss drops below the uniform ln V) without
 * errors or requests off the page's origin.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "vite";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";
import { loadBrown } from "../../examples/lm/corpus.js";
import { encodeCorpus } from "../../examples/lm/model.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let work: string;
let server: StaticServer;
let browser: Browser;

describe.runIf(browserSuites)("the next-word page", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "softxent-lm-browser-"));
    const data = join(work, "data");
    mkdirSync(data);
    const { vocab, ids } = loadBrown(20002);
    writeFileSync(join(data, "brown-20002.bin.gz"), gzipSync(encodeCorpus(vocab, ids), { level: 1 }));
    await build({
      configFile: join(root, "examples/lm/browser/vite.config.ts"),
      publicDir: data,
      build: { outDir: join(work, "site"), emptyOutDir: true },
      logLevel: "warn",
    });
    server = await serveStatic({ mounts: { "/": join(work, "site") } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("trains the 20002-word head in a Worker and reports loss, step time and memory", async () => {
    const { page, errors } = await browser.newPage();
    const offOrigin: string[] = [];
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:")) offOrigin.push(u);
    });
    await page.goto(`${server.origin}/index.html`);
    await page.fill("#steps", "4");
    await page.click("#start");
    await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state ?? ""), null, { timeout: 120_000 });
    const log = (await page.textContent("#log")) ?? "";
    expect(log).not.toMatch(/error/);
    expect(errors).toEqual([]);
    expect(offOrigin).toEqual([]);
    expect(server.requests.some((p) => p.endsWith("/brown-20002.bin.gz"))).toBe(true);
    expect(log).toMatch(/vocabulary 20002/);
    const before = Number(/before training (\d+\.\d+)/.exec(log)![1]);
    const after = Number(/after 4 steps (\d+\.\d+)/.exec(log)![1]);
    expect(before).toBeCloseTo(Math.log(20002), 1);
    expect(after).toBeLessThan(before - 0.2);
    expect(log).toMatch(/fused head \d+ ms/);
    expect(log).toMatch(/wasm memory \d+\.\d MiB/);
    // the TF.js Layers phase: model.fit with softmaxHead ran and its held-out loss is finite
    const keras = /softmaxHead\), model\.fit, cpu backend, 4 steps of 128: held-out loss (\d+\.\d+) → (\d+\.\d+)/.exec(log);
    expect(keras).not.toBeNull();
    expect(Number.isFinite(Number(keras![2]))).toBe(true);
    await page.close();
  }, 150_000);
});
