/**
 * What a finished comparison is made of, and its table: one row per run at T = 1 and one after
 * temperature scaling. The CLI prints it as text, the report and the browser page as HTML.
 */
import type { Evaluation, EpochRecord, TracePoint } from "./train.js";

export interface RunSummary {
  label: string;
  smoothing: number;
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
  return { accuracy: c.accuracy, confidence: c.confidence, nll: c.nll, ece: c.ece, brier: c.brier };
}

export const COLUMNS = ["run", "T", "test acc", "mean conf", "NLL", "ECE", "Brier"] as const;

/** The cells of a row, formatted as printed (percentages for accuracy, confidence and ECE). */
export function formatRow(r: TableRow): string[] {
  return [
    r.run,
    r.temperature.toFixed(3),
    `${(r.accuracy * 100).toFixed(2)}%`,
    `${(r.confidence * 100).toFixed(2)}%`,
    r.nll.toFixed(4),
    `${(r.ece * 100).toFixed(2)}%`,
    r.brier.toFixed(4),
  ];
}

/** A plain-text table (first column left-aligned, the numbers right-aligned). */
export function textTable(rows: readonly TableRow[]): string {
  const cells = [COLUMNS.slice() as string[], ...rows.map(formatRow)];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("   ");
  return [line(cells[0]!), widths.map((w) => "─".repeat(w)).join("   "), ...cells.slice(1).map(line)].join("\n");
}

/** The smoothing value as shown in labels: "ε = 0", "ε = 0.1". */
export function runLabel(smoothing: number): string {
  return `ε = ${smoothing}`;
}
