/**
 * softxent as a user gets it: `npm pack` → the tarball installed (offline) into a copy of each fixture
 * app, which imports `softxent` by name, bundled, and run in headless Chromium.
 * - Vite production build, no configuration.
 * - Vite dev server (dependency pre-bundling), with no configuration, and with the one line
 *   documented for older Vite versions, `optimizeDeps: { exclude: ["softxent"] }`.
 * - webpack 5 production build, no softxent-specific configuration.
 * Each app computes a known loss with both builds, copying and resident, and in a module Web Worker.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The fixture program's loss: row losses lse(z) − z_y of [1,2,3] (y = 2) and [4,0,−1] (y = 0), summed. */
const lse = (a: number[]): number => Math.log(a.reduce((t, v) => t + Math.exp(v), 0));
const WANT = lse([1, 2, 3]) - 3 + (lse([4, 0, -1]) - 4);

interface Run {
  build: string;
  copied: number;
  resident: number;
}
interface AppResult {
  error?: string;
  runs?: Run[];
  worker?: { runs?: Run[]; error?: string };
}

function expectRuns(runs: Run[] | undefined): void {
  // init() picks the relaxed-SIMD build in Chromium (so the bundler emitted that wasm too), then { simd: false }.
  expect(runs?.map((r) => r.build)).toEqual(["relaxed-simd", "scalar"]);
  for (const r of runs!) {
    expect(Math.abs(r.copied - WANT)).toBeLessThan(1e-6);
    expect(Math.abs(r.resident - WANT)).toBeLessThan(1e-6);
  }
}

function expectApp(result: AppResult): void {
  expect(result.error).toBeUndefined();
  expectRuns(result.runs);
  expect(result.worker?.error).toBeUndefined();
  expectRuns(result.worker?.runs);
}

describe.runIf(browserSuites)("bundlers: the packed package imported by name", () => {
  let work: string;
  let tarball: string;
  let browser: Browser;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "softxent-bundlers-"));
    // dist/ is fresh: `npm test` builds first (pretest).
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: root, encoding: "utf8" });
    tarball = join(work, out.trim().split("\n").pop()!);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A copy of a fixture with the tarball installed from disk (its one dependency from npm's cache when there, else the registry). */
  function prepare(name: string): string {
    const dir = join(work, name);
    cpSync(join(root, "test/fixtures", name), dir, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", "--loglevel=error", tarball],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    return dir;
  }

  async function runPage(url: string): Promise<{ result: AppResult; errors: string[]; requests: string[] }> {
    const { page, errors } = await browser.newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as AppResult;
    await page.close();
    return { result, errors, requests };
  }

  it("Vite production build, no configuration", async () => {
    const { build } = await import("vite");
    const app = prepare("vite-app");
    const outDir = join(app, "dist");
    await build({ root: app, configFile: false, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(join(outDir, "assets"));
    expect(assets.some((f) => /^softxent\.relaxed-.*\.wasm$/.test(f))).toBe(true);
    expect(assets.some((f) => /^softxent\.simd-.*\.wasm$/.test(f))).toBe(true);
    expect(assets.some((f) => /^softxent\.scalar-.*\.wasm$/.test(f))).toBe(true);
    const server = await serveStatic({ mounts: { "/": outDir } });
    try {
      const { result, errors, requests } = await runPage(`${server.origin}/index.html`);
      expectApp(result);
      expect(errors).toEqual([]);
      expect(requests.some((p) => /\/assets\/softxent\.relaxed-.*\.wasm$/.test(p))).toBe(true);
    } finally {
      await server.close();
    }
  });

  /** The dev server, pre-bundling dependencies as it does by default, serving the fixture. */
  async function runDev(config: Record<string, unknown>): Promise<string[]> {
    const { createServer } = await import("vite");
    const app = prepare("vite-app");
    const dev = await createServer({
      root: app,
      configFile: false,
      logLevel: "silent",
      cacheDir: join(app, ".vite-cache"),
      server: { host: "127.0.0.1", port: 0, hmr: false },
      ...config,
    });
    await dev.listen();
    try {
      const { result, errors, requests } = await runPage(`${dev.resolvedUrls!.local[0]}index.html`);
      expectApp(result);
      expect(errors).toEqual([]);
      return requests;
    } finally {
      await dev.close();
    }
  }

  // Vite 8's dependency optimizer rewrites `new URL("./wasm/…", import.meta.url)` in the pre-bundled
  // copy to point back into node_modules/softxent (older Vite did not: vitejs/vite#8427).
  it("Vite dev server with pre-bundled dependencies, no configuration", async () => {
    const requests = await runDev({});
    expect(requests).toContain("/.vite-cache/deps/softxent.js"); // the pre-bundled copy ran
    expect(requests).toContain("/node_modules/softxent/dist/wasm/softxent.relaxed.wasm");
  });

  it("Vite dev server with the documented line for older Vite: optimizeDeps.exclude: ['softxent']", async () => {
    const requests = await runDev({ optimizeDeps: { exclude: ["softxent"] } });
    expect(requests).not.toContain("/.vite-cache/deps/softxent.js");
    expect(requests).toContain("/node_modules/softxent/dist/wasm/softxent.relaxed.wasm");
  });

  it("webpack 5 production build, no softxent-specific configuration", async () => {
    const { default: webpack } = await import("webpack");
    const app = prepare("webpack-app");
    const outDir = join(app, "dist");
    const config = (await import(join(app, "webpack.config.js"))).default(app, outDir);
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) => {
      webpack(config, (err, s) => (err ? reject(err) : resolve(s!)));
    });
    expect(stats.hasErrors(), stats.toString("errors-only")).toBe(false);
    const wasm = readdirSync(outDir).filter((f) => f.endsWith(".wasm"));
    // the three builds and their threaded variants (docs/spec.md "Threads": `new URL(…)` literals too)
    expect(wasm).toHaveLength(6);
    copyFileSync(join(app, "index.html"), join(outDir, "index.html"));
    const server = await serveStatic({ mounts: { "/": outDir } });
    try {
      const { result, errors } = await runPage(`${server.origin}/index.html`);
      expectApp(result);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
