// Writing a report: JSON, and the markdown table and SVG chart generated from that JSON.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { renderMarkdown } from "./report.js";
import { renderSvg } from "./svg.js";
import { SCHEMA, type BenchReport } from "./types.js";

/** Writes `<base>.json`, `<base>.md` and `<base>.svg`; returns their paths. */
export function writeReport(report: BenchReport, base: string): string[] {
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
  return [`${base}.json`, ...renderFiles(report, base)];
}

/** (Re)generates `<base>.md` and `<base>.svg` from a report. */
export function renderFiles(report: BenchReport, base: string): string[] {
  writeFileSync(`${base}.md`, renderMarkdown(report));
  writeFileSync(`${base}.svg`, renderSvg(report));
  return [`${base}.md`, `${base}.svg`];
}

export function readReport(path: string): BenchReport {
  const report = JSON.parse(readFileSync(path, "utf8")) as BenchReport;
  if (report.schema !== SCHEMA) throw new Error(`${path}: schema '${String(report.schema)}', expected '${SCHEMA}'`);
  return report;
}
