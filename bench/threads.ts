// Thread-pool scaling (docs/performance.md "Threads"): loss + gradient on resident buffers, ε = 0.1,
// the fused head (linearCrossEntropy, loss + every gradient) included, and calibration (15 bins),
// fitTemperature (labels drawn from softmax(z / 1.5)) and smoothTargets (ε = 0.1, into a resident out),

// 2 threads against 1 in the same process, rounds alternating between the two instances (init
// replaces one by the other; buffers are re-made after each switch). Also logSoftmax / softmax and
// the small-call threshold (calls forced onto the pool below POOL_MIN_ELEMENTS). Reports the MEAN per
// call (GC and allocation included) with p50 / p99, the core count and the load average.
//
//   npm run bench:threads            results in bench/results/threads.{json,md}
//   THREADS_CASES=calibration,fitTemperature npm run bench:threads     those cases only, 2 threads, printed

import { availableParallelism, loadavg, cpus } from "node:os";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  allocFloat32,
  allocInt32,
  backendInfo,
  calibration,
  crossEntropy,
  distillation,
  fitTemperature,
  initSync,
  linearCrossEntropy,
  logSoftmax,
  sigmoidCrossEntropy,
  smoothTargets,
  softmax,
} from "softxent";
import { repoRoot } from "./paths.js";

type MemoryModule = typeof import("../dist/memory.js");
const mem = (await import(pathToFileURL(join(repoRoot(), "dist", "memory.js")).href)) as MemoryModule;

interface Case {
  name: string;
  n: number;
  k: number;
  fn:
    | "crossEntropy"
    | "logSoftmax"
    | "softmax"
    | "linearCrossEntropy"
    | "sigmoidCrossEntropy"
    | "distillation"
    | "calibration"
    | "fitTemperature"
    | "smoothTargets";
  /** linearCrossEntropy: the hidden size D (k is V). */
  d?: number;
}

interface Stat {
  mean: number;
  p50: number;
  p99: number;
  calls: number;
}

const ROUND_MS = Number(process.env.THREADS_ROUND_MS ?? 250);
const ROUNDS = Number(process.env.THREADS_ROUNDS ?? 3);
/** A comma-separated list of case-name prefixes: only those cases, the 2-thread table only, and nothing written. */
const ONLY = process.env.THREADS_CASES?.split(",").filter(Boolean) ?? null;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Times `call` for about ROUND_MS (at least `least` calls); returns per-call milliseconds. */
function round(call: () => void, least = 10): number[] {
  for (let i = 0; i < Math.min(5, least); i++) call();
  const times: number[] = [];
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end || times.length < least) {
    const t0 = performance.now();
    call();
    times.push(performance.now() - t0);
  }
  return times;
}

