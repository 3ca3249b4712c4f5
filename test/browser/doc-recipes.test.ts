/**
 * The docs' browser-only blocks, run where they belong (scripts/doctest.mjs skips them in Node with a
 * marker naming this file). docs/browsers.md "Web Workers": the recipe's main.js and worker.js, as
 * written, in a Vite app built with the vite.config.js block the page gives, importing the packed
 * package by name, run in headless Chromium; and without that config, the build error the page
 * quotes (Vite's default 'iife' worker format cannot hold the worker's top-level await).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { blocksOf } from "../../scripts/doctest.mjs";
import { type Browser, browserSuites, launchChromium } from "./chromium.js";
import { serveStatic } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
type Block = { lang: string; code: string; line: number; skip: string | null };

/** The blocks of docs/browsers.md's "Web Workers" section. */
function workerSection(): Block[] {
  const text = readFileSync(join(root, "docs/browsers.md"), "utf8");
  const start = text.indexOf("\n## Web Workers\n");
  const end = text.indexOf("\n## ", start + 1);
  expect(start).toBeGreaterThan(0);
  return (blocksOf as (t: string) => Block[])(text.slice(start, end));
}

describe.runIf(browserSuites)("docs/browsers.md's Web Worker recipe, built by Vite and run in Chromium", () => {
  let work: string;
  let tarball: string;
  let browser: Browser;
  let recipe: { main: string; worker: string; config: string };

  beforeAll(async () => {
    const blocks = workerSection();
    const withWorker = blocks.find((b) => b.code.includes("// worker.js"));
    expect(withWorker?.skip).toMatch(/doc-recipes\.test\.ts/); // Node's doctest skips it, pointing here
    const [main, worker] = withWorker!.code.split(/^\/\/ worker\.js.*$/m) as [string, string];
    const config = blocks.find((b) => /worker:\s*\{\s*format:/.test(b.code));
    expect(config, "the section gives the vite.config.js it needs").toBeDefined();
    recipe = { main, worker, config: config!.code };

    work = mkdtempSync(join(tmpdir(), "softxent-doc-recipes-"));
    // dist/ is fresh: `npm test` builds first (pretest).
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: root, encoding: "utf8" });
    tarball = join(work, out.trim().split("\n").pop()!);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A Vite app of the recipe's two files (main.js with a harness appended that reports the worker's answer). */
  function app(name: string, worker: string, config: string | null): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `recipe-${name}`, private: true, type: "module" }));
    writeFileSync(
      join(dir, "index.html"),
      '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script type="module" src="/main.js"></script></body></html>',
    );
    writeFileSync(
      join(dir, "main.js"),
      `${recipe.main}
// ---- test harness (not part of the recipe): one batch to the worker at once, its answer to window.result
worker.onmessage = (e) => { window.result = { loss: e.data.loss, grad: Array.from(e.data.grad) }; };
worker.onerror = (e) => { window.result = { error: String(e.message) }; };
worker.postMessage({ logits: new Float32Array([1, 2, 3, 4, 0, -1]), labels: new Int32Array([2, 0]), classes: 3 });
`,
    );
    writeFileSync(join(dir, "worker.js"), worker);
    if (config !== null) writeFileSync(join(dir, "vite.config.js"), config);
    execFileSync(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", "--loglevel=error", tarball],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    return dir;
  }

  async function buildAndRun(dir: string, withConfig: boolean): Promise<void> {
    const { build } = await import("vite");
    const outDir = join(dir, "dist");
    await build({
      root: dir,
      configFile: withConfig ? join(dir, "vite.config.js") : false,
      logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
    const server = await serveStatic({ mounts: { "/": outDir } });
    try {
      const { page, errors } = await browser.newPage();
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
      const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
        loss?: number;
        grad?: number[];
        error?: string;
      };
      await page.close();
      expect(result.error).toBeUndefined();
      // mean of the row losses lse(z) − z_y of [1,2,3] (y = 2) and [4,0,−1] (y = 0)
      const lse = (a: number[]) => Math.log(a.reduce((t, v) => t + Math.exp(v), 0));
      expect(result.loss).toBeCloseTo((lse([1, 2, 3]) - 3 + lse([4, 0, -1]) - 4) / 2, 6);
      expect(result.grad).toHaveLength(6);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  }

  it("as written, with Vite's defaults: vite build, then the worker answers the page's first message", async () => {
    await buildAndRun(app("defaults", recipe.worker, null), false);
  });

  it("with the page's vite.config.js (worker.format 'es'): the same", async () => {
    await buildAndRun(app("with-config", recipe.worker, recipe.config), true);
  });

  it("a worker with top-level await: Vite's defaults fail as the page says, the page's config builds it", async () => {
    const { build } = await import("vite");
    const tla = 'import { init } from "softxent";\nawait init();\nself.onmessage = () => {};\n';
    const dir = app("tla", tla, recipe.config);
    await expect(build({ root: dir, configFile: false, logLevel: "silent", build: { outDir: join(dir, "dist") } })).rejects.toThrow(
      /Module format "iife" does not support top-level await/,
    );
    await build({ root: dir, configFile: join(dir, "vite.config.js"), logLevel: "silent", build: { outDir: join(dir, "dist") } });
  });
});
