/**
 * The HTML report that `npm start` writes: produced by a short CLI run, well formed (a strict tag and
 * entity check: the report is written to be valid XML as well as HTML), self-contained, with the loss
 * chart and one reliability diagram per run drawn as SVG, and the numbers of the run in its table.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "softxent";
import { runCli, type CliResult } from "../../examples/trainer/cli.js";
import { formatRow } from "../../examples/trainer/summary.js";
import { lossChartSvg, reliabilitySvg } from "../../examples/trainer/charts.js";

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

const VOID = new Set(["meta", "link", "br", "img", "input", "hr"]);

/**
 * A strict parser for the report's markup: every element closed (or self-closed), attributes quoted,
 * no stray '<' or '&' in text. Throws on the first violation; returns the element tree.
 */
function parseStrict(html: string): Element {
  const root: Element = { name: "#root", attrs: {}, children: [], text: "" };
  const stack: Element[] = [root];
  const token = /<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(html)) !== null) {
    const top = stack[stack.length - 1]!;
    if (m[6] !== undefined) throw new Error(`stray '<' at offset ${m.index}: ${html.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      const text = m[5];
      if (top.name !== "style" && /&(?!(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)/.test(text))
        throw new Error(`bare '&' in text near offset ${m.index}`);
      top.text += text;
      continue;
    }
    if (m[2] === undefined) continue; // comment or doctype
    const [, closing, name, attrText, selfClose] = m;
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}> at offset ${m.index}`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      attrs[a[1]!] = a[2]!;
    }
    const el: Element = { name: name!, attrs, children: [], text: "" };
    top.children.push(el);
    if (selfClose) continue;
    if (VOID.has(name!.toLowerCase())) throw new Error(`void element <${name}> is not self-closed`);
    stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  return root;
}

function all(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}

function textOf(el: Element): string {
  return el.text + el.children.map(textOf).join("");
}

const hasClass = (e: Element, c: string) => (e.attrs.class ?? "").split(/\s+/).includes(c);

let dir: string;
let result: CliResult;
let html: string;

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "softxent-report-"));
  const out = { write: () => true };
  result = (await runCli(["--epochs", "2", "--subset", "2000", "--hidden", "32", "--report", join(dir, "r.html")], out))!;
  html = readFileSync(join(dir, "r.html"), "utf8");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the HTML report", () => {
  it("is written where --report says, and is well formed", () => {
    expect(result.reportPath).toBe(join(dir, "r.html"));
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    const tree = parseStrict(html);
    expect(tree.children.map((c) => c.name)).toEqual(["html"]);
    expect(tree.children[0]!.children.map((c) => c.name)).toEqual(["head", "body"]);
  });

  it("is self-contained: no script, and no URL other than the SVG namespaces and its own #fragments", () => {
    const tree = parseStrict(html);
    expect(all(tree, (e) => e.name === "script" || e.name === "img" || e.name === "iframe")).toEqual([]);
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"|url\(([^)]*)\)|https?:\/\/[^\s"<]+/g)].map((m) => m[0]);
    const external = urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xhtml)$/.test(u) && !/^url\(#[\w-]+\)$/.test(u));
    expect(external).toEqual([]);
    // the in-document references (the gap hatching) point at patterns that exist
    const ids = new Set(all(tree, (e) => e.attrs.id !== undefined).map((e) => e.attrs.id));
    for (const u of urls.filter((x) => x.startsWith("url(#"))) expect(ids.has(u.slice(5, -1)), u).toBe(true);
  });

  it("has the loss chart with a training and a validation curve per run, drawn (non-empty paths)", () => {
    const tree = parseStrict(html);
    const charts = all(tree, (e) => e.name === "svg" && hasClass(e, "loss-chart"));
    expect(charts).toHaveLength(1);
    const train = all(charts[0]!, (e) => e.name === "path" && hasClass(e, "train-loss"));
    const val = all(charts[0]!, (e) => e.name === "path" && hasClass(e, "validation-nll"));
    expect(train).toHaveLength(4);
    expect(val).toHaveLength(4);
    for (const p of train) expect((p.attrs.d!.match(/L/g) ?? []).length).toBeGreaterThanOrEqual(10); // ~10 points per epoch
    for (const p of val) expect(p.attrs.d).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/); // 2 epochs → 2 points
    // the four runs (ε = 0, ε = 0.1, focal γ = 3, FLSD-53) in their own colours
    expect(new Set(val.map((p) => p.attrs.stroke)).size).toBe(4);
  });

  it("has a reliability diagram per run, with bars inside the unit square and the temperature-scaled dots", () => {
    const tree = parseStrict(html);
    const diagrams = all(tree, (e) => e.name === "svg" && hasClass(e, "reliability"));
    expect(diagrams).toHaveLength(4);
    diagrams.forEach((d, i) => {
      const run = result.runs[i]!;
      const nonEmpty = run.evaluation.test.bins.filter((b) => b.count > 0).length;
      const bars = all(d, (e) => e.name === "rect" && hasClass(e, "bin"));
      expect(bars).toHaveLength(nonEmpty);
      for (const b of bars) {
        expect(Number(b.attrs.height)).toBeGreaterThanOrEqual(0);
        expect(Number(b.attrs.y) + Number(b.attrs.height)).toBeLessThanOrEqual(Number(d.attrs.height));
      }
      expect(all(d, (e) => e.name === "path" && hasClass(e, "diagonal"))).toHaveLength(1);
      expect(all(d, (e) => e.name === "path" && hasClass(e, "scaled"))[0]!.attrs.d!.length).toBeGreaterThan(10);
      expect(textOf(d)).toContain(`ECE ${(run.evaluation.test.ece * 100).toFixed(2)}%`);
      expect(textOf(d)).toContain(`T = ${run.evaluation.temperature.toFixed(2)}`);
    });
  });

  it("has the run's numbers in its results table", () => {
    const tree = parseStrict(html);
    const table = all(tree, (e) => e.name === "table" && hasClass(e, "results"))[0]!;
    const rows = all(table, (e) => e.name === "tr")
      .slice(1)
      .map((tr) => tr.children.map(textOf));
    expect(rows).toEqual(result.rows.map(formatRow));
    expect(rows).toHaveLength(8);
    expect(rows[1]![0]).toBe("ε = 0 + temperature scaling");
    expect(rows[6]![0]).toBe("FLSD-53");
  });
});

describe("the chart functions", () => {
  it("draw nothing from empty data, without NaN in the markup", () => {
    const svg = lossChartSvg([{ label: "ε = 0", color: "#000", trace: [], history: [] }], { epochs: 3 });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).not.toContain("<path");
    const rel = reliabilitySvg([{ lower: 0, upper: 1, count: 0, accuracy: 0, confidence: 0 }], { title: "a <b> & c", color: "#000" });
    expect(rel).toContain("a &lt;b&gt; &amp; c");
    expect(rel).not.toContain('class="bin"');
    parseStrict(`<div>${svg}${rel}</div>`);
  });

  it("keep a live chart's x axis fixed at the planned epochs", () => {
    const svg = lossChartSvg(
      [
        {
          label: "ε = 0",
          color: "#000",
          trace: [
            { epoch: 0.5, loss: 1 },
            { epoch: 1, loss: 0.5 },
          ],
          history: [],
        },
      ],
      { epochs: 4, width: 452, height: 300 },
    );
    // plot width 452 − 52 − 16 = 384: epoch 1 of 4 is at x = 52 + 96
    expect(svg).toContain('d="M100 ');
    expect(svg).toContain(" L148 ");
  });
});
