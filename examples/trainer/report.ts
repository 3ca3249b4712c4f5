/**
 * The self-contained HTML report of a comparison: setup, the results table, loss curves and one
 * reliability diagram per run, all inline (CSS and hand-written SVG; no script, no external file).
 * The markup is well formed as XML too (every element closed, attributes quoted), so it can be
 * checked with a strict parser.
 */
import { escapeXml, lossChartSvg, reliabilitySvg } from "./charts.js";
import { COLUMNS, formatRow, readings, tableRows, type RunSummary } from "./summary.js";
import type { TrainConfig } from "./train.js";

export interface ReportInput {
  config: Omit<TrainConfig, "smoothing">;
  modelDescription: string;
  parameters: number;
  split: { train: number; validation: number; test: number };
  runs: RunSummary[];
  /** e.g. "softxent 0.1.0, simd build, Node 20.20.2" */
  environment: string;
  seconds: number;
  generated: Date;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.scaled td { color: #444; background: #f8f9fa; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; }
figcaption { font-size: 13px; color: #555; max-width: 640px; }
code { background: #f1f3f5; padding: 1px 4px; border-radius: 3px; }
`;

function cell(tag: "td" | "th", text: string): string {
  return `<${tag}>${escapeXml(text)}</${tag}>`;
}

export function resultsTableHtml(runs: readonly RunSummary[]): string {
  const head = `<tr>${COLUMNS.map((c) => cell("th", c)).join("")}</tr>`;
  const body = tableRows(runs)
    .map(
      (r) =>
        `<tr class="${r.run.includes("temperature") ? "scaled" : "raw"}">${formatRow(r)
          .map((v) => cell("td", v))
          .join("")}</tr>`,
    )
    .join("\n");
  return `<table class="results">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function historyTableHtml(runs: readonly RunSummary[]): string {
  const head = `<tr>${["run", "epoch", "train loss", "val NLL", "val acc", "seconds"].map((c) => cell("th", c)).join("")}</tr>`;
  const rows = runs.flatMap((r) =>
    r.history.map(
      (h) =>
        `<tr>${[
          r.label,
          String(h.epoch),
          h.trainLoss.toFixed(4),
          h.validationNll.toFixed(4),
          `${(h.validationAccuracy * 100).toFixed(1)}%`,
          h.seconds.toFixed(2),
        ]
          .map((v) => cell("td", v))
          .join("")}</tr>`,
    ),
  );
  return `<table class="history">\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

export function reliabilityFigures(runs: readonly RunSummary[]): string {
  return runs
    .map((r) =>
      reliabilitySvg(r.evaluation.test.bins, {
        title: `${r.label} — test split`,
        color: r.color,
        scaledBins: r.evaluation.testScaled.bins,
        ece: r.evaluation.test.ece,
        scaledEce: r.evaluation.testScaled.ece,
        temperature: r.evaluation.temperature,
      }),
    )
    .join("\n");
}

export function renderReport(input: ReportInput): string {
  const { config, runs, split } = input;
  const epochs = Math.max(config.epochs, ...runs.map((r) => r.history.length));
  const loss = lossChartSvg(runs, { epochs });
  const setup =
    `${input.modelDescription}, ${input.parameters.toLocaleString("en-US")} parameters; Adam, learning rate ${config.learningRate}, ` +
    `batch ${config.batchSize}, ${config.epochs} epochs, seed ${config.seed}. MNIST digits of the mnist package: ` +
    `${split.train} train / ${split.validation} validation / ${split.test} test.`;
  return `<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>softxent — label smoothing and focal loss on MNIST</title>
<style>${CSS}</style>
</head>
<body>
<h1>Label smoothing and focal loss on MNIST: accuracy and calibration</h1>
<p class="meta">${escapeXml(setup)}<br />${escapeXml(input.environment)}; loss and gradient by softxent <code>crossEntropy</code> on resident wasm buffers;
metrics by softxent <code>calibration</code>, temperatures by <code>fitTemperature</code>.
Run took ${input.seconds.toFixed(1)} s; generated ${escapeXml(input.generated.toISOString())}.</p>

<h2>Test split</h2>
${resultsTableHtml(runs)}
<p class="meta">T: the temperature fitted on the validation split (fitTemperature, Guo et al. 2017); rows at T = 1 are the raw model.
ECE: 15 equal-width confidence bins; MCE: the largest bin gap. NLL and Brier are means over the test split.
Focal runs train with <code>crossEntropy(…, { focal: { gamma } })</code> (FLSD-53: γ = 5 where the true class's p &lt; 0.2, else 3).</p>
<p class="meta">${escapeXml(readings(tableRows(runs)))}</p>

<h2>Loss curves</h2>
<figure>${loss}
<figcaption>Thin lines: the training loss each run minimises (with its own smoothing, so the ε &gt; 0 curve cannot reach 0; the focal runs' loss is the focal loss, smaller than the NLL by construction). Thick lines with dots: validation NLL (ε = 0) after each epoch — the comparable number.</figcaption>
</figure>

<h2>Reliability diagrams</h2>
<div class="charts">
${reliabilityFigures(runs)}
</div>
<p class="meta">Bars: accuracy of each confidence bin; hatched red: the gap to the bin's mean confidence (bars below the diagonal are overconfident, above it underconfident). Dots: the same bins after temperature scaling.</p>

<h2>Per epoch</h2>
${historyTableHtml(runs)}
</body>
</html>
`;
}
