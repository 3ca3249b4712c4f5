/**
 * softxent/tfjs in real headless Chromium (Debian's, via playwright-core) on TF.js's wasm backend:
 * TF.js from its UMD bundles, softxent as plain browser ESM. The page checks loss and gradient against
 * tf.losses.softmaxCrossEntropy there, then trains a softmax regression with model.fit (classWeight,
 * the per-example form) and reports the loss curve, the accuracy and the live tensor count.
 * A missing Chromium fails loudly; SOFTXENT_SKIP_BROWSER=1 leaves the suite out on purpose.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuites, launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface FitOutput {
  backend: string;
  build: string;
  losses: number[];
  tensors: number;
  tensorsAfter: number;
  accuracy: number;
  gradDiff: number;
  gradMax: number;
  lossPair: [number, number];
}

describe.runIf(browserSuites)("softxent/tfjs in headless Chromium (TF.js wasm backend)", () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveStatic({
      mounts: {
        "/": join(root, "test/browser/pages-tfjs"),
        "/dist/": join(root, "dist"),
        "/node_modules/@assemblyscript/loader/": join(root, "node_modules/@assemblyscript/loader"),
        "/node_modules/@tensorflow/": join(root, "node_modules/@tensorflow"),
      },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("model.fit with the adapter trains, matches tf.losses, and leaks no tensor", async () => {
    const { page, errors } = await browser.newPage();
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const out = (await page.evaluate(() => (window as unknown as { runFit: () => Promise<unknown> }).runFit())) as FitOutput;
    expect(out.backend).toBe("wasm");
    expect(out.build).not.toBe("scalar");
    // the same loss and gradient as tf.losses on this backend (TF.js's own f32 accuracy)
    expect(Math.abs(out.lossPair[0] - out.lossPair[1])).toBeLessThanOrEqual(3e-6 * Math.max(1, out.lossPair[1]));
    expect(out.gradDiff).toBeLessThanOrEqual(3e-6 * out.gradMax);
    // fit learned: the loss fell (towards the smoothed targets' entropy floor) and the data are mostly fitted
    expect(out.losses).toHaveLength(20);
    expect(out.losses.every(Number.isFinite)).toBe(true);
    expect(out.losses[19]!).toBeLessThan(0.8 * out.losses[0]!);
    expect(out.accuracy).toBeGreaterThan(0.85);
    // twenty epochs of six steps each left no tensor behind
    expect(out.tensorsAfter).toBe(out.tensors);
    expect(errors).toEqual([]);
    expect(server.requests).toContain("/dist/tfjs.js");
    expect(server.requests.some((p) => p.endsWith("tfjs-backend-wasm-simd.wasm"))).toBe(true);
    await page.close();
  });
});
