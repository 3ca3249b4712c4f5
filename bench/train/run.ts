// `npm run bench:train` — training steps with softxent/tfjs against tf.losses.softmaxCrossEntropy:
// TF.js's cpu and wasm backends in Node, and the wasm backend in headless Chromium. Writes
// bench/results/train.json (every number, machine and versions) and train.md (the tables, from it).
//
// Flags: --quick (tiny budgets, a smoke run), --no-browser, --backends cpu,wasm (Node backends),
//        --only "[32, 32000],784" (scenarios whose label contains one of these), --time MS (budget per
//        scenario). Any of them makes a partial run, written to train.partial.tmp.* only.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, cpus, loadavg, platform, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInChromium } from "./browser.js";
import { renderMarkdown, type TrainReport } from "./report.js";
import { runScenarios, type Budget, type Digits, type Row } from "./scenarios.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === "softxent") return dir;
    } catch {
      /* go up */
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("bench:train: cannot find softxent's package.json");
    dir = up;
  }
}

/** 64 digits of each class from the `mnist` package's JSON files (10 batches of 64), interleaved. */
function loadDigits(root: string): Digits {
  const require = createRequire(join(root, "package.json"));
  const dir = dirname(require.resolve("mnist/package.json"));
  const per = 64,
    size = 784;
  const classes: number[][] = [];
  for (let d = 0; d < 10; d++) {
    classes.push((JSON.parse(readFileSync(join(dir, "src", "digits", `${d}.json`), "utf8")) as { data: number[] }).data);
  }
  const count = per * 10;
  const pixels = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const d = i % 10,
      j = Math.floor(i / 10);
    pixels.set(classes[d]!.slice(j * size, (j + 1) * size), i * size);
    labels[i] = d;
  }
  return { pixels, labels, count };
}

/** TF.js prints a banner recommending tfjs-node on first use; this bench compares the JS/wasm backends on purpose. */
function quiet(): () => void {
  const log = console.log,
    warn = console.warn;
  const keep =
    (f: (...a: unknown[]) => void) =>
    (...a: unknown[]) => {
      const t = a.map(String).join(" ").trim();
      if (t === "" || /tfjs-node|TensorFlow\.js in Node|^=+$/.test(t)) return;
      f(...a);
    };
  console.log = keep(log);
  console.warn = keep(warn);
  return () => {
    console.log = log;
    console.warn = warn;
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const browser = !argv.includes("--no-browser");
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? argv[onlyAt + 1]!.split(",").map((s) => s.trim()) : undefined;
  const backendsAt = argv.indexOf("--backends");
  const backends = (
    backendsAt >= 0 ? argv[backendsAt + 1]!.split(",").filter((b) => b === "cpu" || b === "wasm") : ["cpu", "wasm"]
  ) as Array<"cpu" | "wasm">;
  const timeAt = argv.indexOf("--time");
  const timeMs = timeAt >= 0 ? Number(argv[timeAt + 1]) : 2000;
  const budget: Budget = quick ? { warmup: 1, minSteps: 2, maxSteps: 3, timeMs: 0 } : { warmup: 2, minSteps: 10, maxSteps: 400, timeMs };
  // Steps of a second or more: the untimed first step of each (its loss is recorded) is the warm-up.
  const slowBudget: Budget = quick
    ? { warmup: 0, minSteps: 1, maxSteps: 1, timeMs: 0 }
    : { warmup: 0, minSteps: 2, maxSteps: 20, timeMs: timeMs * 0.75 };
  const root = repoRoot();
  const started = Date.now();
  const log = (line: string) => console.log(line);

  const restore = quiet();
  const tf = await import("@tensorflow/tfjs");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(join(root, "package.json"));
  wasm.setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false); // one thread, as in the page (no cross-origin isolation)
  const softxent = await import("softxent");
  const adapter = await import("softxent/tfjs");
  await softxent.init();
  const digits = loadDigits(root);

  const rows: Row[] = [];
  const node: Record<string, unknown> = {};
  for (const backend of backends) {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
    await tf.ready();
    tf.tensor1d([0]).dispose();
    if (backend === "wasm") node.wasmSimd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    log(`node, TF.js ${backend} backend:`);
    rows.push(...(await runScenarios({ tf, sx: adapter, runtime: "node", budget, slowBudget, digits, log, ...(only && { only }) })));
  }
  restore();

  let chromium: Record<string, unknown> | null = null;
  if (browser) {
    log("headless Chromium, TF.js wasm backend:");
    const out = await runInChromium(root, { budget, slowBudget, digits, ...(only && { only }) });
    for (const l of out.lines) log(l);
    rows.push(...out.rows);
    chromium = out.info;
  }

  const pkg = (name: string) =>
    (JSON.parse(readFileSync(join(dirname(require.resolve(`${name}/package.json`)), "package.json"), "utf8")) as { version: string })
      .version;
  const cpuList = cpus();
  const report: TrainReport = {
    date: new Date().toISOString(),
    quick,
    durationS: (Date.now() - started) / 1000,
    machine: {
      cpu: cpuList[0]?.model ?? "unknown",
      cores: cpuList.length,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      platform: `${platform()} ${arch()}`,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      softxent: softxent.VERSION,
      softxentBuild: softxent.backendInfo().build,
      "@tensorflow/tfjs": pkg("@tensorflow/tfjs"),
      "@tensorflow/tfjs-backend-wasm": pkg("@tensorflow/tfjs-backend-wasm"),
      "@tensorflow/tfjs-layers": pkg("@tensorflow/tfjs-layers"),
    },
    node,
    chromium,
    budget: { normal: budget, slow: slowBudget },
    rows,
  };
  const md = renderMarkdown(report);
  console.log("\n" + md);
  const partial = quick || only !== undefined || backendsAt >= 0 || !browser || timeAt >= 0;
  const base = join(root, "bench", "results", partial ? "train.partial.tmp" : "train");
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
  if (!partial) writeFileSync(`${base}.md`, md); // a partial run never replaces the committed tables
  console.log(`wrote ${base}.json${partial ? "" : `, ${base}.md`} (${report.durationS.toFixed(0)} s)`);
}

await main();
