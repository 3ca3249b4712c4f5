// Markdown tables from the bench JSON. The same text goes to the console and to
// bench/results/latest.md, which the README includes verbatim.

import { PEERS, type BenchReport, type PeerId, type ResultRow } from "./types.js";

const PEER_LABEL: Record<PeerId, string> = {
  "plain-js": "plain JS",
  reference: "reference (f64)",
  "tfjs-cpu": "TF.js cpu",
  "tfjs-wasm": "TF.js wasm",
};

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
function shapeLabel(id: string): string {
  return id.replace("x", "×");
}

/** Pads cells so that the table also reads well as plain text. */
function table(header: string[], rows: string[][], align: ("l" | "r")[]): string {
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

/** The machine / runtime / versions / date line that goes beside every table. */
export function environmentLine(report: BenchReport): string {
  const m = report.machine, v = report.versions;
  const tf = v["@tensorflow/tfjs"] ? `, TF.js ${v["@tensorflow/tfjs"]}` : "";
  return (
    `${m.cpu} (${m.cores} cores, ${m.platform} ${m.arch}) · Node ${report.runtime.node} (V8 ${report.runtime.v8}) · ` +
    `softxent ${v.softxent}${report.git ? ` (${report.git.commit.slice(0, 7)}${report.git.dirty ? "+changes" : ""})` : ""}, ` +
    `tinybench ${v.tinybench}${tf}, AssemblyScript ${v.assemblyscript} · ${report.date.slice(0, 10)}`
  );
}

export function renderMarkdown(report: BenchReport): string {
  const shapes = report.settings.shapes;
  const eps = report.settings.smoothing;
  const out: string[] = [];
  out.push(`**Label-smoothed cross-entropy, loss + gradient, ε = ${eps}, float32, one thread — million logits per second (higher is better)**`);
  out.push("");
  out.push(`<sub>${environmentLine(report)}${report.settings.quick ? " · **--quick run: numbers are not meaningful**" : ""}</sub>`);
  out.push("");

  const impls = ceImpls(report);
  const rate = (op: ResultRow["op"], impl: string, shape: string) =>
    report.results.find((r) => r.op === op && r.impl === impl && r.shape === shape);
  out.push(
    table(
      ["implementation", ...shapes.map(shapeLabel)],
      impls.map((i) => [i.label, ...shapes.map((s) => fmtRate(rate(i.op, i.impl, s)?.mlogitsPerSec ?? NaN))]),
      ["l", ...shapes.map(() => "r" as const)],
    ),
  );
  out.push("");

  const ratio = (impl: string, shape: string) => report.ratios.find((r) => r.impl === impl && r.shape === shape);
  const timed = impls.filter((i) => i.op === "crossEntropy");
  out.push("**Time ÷ exp bound** (the bare vector exp pass of the same build over the same data; peers against the SIMD one — 1.00 would be the bound itself)");
  out.push("");
  out.push(
    table(
      ["implementation", ...shapes.map(shapeLabel)],
      timed.map((i) => [i.label, ...shapes.map((s) => fmtRatio(ratio(i.impl, s)?.overExpBound ?? null))]),
      ["l", ...shapes.map(() => "r" as const)],
    ),
  );
  out.push("");

  const ours = timed.filter((i) => i.impl.startsWith("softxent-"));
  const peersPresent = PEERS.filter((p) => report.results.some((r) => r.impl === p));
  if (ours.length && peersPresent.length) {
    out.push("**Speed-up of softxent over each peer** (× faster, same run, same data)");
    out.push("");
    const rows: string[][] = [];
    for (const i of ours) {
      peersPresent.forEach((p, idx) => {
        rows.push([idx === 0 ? i.label : "", `vs ${PEER_LABEL[p]}`, ...shapes.map((s) => fmtRatio(ratio(i.impl, s)?.vs[p] ?? null))]);
      });
    }
    out.push(table(["softxent", "against", ...shapes.map(shapeLabel)], rows, ["l", "l", ...shapes.map(() => "r" as const)]));
    out.push("");
  }

  if (report.functions.length) {
    const shape = report.settings.functionsShape ?? report.functions[0]!.shape;
    out.push(`**Other functions at ${shapeLabel(shape)}** — million elements per second, and time ÷ their bound (exp pass for logSoftmax and softmax, scale pass for smoothTargets)`);
    out.push("");
    out.push(
      table(
        ["function", "implementation", "M/s", "time ÷ bound"],
        report.functions.map((f) => [f.op, f.label, fmtRate(f.mlogitsPerSec), fmtRatio(f.overBound)]),
        ["l", "l", "r", "r"],
      ),
    );
    out.push("");
  }

  out.push(
    `<sub>tinybench, median per call of ${describeSamples(report)} per cell after warmup${roundsNote(report)}; logits N(0, 3²), uniform labels; ` +
      `copying API = plain Float32Array/Int32Array in, new gradient out (V8's allocation of that array included); "gradOut array" = the same with the gradient copied into a reused Float32Array, as a training loop on plain arrays does; resident = logits, labels and gradOut in wasm memory (allocFloat32/allocInt32); relaxed SIMD ran with node --experimental-wasm-relaxed-simd (Node 20; on by default in Node ≥ 22 and Chrome ≥ 114); ` +
      `plain JS writes into a preallocated gradient; TF.js per call: tensor2d upload, valueAndGrad, dataSync of loss and gradient, dispose (one-hot targets built once)` +
      `${report.settings.tfjsWasmSimd === null ? "" : `; TF.js wasm backend ${report.settings.tfjsWasmSimd ? "with" : "without"} SIMD, one thread`}. ` +
      `Run: \`npm run bench\` (${report.settings.durationSec} s).</sub>`,
  );
  if (report.notes.length) {
    out.push("");
    for (const n of report.notes) out.push(`- note: ${n}`);
  }
  return out.join("\n") + "\n";
}

/** How far apart the rounds were: the noise of this run, in one phrase. */
export function roundSpread(report: BenchReport): { median: number; worst: number } | null {
  const spreads = report.results
    .filter((r) => r.roundMedianMs.length > 1)
    .map((r) => Math.max(...r.roundMedianMs) / Math.min(...r.roundMedianMs) - 1)
    .sort((a, b) => a - b);
  if (!spreads.length) return null;
  return { median: spreads[Math.floor(spreads.length / 2)]!, worst: spreads[spreads.length - 1]! };
}

function roundsNote(report: BenchReport): string {
  const s = roundSpread(report);
  if (s === null) return "";
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
  return `, fastest of ${report.settings.rounds} rounds (rounds differed by ${pct(s.median)} typically, ${pct(s.worst)} at worst)`;
}

function describeSamples(report: BenchReport): string {
  const counts = report.results.map((r) => r.samples);
  const lo = Math.min(...counts), hi = Math.max(...counts);
  return lo === hi ? `${lo} timed samples` : `${lo}–${hi} timed samples`;
}
