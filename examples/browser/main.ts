// The page: controls, a progress bar, live loss curves and, at the end, reliability diagrams and the
// table — the same SVG and table code as the CLI's HTML report. Query parameters preset the controls
// (?smoothing=0.1&focal=0&epochs=1&model=softmax&subset=2000&seed=42) and ?autostart=1 starts at once.
import { lossChartSvg, RUN_COLORS } from "../trainer/charts.js";
import type { ModelKind } from "../trainer/model.js";
import { reliabilityFigures, resultsTableHtml } from "../trainer/report.js";
import { runLabel, type RunSpec, type RunSummary } from "../trainer/summary.js";
import { DEFAULTS, type EpochRecord, type Evaluation, type TracePoint } from "../trainer/train.js";
import type { StartMessage, WorkerMessage } from "./messages.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("controls");
const smoothingInput = $<HTMLInputElement>("smoothing");
const focalInput = $<HTMLInputElement>("focal");
const epochsInput = $<HTMLInputElement>("epochs");
const modelSelect = $<HTMLSelectElement>("model");
const subsetSelect = $<HTMLSelectElement>("subset");
const startButton = $<HTMLButtonElement>("start");
const progress = $<HTMLProgressElement>("progress");
const status = $<HTMLSpanElement>("status");

const params = new URLSearchParams(location.search);
if (params.has("smoothing")) smoothingInput.value = params.get("smoothing")!;
if (params.has("focal")) focalInput.checked = params.get("focal") !== "0";
if (params.has("epochs")) epochsInput.value = params.get("epochs")!;
if (params.has("model")) modelSelect.value = params.get("model")!;
if (params.has("subset")) {
  const v = params.get("subset")!;
  if (![...subsetSelect.options].some((o) => o.value === v)) subsetSelect.add(new Option(`${v} (from the URL)`, v));
  subsetSelect.value = v;
}
const seed = Number(params.get("seed") ?? DEFAULTS.seed);

interface RunState {
  label: string;
  smoothing: number;
  focal?: { gamma: number | "flsd-53" };
  color: string;
  history: EpochRecord[];
  trace: TracePoint[];
  evaluation: Evaluation | null;
}

let worker: Worker | null = null;
let runs: RunState[] = [];
let epochs = 1;
let drawPending = false;

function setStatus(text: string, state: string): void {
  status.textContent = text;
  status.dataset.state = state;
}

function drawLoss(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    $("loss").innerHTML = lossChartSvg(runs, { epochs });
  });
}

function drawResults(): void {
  const done = runs.filter((r): r is RunState & { evaluation: Evaluation } => r.evaluation !== null);
  $("reliability").innerHTML = reliabilityFigures(done as RunSummary[]);
  if (done.length === runs.length) $("table").innerHTML = resultsTableHtml(done as RunSummary[]);
}

function start(): void {
  worker?.terminate();
  const eps = Number(smoothingInput.value);
  epochs = Math.max(1, Math.min(50, Math.round(Number(epochsInput.value)) || 1));
  const smoothings = eps > 0 && eps <= 1 ? [0, eps] : [0];
  const focals: Array<number | "flsd-53"> = focalInput.checked ? [3, "flsd-53"] : [];
  const specs: RunSpec[] = [...smoothings.map((s) => ({ smoothing: s })), ...focals.map((gamma) => ({ smoothing: 0, focal: { gamma } }))];
  runs = specs.map((s, i) => ({
    label: runLabel(s.smoothing, s.focal),
    ...s,
    color: RUN_COLORS[i]!,
    history: [],
    trace: [],
    evaluation: null,
  }));
  $("reliability").innerHTML = "";
  $("table").innerHTML = "";
  drawLoss();
  progress.value = 0;
  setStatus("loading softxent and the digits…", "loading");
  startButton.disabled = true;

  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const totalSteps = epochs * runs.length;
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    switch (m.type) {
      case "ready":
        $("backend").textContent =
          `${m.model}; ${m.split.train} train / ${m.split.validation} validation / ${m.split.test} test digits; ${m.backend}.`;
        setStatus("training…", "training");
        break;
      case "progress": {
        const r = runs[m.run]!;
        r.trace.push(...m.trace);
        progress.value = ((m.epoch - 1) * runs.length + m.run + m.done / m.total) / totalSteps;
        setStatus(
          `${r.label}: epoch ${m.epoch}/${epochs}, ${Math.round((100 * m.done) / m.total)}% — train loss ${m.loss.toFixed(4)}`,
          "training",
        );
        drawLoss();
        break;
      }
      case "epoch": {
        const r = runs[m.run]!;
        r.history.push(m.record);
        r.trace = m.trace;
        progress.value = ((m.record.epoch - 1) * runs.length + m.run + 1) / totalSteps;
        drawLoss();
        break;
      }
      case "evaluating":
        setStatus("fitting temperatures, measuring calibration…", "evaluating");
        break;
      case "evaluation":
        runs[m.run]!.evaluation = m.evaluation;
        drawResults();
        break;
      case "done":
        progress.value = 1;
        setStatus(`done in ${m.seconds.toFixed(1)} s`, "done");
        startButton.disabled = false;
        break;
      case "error":
        setStatus(`error: ${m.message}`, "error");
        startButton.disabled = false;
        break;
    }
  };
  worker.onerror = (e) => {
    setStatus(`error: ${e.message}`, "error");
    startButton.disabled = false;
  };
  const msg: StartMessage = {
    type: "start",
    dataUrl: new URL("mnist-digits.bin.gz", document.baseURI).href,
    model: (modelSelect.value === "softmax" ? "softmax" : "mlp") as ModelKind,
    epochs,
    smoothings,
    focals,
    subset: Number(subsetSelect.value),
    seed: Number.isInteger(seed) && seed >= 0 ? seed : DEFAULTS.seed,
  };
  worker.postMessage(msg);
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  start();
});
drawLoss();
if (params.get("autostart") === "1") start();
