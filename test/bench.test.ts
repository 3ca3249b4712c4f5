// Smoke test of the benchmark code (bench/, docs/performance.md): one tiny shape, one timed call per task, so that the
// bench cannot rot unnoticed. No timing is asserted — only that it runs, that every implementation
// agrees with the reference on the data, and that the JSON and its renderings have the expected shape.

import { describe, expect, it } from "vitest";
import { parseArgs } from "../bench/args.js";
import { parseShape } from "../bench/data.js";
import { plainCrossEntropy } from "../bench/peers/plain.js";
import { renderMarkdown } from "../bench/report.js";
import { runSuite } from "../bench/suite.js";
import { renderSvg } from "../bench/svg.js";
import { PEERS, SCHEMA, type BenchReport } from "../bench/types.js";
import * as reference from "softxent/reference";

describe("bench", () => {
  it("parses its flags", () => {
    expect(parseArgs(["--quick", "--shapes", "2x3,4×5", "--time=50", "--no-tfjs"])).toEqual({
      quick: true, shapes: [{ n: 2, k: 3 }, { n: 4, k: 5 }], timeMs: 50, tfjs: false, out: null, help: false,
    });
    expect(() => parseShape("32by100")).toThrow(RangeError);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown flag/);
  });

  it("the plain JS peer computes the reference's loss and gradient", () => {
    const k = 7, labels = Int32Array.from([0, 6, 3]);
    const logits = Float32Array.from({ length: 3 * k }, (_, i) => Math.sin(i * 1.7) * 4);
    const grad = new Float32Array(3 * k);
    const loss = plainCrossEntropy(logits, labels, k, 0.1, grad);
    const ref = reference.crossEntropy(logits, labels, { classes: k, smoothing: 0.1 });
    expect(loss).toBeCloseTo(ref.loss as number, 6);
    for (let j = 0; j < grad.length; j++) expect(grad[j]).toBeCloseTo(ref.grad![j]!, 6);
  });

  it("runs one tiny shape end to end and reports the expected structure", async () => {
    const report: BenchReport = await runSuite({
      shapes: [{ n: 3, k: 10 }],
      functionsShape: { n: 2, k: 12 },
      budget: { fixedIterations: 1 },
    });
    expect(report.schema).toBe(SCHEMA);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.runtime.node).toMatch(/^v\d+/);
    expect(Object.keys(report.versions)).toEqual(expect.arrayContaining(["softxent", "tinybench", "@tensorflow/tfjs"]));
    expect(report.settings.shapes).toEqual(["3x10"]);
    expect(report.git === null || /^[0-9a-f]{40}$/.test(report.git.commit)).toBe(true);

    const ce = report.results.filter((r) => r.op === "crossEntropy");
    const impls = ce.map((r) => r.impl);
    for (const id of [
      "softxent-simd-copy", "softxent-simd-resident", "softxent-simd-kernel", "softxent-simd-resident-prob",
      "softxent-scalar-copy", "softxent-scalar-resident", "softxent-scalar-kernel", "plain-js", "reference",
    ]) {
      expect(impls).toContain(id);
    }
    // TF.js is a devDependency: both backends must have run here.
    expect(impls).toEqual(expect.arrayContaining(["tfjs-cpu", "tfjs-wasm"]));
    for (const r of report.results) {
      expect(r.samples).toBe(1);
      expect(r.mlogitsPerSec).toBeGreaterThan(0);
      expect(r.n * r.k).toBeGreaterThan(0);
    }
    for (const r of ce) {
      expect(r.check).not.toBeNull();
      expect(r.check!.lossRelErr!).toBeLessThan(1e-4);
      expect(r.check!.maxAbsErr).toBeLessThan(1e-4);
    }
    for (const b of ["simd", "scalar"]) {
      for (const op of ["expBound", "scaleBound"] as const) {
        expect(report.results.some((r) => r.op === op && r.build === b && r.shape === "3x10")).toBe(true);
      }
    }

    const ratios = report.ratios.filter((r) => r.impl === "softxent-simd-resident");
    expect(ratios).toHaveLength(1);
    for (const p of PEERS) expect(ratios[0]!.vs[p]).toBeGreaterThan(0);
    expect(ratios[0]!.overExpBound).toBeGreaterThan(0);

    expect(report.functions.map((f) => f.op).sort()).toEqual(
      ["logSoftmax", "logSoftmax", "logSoftmax", "logSoftmax", "smoothTargets", "smoothTargets", "smoothTargets", "smoothTargets", "softmax", "softmax", "softmax", "softmax"],
    );
    for (const f of report.functions) expect(f.overBound).toBeGreaterThan(0);
    // The relaxed-SIMD build needs --experimental-wasm-relaxed-simd on Node 20 (npm run bench passes it;
    // vitest does not): that is the one note allowed here.
    expect(report.notes.filter((n) => !/^softxent relaxed-simd build not run: .*does not validate/.test(n))).toEqual([]);

    // The JSON round-trips, and the renderings are generated from it.
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    const md = renderMarkdown(json);
    expect(md).toContain("| implementation");
    expect(md).toContain("3×10");
    expect(md).toContain("Speed-up of softxent over each peer");
    const svg = renderSvg(json);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // one bar per series at one shape: 10 series (the relaxed-SIMD one is absent without the Node flag)
    expect((svg.match(/<rect [^>]*><title>/g) ?? []).length).toBe(10);
  });
});
