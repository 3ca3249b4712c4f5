// A grouped bar chart (SVG, written by hand: no chart dependency) of M logits/s per shape per
// implementation (from the mean time per call), log scale, every bar labelled with its value, from the bench JSON.

import { environmentLine, fmtRate } from "./report.js";
import type { BenchReport, ResultRow } from "./types.js";

/** Series in legend order, with their colours; series missing from a report are skipped. */
const SERIES: { op: ResultRow["op"]; impl: string; color: string }[] = [
  { op: "crossEntropy", impl: "softxent-relaxed-simd-resident", color: "#004d40" },
  { op: "crossEntropy", impl: "softxent-simd-resident", color: "#1b5e20" },
  { op: "crossEntropy", impl: "softxent-simd-copyout", color: "#43a047" },
  { op: "crossEntropy", impl: "softxent-simd-copy", color: "#81c784" },
  { op: "crossEntropy", impl: "softxent-scalar-resident", color: "#1565c0" },
  { op: "crossEntropy", impl: "softxent-scalar-copy", color: "#64b5f6" },
  { op: "crossEntropy", impl: "plain-js", color: "#f9a825" },
  { op: "crossEntropy", impl: "reference", color: "#8d6e63" },
  { op: "crossEntropy", impl: "tfjs-wasm", color: "#e65100" },
  { op: "crossEntropy", impl: "tfjs-cpu", color: "#c62828" },
  { op: "expBound", impl: "bound-exp-simd", color: "#9e9e9e" },
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderSvg(report: BenchReport): string {
  const shapes = report.settings.shapes;
  const rowsOf = (op: ResultRow["op"], impl: string) => report.results.filter((r) => r.op === op && r.impl === impl);
  const series = SERIES.filter((s) => rowsOf(s.op, s.impl).length > 0).map((s) => ({
    ...s,
    label: rowsOf(s.op, s.impl)[0]!.label,
    value: (shape: string) => rowsOf(s.op, s.impl).find((r) => r.shape === shape)?.mlogitsPerSec ?? null,
  }));

  const values = series.flatMap((s) => shapes.map((sh) => s.value(sh))).filter((v): v is number => v !== null && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  // Top: the first 1, 2 or 5 × 10^k with room above the tallest bar for its label.
  const top10 = 10 ** Math.floor(Math.log10(Math.max(...values, 10) * 1.6));
  const hi = [1, 2, 5, 10].map((m) => m * top10).find((v) => v >= Math.max(...values, 10) * 1.6)!;

  const bar = 16,
    gap = 3,
    groupGap = 34;
  const groupWidth = series.length * (bar + gap) - gap;
  const left = 70,
    right = 20,
    top = 70,
    plotH = 340;
  const legendRowH = 18,
    legendCols = 3;
  const legendRows = Math.ceil(series.length / legendCols);
  const width = Math.max(760, left + right + shapes.length * (groupWidth + groupGap));
  const bottom = 46 + legendRows * legendRowH + 24;
  const height = top + plotH + bottom;
  const y = (v: number) => top + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;

  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
  );
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  o.push(
    `<text x="${left}" y="24" font-size="16" font-weight="600" fill="#222">Label-smoothed cross-entropy, loss + gradient (ε = ${report.settings.smoothing}): million logits per second from the mean time per call, log scale</text>`,
  );
  o.push(`<text x="${left}" y="44" font-size="11" fill="#555">${esc(environmentLine(report))}</text>`);

  // Grid: every decade labelled, 2× and 5× lines faint.
  if (Math.abs(Math.log10(hi) - Math.round(Math.log10(hi))) > 1e-9) {
    o.push(`<line x1="${left}" x2="${width - right}" y1="${y(hi).toFixed(1)}" y2="${y(hi).toFixed(1)}" stroke="#eee"/>`);
    o.push(`<text x="${left - 8}" y="${(y(hi) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#888">${fmtRate(hi)}</text>`);
  }
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    o.push(`<line x1="${left}" x2="${width - right}" y1="${y(d).toFixed(1)}" y2="${y(d).toFixed(1)}" stroke="#ccc"/>`);
    o.push(`<text x="${left - 8}" y="${(y(d) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#444">${fmtRate(d)}</text>`);
    for (const m of [2, 5]) {
      if (d * m < hi)
        o.push(`<line x1="${left}" x2="${width - right}" y1="${y(d * m).toFixed(1)}" y2="${y(d * m).toFixed(1)}" stroke="#eee"/>`);
    }
  }
  o.push(
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#444">M logits/s</text>`,
  );

  shapes.forEach((shape, g) => {
    const x0 = left + groupGap / 2 + g * (groupWidth + groupGap);
    series.forEach((s, i) => {
      const v = s.value(shape);
      const x = x0 + i * (bar + gap);
      if (v === null || !(v > 0)) return;
      const yt = y(Math.max(v, lo));
      o.push(
        `<rect x="${x}" y="${yt.toFixed(1)}" width="${bar}" height="${(top + plotH - yt).toFixed(1)}" fill="${s.color}"><title>${esc(`${s.label}, ${shape.replace("x", "×")}: ${fmtRate(v)} M logits/s`)}</title></rect>`,
      );
      o.push(
        `<text transform="translate(${x + bar / 2 + 4} ${(yt - 4).toFixed(1)}) rotate(-90)" font-size="10" fill="#333">${fmtRate(v)}</text>`,
      );
    });
    o.push(
      `<text x="${x0 + groupWidth / 2}" y="${top + plotH + 20}" font-size="13" text-anchor="middle" fill="#222">${shape.replace("x", "×")}</text>`,
    );
  });
  o.push(
    `<text x="${left + (width - left - right) / 2}" y="${top + plotH + 38}" font-size="11" text-anchor="middle" fill="#666">shape N×K (rows × classes)</text>`,
  );
  o.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#888"/>`);

  const legendTop = top + plotH + 56;
  const colW = (width - left - right) / legendCols;
  series.forEach((s, i) => {
    const lx = left + (i % legendCols) * colW,
      ly = legendTop + Math.floor(i / legendCols) * legendRowH;
    o.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.color}"/>`);
    o.push(`<text x="${lx + 18}" y="${ly + 10}" font-size="12" fill="#222">${esc(s.label)}</text>`);
  });
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}
