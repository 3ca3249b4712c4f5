/**
 * `npm start`: trains the same model with ε = 0, ε = 0.1, the focal loss with γ = 3 and FLSD-53 side by
 * side on the MNIST digits, fits a temperature on the validation split for each, prints the test-split
 * table (accuracy, NLL, ECE, MCE, Brier; each run raw and temperature-scaled) and writes a
 * self-contained HTML report with loss curves and reliability diagrams.
 *
 *   npm start -- --epochs 5 --model mlp --smoothing 0.1
 *   node dist-examples/trainer/cli.js --help
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { backendInfo, init } from "softxent";
import { RUN_COLORS } from "./charts.js";
import { split } from "./data.js";
import type { ModelKind } from "./model.js";
import { loadMnist } from "./mnist-node.js";
import { progressLine, type Output } from "./progress.js";
import { renderReport } from "./report.js";
import { readings, runLabel, tableRows, textTable, type RunSpec, type RunSummary } from "./summary.js";
import { DEFAULT_LEARNING_RATE, DEFAULTS, TrainingRun, type TrainConfig } from "./train.js";

const HELP = `Usage: npm start -- [options]      (or: node dist-examples/trainer/cli.js [options])

Trains a classifier on the MNIST digits of the mnist package with and without label smoothing and
with the focal loss, and compares accuracy and calibration on a held-out test split.

  --epochs N        epochs per run (default ${DEFAULTS.epochs})
  --model M         mlp | softmax (default ${DEFAULTS.model}: one hidden relu layer; softmax: softmax regression)
  --smoothing E     ε of the smoothed run, compared against ε = 0 (default ${DEFAULTS.smoothing});
                    or a comma-separated list of runs, e.g. 0,0.05,0.1,0.2
  --focal G         focal-loss runs (ε = 0) beside them: a comma-separated list of γ values and
                    flsd-53 (default 3,flsd-53), or none
  --hidden H        hidden units of the MLP (default ${DEFAULTS.hidden})
  --batch B         mini-batch size (default ${DEFAULTS.batchSize})
  --lr R            Adam learning rate (default ${DEFAULT_LEARNING_RATE.mlp} for mlp, ${DEFAULT_LEARNING_RATE.softmax} for softmax)
  --seed S          seed of the split, the initial weights and the batch order (default ${DEFAULTS.seed})
  --subset N        use N of the 10,000 samples (default: all)
  --report PATH     where to write the HTML report (default report/softxent-report.html)
  --no-report       do not write the report
  --json PATH       also write the results as JSON
  --help            this text`;

/** A bad command line: main() prints it with the usage and exits with status 2. */
export class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function num(name: string, value: string | undefined, fallback: number, check: (x: number) => boolean, expect: string): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || !check(x)) fail(`--${name} must be ${expect}; received ${JSON.stringify(value)}`);
  return x;
}

export interface CliOptions {
  config: Omit<TrainConfig, "smoothing">;
  smoothings: number[];
  /** γ of the focal runs (each at ε = 0). */
  focals: Array<number | "flsd-53">;
  subset: number | undefined;
  report: string | null;
  json: string | null;
}

