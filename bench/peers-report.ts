// Markdown from bench/results/peers.json: the full tables (peers.md, for docs/performance.md) and the
// short headline table (headline.md, for the README): softxent against each peer, mean per call and
// ratio, every ratio from one process (the peer and softxent timed alternately in it).

import { environmentLine, fmtMs, fmtRate, fmtRatio, loadCaveat, shapeLabel, table } from "./report.js";
import type { PeerRow, PeerRun, PeersReport } from "./types.js";

/** The softxent row every peer is compared with: plain arrays in, gradient into a reused array. */
const BASELINE: PeerRow["impl"] = "softxent-copyout";

function row(run: PeerRun, impl: PeerRow["impl"], shape: string): PeerRow | undefined {
  return run.rows.find((r) => r.impl === impl && r.shape === shape);
}

/** Peer mean ÷ softxent (gradOut array) mean in the peer's process; null when either is missing. */
export function peerRatio(run: PeerRun, shape: string, impl: PeerRow["impl"] = BASELINE): number | null {
  const p = row(run, "peer", shape),
    s = row(run, impl, shape);
  return p && s ? p.time.meanMs / s.time.meanMs : null;
}

function envLine(report: PeersReport): string {
  const versions = { ...report.versions };
  for (const p of report.peers) Object.assign(versions, p.versions);
  const peerVersions = report.peers
    .flatMap((p) => Object.entries(p.versions))
    .filter(([name], i, all) => all.findIndex(([n]) => n === name) === i && !name.startsWith("@tensorflow/"))
    .map(([name, v]) => `${name} ${v}`)
    .join(", ");
  return environmentLine({ ...report, versions }) + (peerVersions ? ` · ${peerVersions}` : "");
}

function sci(x: number | null): string {
  return x === null ? "—" : x === 0 ? "0" : x.toExponential(1);
}

export function renderPeersMarkdown(report: PeersReport): string {
  const out: string[] = [];
  out.push(
    `**softxent against other JavaScript libraries — label-smoothed cross-entropy, loss + gradient, ε = ${report.settings.smoothing}, float32, one thread, each peer in its own process**`,
  );
  out.push("");
  out.push(`<sub>${envLine(report)}${report.settings.quick ? " · **--quick run: numbers are not meaningful**" : ""}</sub>`);
  out.push("");
  if (loadCaveat(report.machine)) out.push(loadCaveat(report.machine), "");
  const ok = report.peers.filter((p) => p.rows.length > 0);
  for (const shape of report.settings.shapes) {
    out.push(`**${shapeLabel(shape)}** — time per call; "peer ÷ this" = the peer's mean ÷ this row's mean, both from the peer's process`);
    out.push("");
    const rows: string[][] = [];
    for (const run of ok) {
      const peer = row(run, "peer", shape);
      for (const impl of ["peer", "softxent-copyout", "softxent-resident"] as const) {
        const r = row(run, impl, shape);
        if (!r) continue;
        const ratio = impl === "peer" || !peer ? "" : fmtRatio(peer.time.meanMs / r.time.meanMs);
        rows.push([
          impl === "peer" ? run.peer : "",
          impl === "peer" ? r.label : `↳ ${r.label}`,
          fmtMs(r.time.meanMs) + (r.time.repeat > 1 ? " †" : ""),
          fmtMs(r.time.p50Ms),
          fmtMs(r.time.p99Ms),
          fmtRate(r.mlogitsPerSec),
          ratio,
          sci(r.check.lossRelErr),
          sci(r.check.gradRelErr),
        ]);
      }
      if (!peer) rows.push([run.peer, `${run.label}: not timed (see notes)`, "—", "—", "—", "—", "", "", ""]);
    }
    out.push(
      table(["process", "implementation", "mean", "p50", "p99", "M logits/s", "peer ÷ this", "loss rel. err", "grad err ÷ max g"], rows, [
        "l",
        "l",
        "r",
        "r",
        "r",
        "r",
        "r",
        "r",
        "r",
      ]),
    );
    out.push("");
  }
  out.push(
    `<sub>tinybench; mean = total timed time ÷ calls (allocation and the garbage collections the calls trigger included), p50 / p99 over the timed samples, ` +
      `pooled over ${report.settings.rounds} alternating round${report.settings.rounds > 1 ? "s" : ""}; † calls under 10 µs are timed in batches (p50 / p99 per call of a batch). ` +
      `softxent: its SIMD build (the default where relaxed SIMD is off, as in Node 20), "gradOut array" = crossEntropy(Float32Array, Int32Array, { classes, smoothing, gradOut }) with a reused plain gradOut, ` +
      `resident = logits, labels and gradOut in wasm memory. Every answer was checked against softxent's f64 reference before timing (errors in the last two columns: loss relative, max |Δgrad| ÷ max |grad|). ` +
      `Run: \`npm run bench:peers\` (${report.settings.durationSec} s).</sub>`,
  );
  out.push("");
  for (const run of report.peers) if (run.describe) out.push(`- ${run.describe}.`);
  for (const run of report.peers) {
    if (run.status !== "ok") out.push(`- note: ${run.peer} not run (${run.status}): ${run.error}`);
    for (const n of run.notes) out.push(`- note: ${run.peer}: ${n}`);
  }
  for (const n of report.notes) out.push(`- note: ${n}`);
  return out.join("\n") + "\n";
}

