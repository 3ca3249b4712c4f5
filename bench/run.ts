// `npm run bench` — builds, then runs the suite and writes bench/results/latest.{json,md,svg}.
//
// Flags:
//   --quick             tiny budgets (a smoke run; its numbers mean nothing)
//   --shapes 32x32000,8x128000   only these shapes (the functions then run at the first one)
//   --time MS           time budget per task and round (default 400; the suite runs twice)
//   --no-tfjs           leave out the TF.js peers
//   --out NAME          write bench/results/NAME.{json,md,svg}
// A full default run writes `latest`; a --quick or --shapes run writes only partial.tmp.json unless
// --out is given, so that it never replaces the committed results.

import { join, resolve } from "node:path";
import { parseArgs, USAGE } from "./args.js";
import { writeReport } from "./output.js";
import { renderMarkdown } from "./report.js";
import { repoRoot } from "./paths.js";
import { runSuite } from "./suite.js";
import { writeFileSync } from "node:fs";

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!(globalThis as { gc?: unknown }).gc) console.warn("(run with node --expose-gc for steadier numbers: npm run bench does)");
  const report = await runSuite({
    quick: args.quick,
    ...(args.shapes ? { shapes: args.shapes, functionsShape: args.shapes[0]! } : {}),
    ...(args.timeMs !== null ? { budget: { timeMs: args.timeMs } } : {}),
    tfjs: args.tfjs,
    log: (line) => console.log(line),
  });
  console.log("\n" + renderMarkdown(report));
  const dir = join(repoRoot(), "bench", "results");
  const partial = args.quick || args.shapes !== null || !args.tfjs;
  if (args.out !== null || !partial) {
    const files = writeReport(report, resolve(dir, args.out ?? "latest"));
    console.log(`wrote ${files.join(", ")}`);
  } else {
    const path = join(dir, "partial.tmp.json");
    writeFileSync(path, JSON.stringify(report, null, 2) + "\n");
    console.log(`partial run: wrote ${path} only (use --out NAME to keep its tables and chart)`);
  }
}

await main();