/** A call on fresh resident buffers of the instance now loaded. */
function makeCall(c: Case): () => void {
  const r = rng(c.n * 31 + c.k);
  if (c.fn === "linearCrossEntropy") {
    // the fused head: loss + ∂hidden, ∂weight ('vd', nn.Linear's) and ∂bias, ε = 0.1, all resident
    const d = c.d!;
    const h = allocFloat32(c.n * d),
      w = allocFloat32(c.k * d),
      b = allocFloat32(c.k),
      y = allocInt32(c.n);
    const gh = allocFloat32(c.n * d),
      gw = allocFloat32(c.k * d),
      gb = allocFloat32(c.k);
    for (let e = 0; e < h.length; e++) h.view[e] = r() - 0.5;
    for (let e = 0; e < w.length; e++) w.view[e] = (r() - 0.5) * (4 / Math.sqrt(d));
    for (let i = 0; i < c.n; i++) y.view[i] = Math.floor(r() * c.k);
    const o = { classes: c.k, bias: b, smoothing: 0.1, gradHidden: gh, gradWeight: gw, gradBias: gb };
    return () => void linearCrossEntropy(h, w, y, o);
  }
  const z = allocFloat32(c.n * c.k),
    g = allocFloat32(c.n * c.k),
    y = allocInt32(c.n);
  for (let e = 0; e < z.length; e++) z.view[e] = (r() - 0.5) * 8;
  for (let i = 0; i < c.n; i++) y.view[i] = Math.floor(r() * c.k);
  if (c.fn === "crossEntropy") return () => void crossEntropy(z, y, { classes: c.k, smoothing: 0.1, gradOut: g });
  if (c.fn === "calibration") return () => void calibration(z, y, { classes: c.k, bins: 15 });
  if (c.fn === "smoothTargets") return () => void smoothTargets(y, { classes: c.k, smoothing: 0.1, out: g });
  if (c.fn === "fitTemperature") {
    // labels drawn from softmax(z / 1.5): the search runs its Newton steps to an interior minimiser
    for (let i = 0; i < c.n; i++) {
      const row = z.view.subarray(i * c.k, (i + 1) * c.k);
      let m = -Infinity,
        s = 0;
      for (const v of row) m = Math.max(m, v);
      for (const v of row) s += Math.exp((v - m) / 1.5);
      let u = r() * s,
        j = 0;
      for (; j < c.k - 1; j++) {
        u -= Math.exp((row[j]! - m) / 1.5);
        if (u < 0) break;
      }
      y.view[i] = j;
    }
    return () => void fitTemperature(z, y, { classes: c.k });
  }
  if (c.fn === "distillation") {
    const t = allocFloat32(c.n * c.k);
    for (let e = 0; e < t.length; e++) t.view[e] = (r() - 0.5) * 8;
    return () => void distillation(z, t, { classes: c.k, temperature: 2, alpha: 0.5, labels: y, smoothing: 0.1, gradOut: g });
  }
  if (c.fn === "sigmoidCrossEntropy") {
    const t = allocFloat32(c.n * c.k);
    for (let e = 0; e < t.length; e++) t.view[e] = r() < 0.1 ? 1 : 0;
    return () => void sigmoidCrossEntropy(z, t, { classes: c.k, smoothing: 0.1, gradOut: g });
  }
  if (c.fn === "logSoftmax") return () => void logSoftmax(z, { classes: c.k, out: g });
  return () => void softmax(z, { classes: c.k, out: g });
}

