// Markdown tables from the bench JSON. The same text goes to the console and to
// bench/results/latest.md, which scripts/readme-bench.mjs puts into docs/performance.md.
// Every time is per call: the mean (total time ÷ calls) first, p50 and p99 beside it.

import type { BenchReport, PeerId, ResultRow } from "./types.js";

const PEER_LABEL: Record<PeerId, string> = {
  "plain-js": "plain JS",
  reference: "reference (f64)",
  "tfjs-cpu": "TF.js cpu",
  "tfjs-wasm": "TF.js wasm",
};

/** "12.3 µs" / "1.23 ms" / "123 ms": three significant digits. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(3)} ms`;
  return `${(ms * 1e3).toPrecision(3)} µs`;
}

/** 3 significant digits, never in exponent form. */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (x >= 100) return Math.round(x).toString();
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

export function fmtRatio(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "—";
  if (x >= 100) return Math.round(x).toString();
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** "1024x100" → "1024×100" */
export function shapeLabel(id: string): string {
  return id.replace("x", "×");
}

/** Pads cells so that the table also reads well as plain text. */
export function table(header: string[], rows: string[][], align: ("l" | "r")[]): string {
  const width = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length), 3));
  const pad = (s: string, c: number) => (align[c] === "r" ? s.padStart(width[c]!) : s.padEnd(width[c]!));
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = `|${width.map((w, c) => (align[c] === "r" ? "-".repeat(w + 1) + ":" : ":" + "-".repeat(w + 1))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Implementations of crossEntropy in display order: softxent, then peers, then bounds. */
function ceImpls(report: BenchReport): { impl: string; label: string; op: ResultRow["op"] }[] {
  const seen = new Map<string, { impl: string; label: string; op: ResultRow["op"]; rank: number }>();
  const rank = (r: ResultRow) => (r.kind === "softxent" ? 0 : r.kind === "peer" ? 1 : 2);
  for (const r of report.results) {
    if (r.op !== "crossEntropy" && r.op !== "expBound" && r.op !== "scaleBound") continue;
    const key = `${r.op}/${r.impl}`;
    if (!seen.has(key)) seen.set(key, { impl: r.impl, label: r.label, op: r.op, rank: rank(r) });
  }
  return [...seen.values()].sort((a, b) => a.rank - b.rank);
}

/** The machine / runtime / versions / date / load line that goes beside every table. */
export function environmentLine(report: Pick<BenchReport, "machine" | "runtime" | "versions" | "git" | "date">): string {
  const m = report.machine,
    v = report.versions;
  const tf = v["@tensorflow/tfjs"] ? `, TF.js ${v["@tensorflow/tfjs"]}` : "";
  return (
    `${m.cpu} (${m.cores} cores, ${m.platform} ${m.arch}, load average ${m.loadAvg1m[0]} → ${m.loadAvg1m[1]}) · ` +
    `Node ${report.runtime.node} (V8 ${report.runtime.v8}) · ` +
    `softxent ${v.softxent}${report.git ? ` (${report.git.commit.slice(0, 7)}${report.git.dirty ? "+changes" : ""})` : ""}, ` +
    `tinybench ${v.tinybench}${tf}, AssemblyScript ${v.assemblyscript} · ${report.date.slice(0, 16).replace("T", " ")} UTC`
  );
}

/**
 * A plain warning when other work kept the machine busy during the run (load average above ¾ of the
 * cores at its start or end): absolute times are then pessimistic and noisy, ratios from one
 * process less so. Empty when the machine was quiet.
 */
export function loadCaveat(m: BenchReport["machine"]): string {
  const load = Math.max(...m.loadAvg1m);
  if (!(load > 0.75 * m.cores)) return "";
  return (
    `**Measured on a busy machine** (load average up to ${load} on ${m.cores} cores, other jobs running): ` +
    `absolute times are pessimistic and noisy; ratios measured in one process, alternating, hold up better.`
  );
}

/** Speed-up columns of the per-shape tables: the peers a user would pick instead. */
const VS_COLUMNS: PeerId[] = ["plain-js", "tfjs-wasm", "tfjs-cpu"];

export function renderMarkdown(report: BenchReport): string {
  const shapes = report.settings.shapes;
  const eps = report.settings.smoothing;
  const out: string[] = [];
  const find = (op: ResultRow["op"], impl: string, shape: string) =>
    report.results.find((r) => r.op === op && r.impl === impl && r.shape === shape);
  const ratio = (impl: string, shape: string) => report.ratios.find((r) => r.impl === impl && r.shape === shape);
  const timeCells = (r: ResultRow | undefined) =>
    r ? [fmtMs(r.time.meanMs) + (r.time.repeat > 1 ? " †" : ""), fmtMs(r.time.p50Ms), fmtMs(r.time.p99Ms)] : ["—", "—", "—"];

  out.push(`**Label-smoothed cross-entropy, loss + gradient, ε = ${eps}, float32, one thread**`);
  out.push("");
  out.push(`<sub>${environmentLine(report)}${report.settings.quick ? " · **--quick run: numbers are not meaningful**" : ""}</sub>`);
  out.push("");
  if (loadCaveat(report.machine)) out.push(loadCaveat(report.machine), "");

  // Overview: throughput from the mean, one column per shape.
  const impls = ceImpls(report);
  out.push("Million logits per second, from the mean time per call (higher is better):");
  out.push("");
  out.push(
    table(
      ["implementation", ...shapes.map(shapeLabel)],
      impls.map((i) => [i.label, ...shapes.map((s) => fmtRate(find(i.op, i.impl, s)?.mlogitsPerSec ?? NaN))]),
      ["l", ...shapes.map(() => "r" as const)],
    ),
  );
  out.push("");

  // One table per shape: mean, p50, p99, rate, ÷ exp bound, × faster than each peer.
  const vs = VS_COLUMNS.filter((p) => report.results.some((r) => r.impl === p));
  for (const s of shapes) {
    out.push(`**${shapeLabel(s)}** — time per call; "× X" = X's mean ÷ this row's mean (how many times faster than X)`);
    out.push("");
    const rows = impls
      .map((i) => ({ i, r: find(i.op, i.impl, s) }))
      .filter(({ r }) => r !== undefined)
      .map(({ i, r }) => {
        const q = ratio(i.impl, s);
        return [
          i.label,
          ...timeCells(r),
          fmtRate(r!.mlogitsPerSec),
          i.op === "crossEntropy" ? fmtRatio(q?.overExpBound ?? null) : "",
          ...vs.map((p) => (i.op === "crossEntropy" && i.impl !== p ? fmtRatio(q?.vs[p] ?? null) : "")),
        ];
      });
    out.push(
      table(["implementation", "mean", "p50", "p99", "M logits/s", "÷ exp bound", ...vs.map((p) => `× ${PEER_LABEL[p]}`)], rows, [
        "l",
        "r",
        "r",
        "r",
        "r",
        "r",
        ...vs.map(() => "r" as const),
      ]),
    );
    out.push("");
  }

  if (report.functions.length) {
    const shape = report.settings.functionsShape ?? report.functions[0]!.shape;
    out.push(
      `**Other functions at ${shapeLabel(shape)}** — time per call, and mean ÷ their bound's mean (exp pass for logSoftmax and softmax, scale pass for smoothTargets)`,
    );
    out.push("");
    out.push(
      table(
        ["function", "implementation", "mean", "p50", "p99", "M/s", "÷ bound"],
        report.functions.map((f) => [
          f.op,
          f.label,
          ...timeCells(find(f.op, f.impl, f.shape)),
          fmtRate(f.mlogitsPerSec),
          fmtRatio(f.overBound),
        ]),
        ["l", "l", "r", "r", "r", "r", "r"],
      ),
    );
    out.push("");
  }

  out.push(
    `<sub>tinybench; mean = total timed time ÷ calls (allocation and the garbage collections the calls trigger included), ` +
      `p50 / p99 over the timed samples; ${describeSamples(report)} per cell after warmup, pooled over ${report.settings.rounds} round${report.settings.rounds > 1 ? "s" : ""}${roundsNote(report)}; ` +
      `† calls under 10 µs are timed in batches: their p50 / p99 are those of a batch, per call. Logits N(0, 3²), uniform labels; every answer checked against the f64 reference before timing. ` +
      `copying API = plain Float32Array/Int32Array in, new gradient out; "gradOut array" = the same with the gradient copied into a reused Float32Array, as a training loop on plain arrays does; resident = logits, labels and gradOut in wasm memory (allocFloat32/allocInt32); relaxed SIMD ran with node --experimental-wasm-relaxed-simd (Node 20; on by default in Node ≥ 22 and Chrome ≥ 114); ` +
      `plain JS writes into a preallocated gradient; TF.js per call: tensor2d upload, valueAndGrad, dataSync of loss and gradient, dispose (one-hot targets built once)` +
      `${report.settings.tfjsWasmSimd === null ? "" : `; TF.js wasm backend ${report.settings.tfjsWasmSimd ? "with" : "without"} SIMD, one thread`}. ` +
      `Run: \`npm run bench\` (${report.settings.durationSec} s). onnxruntime and jax-js: bench/results/peers.md (\`npm run bench:peers\`).</sub>`,
  );
  if (report.notes.length) {
    out.push("");
    for (const n of report.notes) out.push(`- note: ${n}`);
  }
  return out.join("\n") + "\n";
}

/** How far apart the rounds' means were: the noise of this run, in one phrase. */
export function roundSpread(results: readonly ResultRow[]): { median: number; worst: number } | null {
  const spreads = results
    .filter((r) => r.time.roundMeanMs.length > 1)
    .map((r) => Math.max(...r.time.roundMeanMs) / Math.min(...r.time.roundMeanMs) - 1)
    .sort((a, b) => a - b);
  if (!spreads.length) return null;
  return { median: spreads[Math.floor(spreads.length / 2)]!, worst: spreads[spreads.length - 1]! };
}

export function roundsNote(report: { results: readonly ResultRow[] }): string {
  const s = roundSpread(report.results);
  if (s === null) return "";
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
  return ` (round means differed by ${pct(s.median)} typically, ${pct(s.worst)} at worst)`;
}

export function describeSamples(report: { results: readonly ResultRow[] }): string {
  const counts = report.results.map((r) => r.time.samples);
  const lo = Math.min(...counts),
    hi = Math.max(...counts);
  return lo === hi ? `${lo} timed samples` : `${lo}–${hi} timed samples`;
}