/** The README's short table: one row per peer, per shape the ratio and both means. */
export function renderHeadline(report: PeersReport): string {
  const shapes = report.settings.shapes;
  const rows = report.peers
    .filter((p) => p.rows.some((r) => r.impl === "peer"))
    .map((run) => [
      run.label,
      ...shapes.map((s) => {
        const ratio = peerRatio(run, s);
        const p = row(run, "peer", s),
          x = row(run, BASELINE, s);
        return ratio === null || !p || !x ? "—" : `**${fmtRatio(ratio)}×** (${fmtMs(p.time.meanMs)} vs ${fmtMs(x.time.meanMs)})`;
      }),
    ]);
  const out: string[] = [];
  out.push(table(["peer mean ÷ softxent mean", ...shapes.map(shapeLabel)], rows, ["l", ...shapes.map(() => "r" as const)]));
  out.push("");
  out.push(
    `<sub>Label-smoothed cross-entropy, loss + gradient, ε = ${report.settings.smoothing}, float32, one thread. Each cell: the peer's mean time per call ÷ softxent's ` +
      `(SIMD build, plain Float32Array in, gradient into a reused array), both timed in the peer's own process; in brackets the two means. ` +
      `${envLine(report)}. Full tables with p50 / p99: [docs/performance.md](docs/performance.md); how to re-run: [bench/README.md](bench/README.md).</sub>`,
  );
  // Accuracy beside speed: a peer that is faster to beat because it is less exact should say so.
  const worst = (run: PeerRun, impl: PeerRow["impl"]) =>
    Math.max(0, ...run.rows.filter((r) => r.impl === impl).map((r) => r.check.lossRelErr ?? 0));
  const sx = Math.max(0, ...report.peers.map((p) => worst(p, BASELINE)));
  const loose = report.peers.filter((p) => worst(p, "peer") > 1e-4);
  if (loose.length) {
    out.push(
      "",
      `<sub>Accuracy (loss relative error against the f64 reference, worst shape): ` +
        loose.map((p) => `${p.label} ${worst(p, "peer").toExponential(1)}`).join(", ") +
        `; softxent ${sx.toExponential(1)}.</sub>`,
    );
  }
  if (loadCaveat(report.machine)) out.push("", `<sub>${loadCaveat(report.machine)}</sub>`);
  const missing = report.peers.filter((p) => !p.rows.some((r) => r.impl === "peer"));
  for (const p of missing) out.push("", `- ${p.peer}: not measured (${p.error ?? p.notes.join("; ")})`);
  return out.join("\n") + "\n";
}
