// The Chromium half of `npm run bench:train`: Debian's headless Chromium (never a downloaded one)
// driven by playwright-core, a static server on 127.0.0.1 for the page, dist/, the compiled scenarios
// and the TF.js bundles, and one page.evaluate that runs every scenario on TF.js's wasm backend.

import { createServer } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import type { AddressInfo } from "node:net";
import type { Budget, Digits, Row } from "./scenarios.js";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};

async function serve(mounts: Record<string, string>): Promise<{ origin: string; close(): Promise<void> }> {
  const order = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const mount = order.find(([prefix]) => path.startsWith(prefix));
    if (!mount) return void res.writeHead(404).end();
    const dir = normalize(mount[1]);
    let file = normalize(join(dir, path.slice(mount[0].length)));
    if (file !== dir && !file.startsWith(dir + sep)) return void res.writeHead(403).end();
    if (file === dir) file = join(dir, "index.html");
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface BrowserRun {
  rows: Row[];
  lines: string[];
  info: Record<string, unknown> & { chromium: string };
}

export async function runInChromium(
  root: string,
  args: { budget: Budget; slowBudget: Budget; digits: Digits; only?: string[] },
): Promise<BrowserRun> {
  const executablePath = process.env.SOFTXENT_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (apt-get install -y chromium), or pass --no-browser`);
  const { chromium } = await import("playwright-core");
  const server = await serve({
    "/": join(root, "bench/train/page"),
    "/dist/": join(root, "dist"),
    "/build/": join(root, "build/bench"),
    "/node_modules/": join(root, "node_modules"),
  });
  const userDataDir = mkdtempSync(join(tmpdir(), "softxent-bench-train-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 });
    const digits = { pixels: Array.from(args.digits.pixels), labels: Array.from(args.digits.labels), count: args.digits.count };
    const out = (await page.evaluate((a) => (window as unknown as { runBench(x: unknown): Promise<unknown> }).runBench(a), {
      budget: args.budget,
      slowBudget: args.slowBudget,
      digits,
      only: args.only ?? [],
    })) as Omit<BrowserRun, "info"> & { info: Record<string, unknown> };
    if (errors.length > 0) throw new Error(`errors in the page: ${errors.join("; ")}`);
    return { ...out, info: { ...out.info, chromium: context.browser()?.version() ?? "unknown" } };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await server.close();
  }
}
