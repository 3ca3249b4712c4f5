/**
 * The browser demo (examples/browser): built with Vite into a temporary folder (with the digits file
 * the build step writes), served on 127.0.0.1 and run in Debian's headless Chromium — the trainer in a
 * module Web Worker, one short setting from the URL, then another from the page's controls. Checks that
 * it runs to completion without errors or requests off the page's origin, that the SVG charts have
 * non-empty paths, and that a screenshot of them is not blank (decoded by the browser itself).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "vite";
import type { Page } from "playwright-core";
import { launchChromium, type Browser } from "./chromium.js";
import { serveStatic, type StaticServer } from "./server.js";
import { encodeDataset } from "../../examples/trainer/data.js";
import { loadMnist } from "../../examples/trainer/mnist-node.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let work: string;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "softxent-demo-browser-"));
  const data = join(work, "data");
  mkdirSync(data);
  writeFileSync(join(data, "mnist-digits.bin.gz"), gzipSync(encodeDataset(loadMnist()), { level: 1 }));
  await build({
    configFile: join(root, "examples/browser/vite.config.ts"),
    publicDir: data,
    build: { outDir: join(work, "site"), emptyOutDir: true },
    logLevel: "warn",
  });
  server = await serveStatic({ mounts: { "/": join(work, "site") } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function waitForEnd(page: Page): Promise<string> {
  await page.waitForFunction(() => ["done", "error"].includes(document.getElementById("status")!.dataset.state ?? ""), null, {
    timeout: 90_000,
  });
  return (await page.textContent("#status")) ?? "";
}

/** Screenshot of an element, decoded in the page: how many pixels are not white, and whether a colour occurs. */
async function pixelStats(
  page: Page,
  selector: string,
  rgb: [number, number, number],
): Promise<{ nonWhite: number; total: number; colourHits: number }> {
  const png = (await page.locator(selector).screenshot()).toString("base64");
  return page.evaluate(
    async ({ png, rgb }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${png}`;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let nonWhite = 0;
      let colourHits = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i]! < 235 || px[i + 1]! < 235 || px[i + 2]! < 235) nonWhite++;
        if (Math.abs(px[i]! - rgb[0]) < 24 && Math.abs(px[i + 1]! - rgb[1]) < 24 && Math.abs(px[i + 2]! - rgb[2]) < 24) colourHits++;
      }
      return { nonWhite, total: px.length / 4, colourHits };
    },
    { png, rgb },
  );
}

describe("the browser demo page", () => {
  it("trains the four runs in a worker to completion (1 epoch, 2,000 digits, from the URL) and draws the charts", async () => {
    const { page, errors } = await browser.newPage();
    const offOrigin: string[] = [];
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:")) offOrigin.push(u);
    });
    await page.setViewportSize({ width: 1040, height: 1400 });
    await page.goto(`${server.origin}/?epochs=1&subset=2000&model=mlp&smoothing=0.1&autostart=1`);
    const status = await waitForEnd(page);
    expect(status).toMatch(/^done in [\d.]+ s$/);
    expect(errors).toEqual([]);
    expect(offOrigin).toEqual([]);
    // the data and the wasm came from the page's own build
    expect(server.requests.some((p) => p.endsWith("/mnist-digits.bin.gz"))).toBe(true);
    expect(server.requests.some((p) => p.endsWith(".wasm"))).toBe(true);
    expect(await page.locator("#progress").evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);

    // loss curves: a training and a validation path per run, with real path data
    const trainD = await page.locator("#loss svg path.train-loss").evaluateAll((ps) => ps.map((p) => p.getAttribute("d") ?? ""));
    // four runs by default: ε = 0, ε = 0.1, focal γ = 3, FLSD-53
    expect(trainD).toHaveLength(4);
    for (const d of trainD) expect((d.match(/L/g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(await page.locator("#loss svg path.validation-nll").count()).toBe(4);
    // the browser's own measure of what it drew: the path has length
    const lengths = await page
      .locator("#loss svg path.train-loss")
      .evaluateAll((ps) => ps.map((p) => (p as SVGPathElement).getTotalLength()));
    for (const l of lengths) expect(l).toBeGreaterThan(100);

    // reliability diagrams: one per run, each with several bars
    expect(await page.locator("#reliability svg.reliability").count()).toBe(4);
    for (const n of await page
      .locator("#reliability svg.reliability")
      .evaluateAll((ss) => ss.map((s) => s.querySelectorAll("rect.bin").length))) {
      expect(n).toBeGreaterThanOrEqual(3);
    }
    // the table: eight rows, accuracies well above chance
    const cells = await page
      .locator("#table table.results tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? "")));
    expect(cells.map((c) => c[0])).toEqual([
      "ε = 0",
      "ε = 0 + temperature scaling",
      "ε = 0.1",
      "ε = 0.1 + temperature scaling",
      "focal γ = 3",
      "focal γ = 3 + temperature scaling",
      "FLSD-53",
      "FLSD-53 + temperature scaling",
    ]);
    for (const c of cells) expect(parseFloat(c[2]!)).toBeGreaterThan(50);

    // the screenshot is not blank: ink in the charts, and each run's colour present
    const loss = await pixelStats(page, "#loss", [0x1f, 0x6f, 0xb2]);
    expect(loss.nonWhite / loss.total).toBeGreaterThan(0.01);
    expect(loss.colourHits).toBeGreaterThan(50);
    // the ε = 0.1 run's bars: #d9480f at fill-opacity 0.85 over white
    const onWhite = (c: number) => Math.round(0.85 * c + 0.15 * 255);
    const rel = await pixelStats(page, "#reliability", [onWhite(0xd9), onWhite(0x48), onWhite(0x0f)]);
    expect(rel.nonWhite / rel.total).toBeGreaterThan(0.05);
    expect(rel.colourHits).toBeGreaterThan(500);
    await page.close();
  });

  it("takes ε, the focal checkbox, epochs and model from its controls", async () => {
    const { page, errors } = await browser.newPage();
    await page.goto(`${server.origin}/?subset=2000`);
    expect(await page.locator("#status").getAttribute("data-state")).toBe("idle");
    await page.fill("#smoothing", "0.25");
    await page.uncheck("#focal");
    await page.fill("#epochs", "2");
    await page.selectOption("#model", "softmax");
    await page.click("#start");
    expect(await waitForEnd(page)).toMatch(/^done/);
    expect(errors).toEqual([]);
    expect(await page.textContent("#backend")).toContain("softmax regression 784→10");
    const runs = await page.locator("#table table.results tbody tr td:first-child").allTextContents();
    expect(runs).toEqual(["ε = 0", "ε = 0 + temperature scaling", "ε = 0.25", "ε = 0.25 + temperature scaling"]);
    // two epochs: two validation points per run
    for (const d of await page.locator("#loss svg path.validation-nll").evaluateAll((ps) => ps.map((p) => p.getAttribute("d") ?? ""))) {
      expect(d.split("L")).toHaveLength(2);
    }
    await page.close();
  });
});