function stat(times: number[]): Stat {
  const s = [...times].sort((a, b) => a - b);
  return {
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    p50: s[Math.floor(s.length / 2)]!,
    p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!,
    calls: times.length,
  };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Loads `threads` and lets the pool's workers start (a pooled call, then a pause). */
async function load(threads: number): Promise<void> {
  initSync({ simd: true, threads });
  if (threads > 1) {
    const b = allocFloat32(64 * 4096);
    logSoftmax(b, { classes: 4096, out: b });
    b.release();
    await sleep(300);
  }
}

/** Alternating rounds of 1 thread and `threads` threads over the cases; per-call times for each. */
async function compare(cases: Case[], threads: number): Promise<Map<string, { one: number[]; many: number[] }>> {
  const acc = new Map(cases.map((c) => [c.name, { one: [] as number[], many: [] as number[] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of [1, threads]) {
      await load(t);
      for (const c of cases) acc.get(c.name)![t === 1 ? "one" : "many"].push(...round(makeCall(c), c.fn === "linearCrossEntropy" ? 2 : 10));
    }
  }
  return acc;
}

const CASES: Case[] = [
  { name: "crossEntropy 32×32000", n: 32, k: 32000, fn: "crossEntropy" },
  { name: "crossEntropy 8×128000", n: 8, k: 128000, fn: "crossEntropy" },
  { name: "crossEntropy 256×1000", n: 256, k: 1000, fn: "crossEntropy" },
  { name: "logSoftmax 32×32000", n: 32, k: 32000, fn: "logSoftmax" },
  { name: "softmax 32×32000", n: 32, k: 32000, fn: "softmax" },
  { name: "distillation 32×32000", n: 32, k: 32000, fn: "distillation" },
  { name: "sigmoidCrossEntropy 32×32000", n: 32, k: 32000, fn: "sigmoidCrossEntropy" },
  { name: "calibration 10000×1000", n: 10000, k: 1000, fn: "calibration" },
  { name: "fitTemperature 10000×1000", n: 10000, k: 1000, fn: "fitTemperature" },
  { name: "smoothTargets 10000×1000", n: 10000, k: 1000, fn: "smoothTargets" },
  { name: "linearCrossEntropy 256×256×32000", n: 256, d: 256, k: 32000, fn: "linearCrossEntropy" },
  { name: "linearCrossEntropy 1024×512×32000", n: 1024, d: 512, k: 32000, fn: "linearCrossEntropy" },
];
const TARGETS: Record<string, number> = {
  "crossEntropy 32×32000": 1.8,
  "crossEntropy 8×128000": 1.8,
  "crossEntropy 256×1000": 1.6,
  "logSoftmax 32×32000": 1.7,
  "softmax 32×32000": 1.7,
  "distillation 32×32000": 1.7,
  "sigmoidCrossEntropy 32×32000": 1.7,
  "calibration 10000×1000": 1.6,
  "fitTemperature 10000×1000": 1.6,
  "linearCrossEntropy 256×256×32000": 1.8,
  "linearCrossEntropy 1024×512×32000": 1.8,
};
// Around POOL_MIN_ELEMENTS, forced onto the pool: where does 2 threads stop paying? (One block, 16384 logits, cannot split.)
const SMALL: Case[] = [8192, 16384, 24576, 32768, 65536].map((e) => ({
  name: `crossEntropy ${e / 256}×256 (forced)`,
  n: e / 256,
  k: 256,
  fn: "crossEntropy" as const,
}));

const cores = availableParallelism();
const loadBefore = loadavg();
const rows: Array<Record<string, unknown>> = [];
const lines: string[] = [];
const fmt = (x: number) => x.toFixed(3);

async function table(title: string, cases: Case[], threads: number, forced: boolean): Promise<void> {
  mem.setPoolMinElements(forced ? 0 : mem.POOL_MIN_ELEMENTS);
  const res = await compare(cases, threads);
  lines.push(
    `### ${title}`,
    "",
    `| case | 1 thread mean (p50 / p99) ms | ${threads} threads mean (p50 / p99) ms | speed-up (means) | target |`,
    "|---|---|---|---|---|",
  );
  for (const c of cases) {
    const { one, many } = res.get(c.name)!;
    const a = stat(one),
      b = stat(many);
    const ratio = a.mean / b.mean;
    const target = threads === 2 && !forced ? TARGETS[c.name] : undefined;
    rows.push({ case: c.name, threads, forced, one: a, many: b, ratio, target: target ?? null });
    lines.push(
      `| ${c.name} | ${fmt(a.mean)} (${fmt(a.p50)} / ${fmt(a.p99)}) | ${fmt(b.mean)} (${fmt(b.p50)} / ${fmt(b.p99)}) | ${ratio.toFixed(2)}× | ${target ? `≥ ${target}×` : ""} |`,
    );
    console.log(`${title}: ${c.name}: 1 thread ${fmt(a.mean)} ms, ${threads} threads ${fmt(b.mean)} ms: ${ratio.toFixed(2)}×`);
  }
  lines.push("");
}

console.log(`cores: ${cores} (${cpus()[0]?.model ?? "?"}), load average before: ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`);
if (ONLY) {
  await table(
    "2 threads vs 1",
    CASES.filter((c) => ONLY.some((o) => c.name.startsWith(o))),
    2,
    false,
  );
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (THREADS_CASES: nothing written)`,
  );
  process.exit(0);
}
await table("2 threads vs 1", CASES, 2, false);
await table(`small calls forced onto the pool (threshold today: ${mem.POOL_MIN_ELEMENTS} logits)`, SMALL, 2, true);
for (const t of [4, 8]) if (cores >= t) await table(`${t} threads vs 1`, CASES, t, false);
mem.setPoolMinElements(mem.POOL_MIN_ELEMENTS);
const loadAfter = loadavg();
const info = backendInfo();
const header = [
  "# Thread-pool scaling (`npm run bench:threads`)",
  "",
  `Node ${process.versions.node}, build ${info.build}, ${cores} cores (${cpus()[0]?.model ?? "?"}); load average before ${loadBefore.map((x) => x.toFixed(2)).join(" ")}, after ${loadAfter.map((x) => x.toFixed(2)).join(" ")}.`,
  `Resident buffers, ε = 0.1, loss + gradient (gradOut); ${ROUNDS} alternating rounds of ~${ROUND_MS} ms per case and thread count, same process. MEAN per call, p50 / p99 beside it.`,
  cores < 4 ? "The 4- and 8-thread curve needs a machine with that many cores: not run here." : "",
  "",
];
const out = join(repoRoot(), "bench", "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "threads.md"), [...header, ...lines].join("\n"));
writeFileSync(
  join(out, "threads.json"),
  `${JSON.stringify({ node: process.versions.node, build: info.build, cores, loadBefore, loadAfter, roundMs: ROUND_MS, rounds: ROUNDS, rows }, null, 2)}\n`,
);
console.log(`wrote bench/results/threads.{json,md}`);
