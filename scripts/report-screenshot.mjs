// Screenshots part of the trainer's HTML report with Debian's headless Chromium (playwright-core, never
// a downloaded browser), for the docs:
//   node scripts/report-screenshot.mjs [report.html] [out.png] [css selector]
// Default: report/softxent-report.html → docs/trainer-reliability.png, the reliability diagrams and
// the results table.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [report = "report/softxent-report.html", out = "docs/trainer-reliability.png", selector = "#figure"] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "softxent-shot-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.SOFTXENT_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
  ],
  viewport: { width: 1000, height: 1200 },
  deviceScaleFactor: 1,
});
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(resolve(report)).href);
  if (selector === "#figure") {
    // the table and the reliability diagrams side by side with the caption, as one figure
    await page.evaluate(() => {
      const fig = document.createElement("div");
      fig.id = "figure";
      fig.style.cssText = "display:inline-block;padding:12px;background:#fff";
      const table = document.querySelector("table.results").cloneNode(true);
      const charts = document.querySelector(".charts").cloneNode(true);
      charts.style.marginTop = "12px";
      fig.append(table, charts);
      document.body.prepend(fig);
    });
  }
  await page.locator(selector).first().screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