export function parseCli(argv: string[]): CliOptions | "help" {
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs's inferred type (from the options below), assigned in the try
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        epochs: { type: "string" },
        model: { type: "string" },
        smoothing: { type: "string" },
        focal: { type: "string" },
        hidden: { type: "string" },
        batch: { type: "string" },
        lr: { type: "string" },
        seed: { type: "string" },
        subset: { type: "string" },
        report: { type: "string" },
        "no-report": { type: "boolean" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const isInt = (lo: number) => (x: number) => Number.isInteger(x) && x >= lo;
  const model = (v.model ?? DEFAULTS.model) as ModelKind;
  if (model !== "mlp" && model !== "softmax") fail(`--model must be mlp or softmax; received ${JSON.stringify(v.model)}`);
  let smoothings: number[];
  if (v.smoothing === undefined) smoothings = [0, DEFAULTS.smoothing];
  else {
    const list = v.smoothing
      .split(",")
      .map((s) => num("smoothing", s, 0, (x) => x >= 0 && x <= 1, "a number in [0, 1] (or a comma-separated list)"));
    smoothings = list.length === 1 && list[0] !== 0 ? [0, list[0]!] : list;
  }
  let focals: Array<number | "flsd-53"> = [3, "flsd-53"];
  if (v.focal !== undefined) {
    focals =
      v.focal === "none"
        ? []
        : v.focal
            .split(",")
            .map((s) =>
              s === "flsd-53"
                ? "flsd-53"
                : num("focal", s, 0, (x) => x >= 0 && x <= 100, "γ values in [0, 100] or flsd-53 (comma-separated), or none"),
            );
  }
  if (smoothings.length + focals.length > RUN_COLORS.length) {
    fail(`--smoothing and --focal: at most ${RUN_COLORS.length} runs; received ${smoothings.length + focals.length}`);
  }
  return {
    config: {
      model,
      epochs: num("epochs", v.epochs, DEFAULTS.epochs, isInt(1), "an integer ≥ 1"),
      hidden: num("hidden", v.hidden, DEFAULTS.hidden, isInt(1), "an integer ≥ 1"),
      batchSize: num("batch", v.batch, DEFAULTS.batchSize, isInt(1), "an integer ≥ 1"),
      learningRate: num("lr", v.lr, DEFAULT_LEARNING_RATE[model], (x) => x > 0, "a number > 0"),
      seed: num("seed", v.seed, DEFAULTS.seed, isInt(0), "an integer ≥ 0"),
    },
    smoothings,
    focals,
    subset: v.subset === undefined ? undefined : num("subset", v.subset, 0, isInt(50), "an integer ≥ 50"),
    report: v["no-report"] ? null : resolve(v.report ?? "report/softxent-report.html"),
    json: v.json === undefined ? null : resolve(v.json),
  };
}

export interface CliResult {
  runs: RunSummary[];
  rows: ReturnType<typeof tableRows>;
  reportPath: string | null;
  seconds: number;
}

/** Runs the comparison for a command line, writing progress and the table to `out`. */
export async function runCli(argv: string[], out: Output = process.stdout): Promise<CliResult | null> {
  const options = parseCli(argv);
  if (options === "help") {
    out.write(`${HELP}\n`);
    return null;
  }
  const { config, smoothings, focals } = options;
  const specs: RunSpec[] = [
    ...smoothings.map((smoothing) => ({ smoothing })),
    ...focals.map((gamma) => ({ smoothing: 0, focal: { gamma } })),
  ];
  const labels = specs.map((s) => runLabel(s.smoothing, s.focal));
  const t0 = performance.now();
  await init();
  const info = backendInfo();
  const data = split(loadMnist(), { seed: config.seed, subset: options.subset });
  const runs = specs.map((spec) => new TrainingRun(data, { ...config, ...spec }));
  const model = runs[0]!.model;
  out.write(
    `\nLabel smoothing and focal loss on MNIST — ${model.describe()}, ${model.size.toLocaleString("en-US")} parameters, Adam lr ${config.learningRate}, ` +
      `batch ${config.batchSize}, seed ${config.seed}\n` +
      `${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test digits; ` +
      `${runs.length} runs side by side: ${labels.join(", ")}\n\n`,
  );
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const epochWidth = String(config.epochs).length;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    for (const [i, run] of runs.entries()) {
      const prefix = `epoch ${String(epoch).padStart(epochWidth)}/${config.epochs}  ${labels[i]!.padEnd(labelWidth)}`;
      const line = progressLine(out, prefix);
      const record = run.trainEpoch((done, total, loss) => line.update(done, total, `train loss ${loss.toFixed(4)}`));
      line.finish(
        `train loss ${record.trainLoss.toFixed(4)}  val NLL ${record.validationNll.toFixed(4)}  ` +
          `val acc ${(record.validationAccuracy * 100).toFixed(1)}%  ${record.seconds.toFixed(1)} s`,
      );
    }
  }

  const summaries: RunSummary[] = runs.map((run, i) => ({
    label: labels[i]!,
    smoothing: run.config.smoothing,
    ...(run.config.focal && { focal: run.config.focal }),
    color: RUN_COLORS[i]!,
    history: run.history,
    trace: run.trace,
    evaluation: run.evaluate(),
  }));
  for (const run of runs) run.release();
  const seconds = (performance.now() - t0) / 1000;

  out.write(`\nTest split (${data.test.count} digits); T fitted on the validation split; ECE over 15 bins:\n\n`);
  out.write(`${textTable(tableRows(summaries))}\n\n${readings(tableRows(summaries))}\n\n`);
  const environment = `softxent ${info.version}, ${info.build} build, Node ${process.versions.node}`;
  if (options.report) {
    const html = renderReport({
      config,
      modelDescription: model.describe(),
      parameters: model.size,
      split: { train: data.train.count, validation: data.validation.count, test: data.test.count },
      runs: summaries,
      environment,
      seconds,
      generated: new Date(),
    });
    mkdirSync(dirname(options.report), { recursive: true });
    writeFileSync(options.report, html);
    out.write(`Report: ${options.report}\n`);
  }
  if (options.json) {
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(
      options.json,
      JSON.stringify(
        {
          config,
          smoothings,
          focals,
          split: { train: data.train.count, validation: data.validation.count, test: data.test.count },
          environment,
          seconds,
          rows: tableRows(summaries),
          runs: summaries,
        },
        null,
        1,
      ),
    );
  }
  out.write(`Done in ${seconds.toFixed(1)} s.\n`);
  return { runs: summaries, rows: tableRows(summaries), reportPath: options.report, seconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`softxent trainer: ${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
