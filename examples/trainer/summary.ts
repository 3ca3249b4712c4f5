/**
 * What a finished comparison is made of, and its table: one row per run at T = 1 and one after
 * temperature scaling. The CLI prints it as text, the report and the browser page as HTML.
 */
import type { FocalOptions } from "softxent";
import type { Evaluation, EpochRecord, TracePoint } from "./train.js";

export interface RunSummary {
  label: string;
  smoothing: number;
  /** The focal option the run trained with, if any. */
  focal?: FocalOptions;
  color: string;
  history: EpochRecord[];
  trace: TracePoint[];
  evaluation: Evaluation;
}

export interface TableRow {
  run: string;
  temperature: number;
  accuracy: number;
  confidence: number;
  nll: number;
  ece: number;
  mce: number;
  brier: number;
}

export function tableRows(runs: readonly RunSummary[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const r of runs) {
    const { test, testScaled, temperature } = r.evaluation;
    rows.push({ run: r.label, temperature: 1, ...pick(test) });
    rows.push({ run: `${r.label} + temperature scaling`, temperature, ...pick(testScaled) });
  }
  return rows;
}

function pick(c: Evaluation["test"]) {
  return { accuracy: c.accuracy, confidence: c.confidence, nll: c.nll, ece: c.ece, mce: c.mce, brier: c.brier };
}

export const COLUMNS = ["run", "T", "test acc", "mean conf", "NLL", "ECE", "MCE", "Brier"] as const;

/** The cells of a row, formatted as printed (percentages for accuracy, confidence and ECE). */
export function formatRow(r: TableRow): string[] {
  return [
    r.run,
    r.temperature.toFixed(3),
    `${(r.accuracy * 100).toFixed(2)}%`,
    `${(r.confidence * 100).toFixed(2)}%`,
    r.nll.toFixed(4),
    `${(r.ece * 100).toFixed(2)}%`,
    `${(r.mce * 100).toFixed(2)}%`,
    r.brier.toFixed(4),
  ];
}

/**
 * What the table says, measured rather than assumed: for NLL, ECE, MCE and Brier, which run is best
 * raw (T = 1) and which after temperature scaling, and the accuracy spread.
 */
export function readings(rows: readonly TableRow[]): string {
  const raw = rows.filter((r) => !r.run.includes("temperature"));
  const scaled = rows.filter((r) => r.run.includes("temperature"));
  const best = (rs: readonly TableRow[], key: "nll" | "ece" | "mce" | "brier") => rs.reduce((a, b) => (b[key] < a[key] ? b : a));
  const fmt = (key: "nll" | "ece" | "mce" | "brier", v: number) =>
    key === "ece" || key === "mce" ? `${(v * 100).toFixed(2)}%` : v.toFixed(4);
  const parts = (["nll", "ece", "mce", "brier"] as const).map((key) => {
    const a = best(raw, key);
    const b = best(scaled, key);
    return `${key === "nll" ? "NLL" : key === "brier" ? "Brier" : key.toUpperCase()}: best raw ${a.run} (${fmt(key, a[key])}), best after temperature scaling ${b.run.replace(" + temperature scaling", "")} (${fmt(key, b[key])})`;
  });
  const accs = raw.map((r) => r.accuracy);
  const spread = (Math.max(...accs) - Math.min(...accs)) * 100;
  return `${parts.join("; ")}. Test accuracy spans ${spread.toFixed(2)} points across the runs (one seed: differences of a few tenths are within run-to-run noise).`;
}

/** A plain-text table (first column left-aligned, the numbers right-aligned). */
export function textTable(rows: readonly TableRow[]): string {
  const cells = [COLUMNS.slice() as string[], ...rows.map(formatRow)];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("   ");
  return [line(cells[0]!), widths.map((w) => "─".repeat(w)).join("   "), ...cells.slice(1).map(line)].join("\n");
}

/** A run as shown in labels: "ε = 0", "ε = 0.1", "focal γ = 3", "FLSD-53" (with ", ε = 0.1" when both). */
export function runLabel(smoothing: number, focal?: FocalOptions): string {
  if (!focal) return `ε = ${smoothing}`;
  const name = focal.gamma === "flsd-53" ? "FLSD-53" : `focal γ = ${focal.gamma}`;
  return smoothing > 0 ? `${name}, ε = ${smoothing}` : name;
}

/** What a run trains with: its smoothing, and the focal option if any. */
export interface RunSpec {
  smoothing: number;
  focal?: FocalOptions;
}
