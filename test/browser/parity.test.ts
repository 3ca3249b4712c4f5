/**
 * The parity suite in real headless Chromium (Debian's, driven by playwright-core): the SIMD and the
 * scalar build loaded as plain browser ESM (an import map for the one bare import, streaming
 * compile from a server sending application/wasm), the same cases in a module Web Worker, and the
 * loader's fallbacks (wrong Content-Type, self-hosted wasm via init({ wasm })).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCases, checkAll, type WireResult } from "./cases.js";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LOADER = "/node_modules/@assemblyscript/loader/index.js";

interface RunOutput {
  info: { build: string; simd: boolean; simdSupported: boolean };
  results: WireResult[];
}

describe.runIf(browserSuites)("headless Chromium", () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveStatic({
      mounts: {
        "/": join(root, "test/browser/pages"),
        "/dist/": join(root, "dist"),
        // The same files with the bare import resolved, as a CDN serves them (workers have no import maps).
        "/esm/": join(root, "dist"),
        "/node_modules/@assemblyscript/loader/": join(root, "node_modules/@assemblyscript/loader"),
        // The wasm files again, sent with a Content-Type many static hosts use.
        "/octet/": join(root, "dist/wasm"),
      },
      contentType: (path) => (path.startsWith("/octet/") ? "application/octet-stream" : undefined),
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

  async function openSuite() {
    const { page, errors } = await browser.newPage();
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return { page, errors };
  }

  // Chromium validates the relaxed-SIMD build (fused multiply-add), so all three builds run here.
  const BROWSER_BUILDS = [
    { build: "relaxed-simd", file: "relaxed", init: { relaxedSimd: true }, seed: 505 },
    { build: "simd", file: "simd", init: { simd: true, relaxedSimd: false }, seed: 101 },
    { build: "scalar", file: "scalar", init: { simd: false }, seed: 202 },
  ] as const;

  for (const b of BROWSER_BUILDS) {
    it(`parity with the reference, ${b.build} build, in the page`, async () => {
      const cases = buildCases(b.seed);
      expect(cases.length).toBeGreaterThan(70);
      const { page, errors } = await openSuite();
      const out = (await page.evaluate(
        ([s, c]) => (window as unknown as { runCases: (s: unknown, c: unknown) => Promise<unknown> }).runCases(s, c),
        [b.init, cases.map((x) => x.wire)] as const,
      )) as RunOutput;
      expect(out.info.build).toBe(b.build);
      if (b.build !== "scalar") expect(out.info.simdSupported).toBe(true);
      checkAll(cases, out.results);
      expect(errors).toEqual([]);
      expect(server.requests).toContain(`/dist/wasm/softxent.${b.file}.wasm`);
      await page.close();
    });
  }

  it("init() with no options picks the relaxed-SIMD build where the browser validates it", async () => {
    const { page, errors } = await openSuite();
    const info = await page.evaluate(async () => {
      const s = (window as unknown as { softxent: typeof import("../../dist/index.js") }).softxent;
      await s.init();
      return s.backendInfo();
    });
    expect(info).toMatchObject({ build: "relaxed-simd", simd: true, simdSupported: true, relaxedSimdSupported: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("parity in a module Web Worker, every build", async () => {
    const { page, errors } = await openSuite();
    for (const b of BROWSER_BUILDS) {
      const cases = buildCases(b.seed + 202);
      const out = (await page.evaluate(
        ([s, c]) => (window as unknown as { runInWorker: (s: unknown, c: unknown) => Promise<unknown> }).runInWorker(s, c),
        [b.init, cases.map((x) => x.wire)] as const,
      )) as RunOutput & { ok: boolean; error?: string; inWorker: boolean };
      expect(out.error).toBeUndefined();
      expect(out.ok).toBe(true);
      expect(out.inWorker).toBe(true);
      expect(out.info.build).toBe(b.build);
      checkAll(cases, out.results);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("self-hosted wasm: init({ wasm }) with URL strings, a wrong Content-Type, and bytes", async () => {
    const { page, errors } = await openSuite();
    const out = await page.evaluate(async () => {
      const s = (window as unknown as { softxent: typeof import("../../dist/index.js") }).softxent;
      const logits = new Float32Array([1, 2, 3, 4, 0, -1]);
      const labels = new Int32Array([2, 0]);
      const loss = () => s.crossEntropy(logits, labels, { classes: 3, reduction: "sum" }).loss as number;
      const seen: Array<[string, number]> = [];
      // Page-relative strings, resolved like fetch(); served as application/octet-stream, so the
      // loader compiles from the bytes instead of streaming.
      await s.init({ wasm: { simd: "octet/softxent.simd.wasm", scalar: "octet/softxent.scalar.wasm" } });
      seen.push([s.backendInfo().build, loss()]);
      await s.init({ simd: false, wasm: { scalar: "/octet/softxent.scalar.wasm", simd: "/octet/softxent.simd.wasm" } });
      seen.push([s.backendInfo().build, loss()]);
      const bytes = await (await fetch("/dist/wasm/softxent.simd.wasm")).arrayBuffer();
      await s.init({ wasm: { simd: new Uint8Array(bytes) } });
      seen.push([s.backendInfo().build, loss()]);
      // initSync works in a browser given the bytes (or a compiled module), not given a URL.
      s.initSync({ simd: true, wasm: { simd: await WebAssembly.compile(bytes) } });
      seen.push([s.backendInfo().build, loss()]);
      let syncError = "";
      try {
        s.initSync({ simd: false });
      } catch (e) {
        syncError = `${(e as Error).name}: ${(e as Error).message}`;
      }
      // A missing file is a clear error, and the loaded instance keeps working.
      let missing = "";
      try {
        await s.init({ wasm: "/nowhere/softxent.simd.wasm" });
      } catch (e) {
        missing = (e as Error).message;
      }
      seen.push([s.backendInfo().build, loss()]);
      return { seen, syncError, missing };
    });
    // Row losses: 3 − lse(1,2,3) and 4 − lse(4,0,−1), negated and summed.
    const lse = (a: number[]) => Math.log(a.reduce((t, v) => t + Math.exp(v), 0));
    const want = lse([1, 2, 3]) - 3 + lse([4, 0, -1]) - 4;
    expect(out.seen.map(([b]) => b)).toEqual(["simd", "scalar", "simd", "simd", "simd"]);
    for (const [, l] of out.seen) expect(Math.abs(l - want)).toBeLessThan(1e-6);
    expect(out.syncError).toMatch(/^Error: softxent\.initSync: cannot load the wasm synchronously/);
    expect(out.missing).toMatch(/nowhere\/softxent\.simd\.wasm failed: HTTP 404/);
    expect(errors.filter((e) => !e.includes("404"))).toEqual([]);
    expect(server.requests).toContain("/octet/softxent.simd.wasm");
    await page.close();
  });
});
