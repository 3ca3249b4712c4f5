/**
 * Hand-written SVG charts, as strings (no DOM, no chart library), shared by the HTML report (Node)
 * and the browser page (set as innerHTML): loss curves and reliability diagrams.
 */
import type { EpochRecord, TracePoint } from "./train.js";

export interface CalibrationBinLike {
  lower: number;
  upper: number;
  count: number;
  accuracy: number;
  confidence: number;
}

export interface CurveSeries {
  label: string;
  color: string;
  trace: readonly TracePoint[];
  history: readonly EpochRecord[];
}

export const RUN_COLORS = ["#1f6fb2", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c"] as const;

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? (Math.round(x * 100) / 100).toString() : "0";
}

/** "M x y L x y …" for the points (no path when there are none). */
function pathData(points: readonly [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${fmt(x)} ${fmt(y)}`).join(" ");
}

/** About `count` round tick values covering [0, max]. */
function ticks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

export interface LossChartOptions {
  /** Length of the x axis in epochs (fixed, so a live chart does not rescale as it grows). */
  epochs: number;
  width?: number;
  height?: number;
  title?: string;
}

/**
 * Training loss (thin line: the smoothed loss each run minimises, averaged over about a tenth of an
 * epoch) and validation NLL (thick line with dots, after each epoch; ε = 0, comparable across runs).
 */
export function lossChartSvg(series: readonly CurveSeries[], options: LossChartOptions): string {
  const W = options.width ?? 640;
  const H = options.height ?? 300;
  const m = { left: 52, right: 16, top: options.title ? 30 : 12, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  let yMax = 0;
  for (const s of series) {
    for (const p of s.trace) if (Number.isFinite(p.loss)) yMax = Math.max(yMax, p.loss);
    for (const h of s.history) if (Number.isFinite(h.validationNll)) yMax = Math.max(yMax, h.validationNll);
  }
  yMax = yMax > 0 ? Math.min(yMax * 1.05, 5) : 1;
  const xMax = Math.max(1, options.epochs);
  const X = (e: number) => m.left + (e / xMax) * pw;
  const Y = (v: number) => m.top + ph - (Math.min(v, yMax) / yMax) * ph;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="loss-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="11">`,
  );
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  if (options.title) parts.push(`<text x="${m.left}" y="18" font-size="13" font-weight="600">${escapeXml(options.title)}</text>`);
  for (const v of ticks(yMax, 5)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${fmt(Y(v))}" y2="${fmt(Y(v))}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${m.left - 6}" y="${fmt(Y(v) + 4)}" text-anchor="end" fill="#555">${v.toPrecision(2).replace(/\.?0+$/, "")}</text>`,
    );
  }
  const xStep = Math.max(1, Math.ceil(xMax / 10));
  for (let e = 0; e <= xMax; e += xStep) {
    parts.push(`<line x1="${fmt(X(e))}" x2="${fmt(X(e))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#888"/>`);
    parts.push(`<text x="${fmt(X(e))}" y="${m.top + ph + 16}" text-anchor="middle" fill="#555">${e}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#888"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 30}" text-anchor="middle" fill="#333">epoch</text>`);
  parts.push(`<text transform="translate(13 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">loss</text>`);

  series.forEach((s) => {
    const train = s.trace.filter((p) => Number.isFinite(p.loss)).map((p): [number, number] => [X(p.epoch), Y(p.loss)]);
    if (train.length > 0) {
      parts.push(
        `<path class="train-loss" d="${pathData(train)}" fill="none" stroke="${s.color}" stroke-width="1.2" stroke-opacity="0.75"/>`,
      );
    }
    const val: [number, number][] = [];
    for (const h of s.history) if (Number.isFinite(h.validationNll)) val.push([X(h.epoch), Y(h.validationNll)]);
    if (val.length > 0) {
      parts.push(`<path class="validation-nll" d="${pathData(val)}" fill="none" stroke="${s.color}" stroke-width="2.6"/>`);
      for (const [x, y] of val) parts.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="3" fill="${s.color}"/>`);
    }
  });

  // legend: one entry per run, and what thin / thick mean
  let lx = m.left;
  const ly = H - 12;
  for (const s of series) {
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="12" height="8" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 16}" y="${ly}" fill="#222">${escapeXml(s.label)}</text>`);
    lx += 28 + 7 * s.label.length;
  }
  parts.push(`<line x1="${lx + 4}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="#555" stroke-width="1.2"/>`);
  parts.push(`<text x="${lx + 28}" y="${ly}" fill="#555">training loss (smoothed target)</text>`);
  lx += 210;
  parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="#555" stroke-width="2.6"/>`);
  parts.push(`<text x="${lx + 24}" y="${ly}" fill="#555">validation NLL</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

let hatchSeq = 0;

export interface ReliabilityOptions {
  title: string;
  color: string;
  /** Bins after temperature scaling, drawn as a dashed line with dots. */
  scaledBins?: readonly CalibrationBinLike[];
  ece?: number;
  scaledEce?: number;
  temperature?: number;
  size?: number;
}

/**
 * A reliability diagram (Guo et al. 2017): per confidence bin, a bar of the bin's accuracy; the
 * hatched part between the bar's top and the bin's mean confidence is the gap that ECE averages; the
 * dashed diagonal is perfect calibration. A grey strip at the bottom shows how many samples each bin
 * holds. With `scaledBins`, the bins after temperature scaling are drawn as (confidence, accuracy) dots.
 */
export function reliabilitySvg(bins: readonly CalibrationBinLike[], options: ReliabilityOptions): string {
  const S = options.size ?? 300;
  const m = { left: 44, right: 12, top: 40, bottom: 64 };
  const pw = S - m.left - m.right;
  const ph = pw;
  const H = m.top + ph + m.bottom;
  const X = (c: number) => m.left + c * pw;
  const Y = (a: number) => m.top + ph - a * ph;
  const maxCount = bins.reduce((s, b) => Math.max(s, b.count), 0);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="reliability" width="${S}" height="${H}" viewBox="0 0 ${S} ${H}" ${FONT} font-size="11">`,
  );
  // The gap is hatched so that it shows over the bar too (an underconfident bin's gap lies inside its bar).
  // Pattern ids must be unique in a page that holds several diagrams.
  const hatch = `gap-hatch-${++hatchSeq}`;
  parts.push(
    `<defs><pattern id="${hatch}" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)"><rect x="0" y="0" width="2" height="5" fill="#c92a2a" fill-opacity="0.75"/></pattern></defs>`,
  );
  parts.push(`<rect x="0" y="0" width="${S}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${m.left}" y="18" font-size="13" font-weight="600">${escapeXml(options.title)}</text>`);
  for (const v of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${fmt(Y(v))}" y2="${fmt(Y(v))}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${m.left - 5}" y="${fmt(Y(v) + 4)}" text-anchor="end" fill="#555">${v}</text>`);
    parts.push(`<text x="${fmt(X(v))}" y="${m.top + ph + 14}" text-anchor="middle" fill="#555">${v}</text>`);
  }
  for (const b of bins) {
    if (b.count === 0) continue;
    const x0 = X(b.lower);
    const w = Math.max(1, X(b.upper) - x0 - 1);
    const top = Y(b.accuracy);
    parts.push(
      `<rect class="bin" x="${fmt(x0 + 0.5)}" y="${fmt(top)}" width="${fmt(w)}" height="${fmt(m.top + ph - top)}" fill="${options.color}" fill-opacity="0.85"/>`,
    );
    const gapTop = Math.min(Y(b.accuracy), Y(b.confidence));
    const gapH = Math.abs(Y(b.accuracy) - Y(b.confidence));
    if (gapH > 0.2) {
      parts.push(
        `<rect class="gap" x="${fmt(x0 + 0.5)}" y="${fmt(gapTop)}" width="${fmt(w)}" height="${fmt(gapH)}" fill="url(#${hatch})" stroke="#c92a2a" stroke-width="0.8"/>`,
      );
    }
  }
  parts.push(`<path class="diagonal" d="M${X(0)} ${Y(0)} L${X(1)} ${Y(1)}" stroke="#333" stroke-dasharray="4 3" fill="none"/>`);
  if (options.scaledBins) {
    const pts = options.scaledBins.filter((b) => b.count > 0).map((b): [number, number] => [X(b.confidence), Y(b.accuracy)]);
    if (pts.length > 0) {
      parts.push(`<path class="scaled" d="${pathData(pts)}" fill="none" stroke="#111" stroke-width="1.3" stroke-dasharray="2 2"/>`);
      for (const [x, y] of pts) parts.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="2.6" fill="#111"/>`);
    }
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  // sample counts per bin, as a strip under the axis
  const stripTop = m.top + ph + 20;
  const stripH = 16;
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${stripTop + stripH + 0.5}" y2="${stripTop + stripH + 0.5}" stroke="#bbb"/>`);
  if (maxCount > 0) {
    for (const b of bins) {
      if (b.count === 0) continue;
      const h = Math.max(1, (b.count / maxCount) * stripH);
      parts.push(
        `<rect class="count" x="${fmt(X(b.lower) + 0.5)}" y="${fmt(stripTop + stripH - h)}" width="${fmt(Math.max(1, X(b.upper) - X(b.lower) - 1))}" height="${fmt(h)}" fill="#999"/>`,
      );
    }
  }
  parts.push(
    `<text x="${m.left + pw / 2}" y="${stripTop + stripH + 12}" text-anchor="middle" fill="#333">confidence (grey: samples per bin)</text>`,
  );
  parts.push(`<text transform="translate(12 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">accuracy</text>`);
  const notes: string[] = [];
  if (options.ece !== undefined) notes.push(`ECE ${(options.ece * 100).toFixed(2)}%`);
  if (options.scaledEce !== undefined && options.temperature !== undefined) {
    notes.push(`after T = ${options.temperature.toFixed(2)}: ${(options.scaledEce * 100).toFixed(2)}% (dots)`);
  }
  if (notes.length > 0) parts.push(`<text x="${m.left}" y="32" fill="#333">${escapeXml(notes.join(" · "))}</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}
