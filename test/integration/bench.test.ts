// Smoke test of the benchmark code: one tiny shape, one timed call per task, so that the bench cannot
// rot unnoticed. No timing is asserted — only that it runs, that every implementation agrees with the
// reference on the data, that a row's mean is total time ÷ calls (not a median), and that the JSON and
// its renderings have the expected shape.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../bench/args.js";
import { checkAgainst, passes, TOLERANCE } from "../../bench/check.js";
import { parseShape } from "../../bench/data.js";
import { machineNow } from "../../bench/environment.js";
import { pool } from "../../bench/measure.js";
import { comparePeer } from "../../bench/peer-compare.js";
import { NOT_INSTALLABLE_NOTE, peersDir } from "../../bench/peers/peer.js";
import { peerRatio, renderHeadline, renderPeersMarkdown } from "../../bench/peers-report.js";
import { plainCrossEntropy } from "../../bench/peers/plain.js";
import { renderMarkdown } from "../../bench/report.js";
import { runSuite } from "../../bench/suite.js";
import { renderSvg } from "../../bench/svg.js";
import { PEERS, PEERS_SCHEMA, SCHEMA, type BenchReport, type PeerRun, type PeersReport } from "../../bench/types.js";
import * as reference from "softxent/reference";

describe("bench", () => {
  it("parses its flags", () => {
    expect(parseArgs(["--quick", "--shapes", "2x3,4×5", "--time=50", "--no-tfjs"])).toEqual({
      quick: true,
      shapes: [
        { n: 2, k: 3 },
        { n: 4, k: 5 },
      ],
      timeMs: 50,
      tfjs: false,
      out: null,
      help: false,
    });
    expect(() => parseShape("32by100")).toThrow(RangeError);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown flag/);
  });

  it("the plain JS peer computes the reference's loss and gradient", () => {
    const k = 7,
      labels = Int32Array.from([0, 6, 3]);
    const logits = Float32Array.from({ length: 3 * k }, (_, i) => Math.sin(i * 1.7) * 4);
    const grad = new Float32Array(3 * k);
    const loss = plainCrossEntropy(logits, labels, k, 0.1, grad);
    const ref = reference.crossEntropy(logits, labels, { classes: k, smoothing: 0.1 });
    expect(loss).toBeCloseTo(ref.loss as number, 6);
    for (let j = 0; j < grad.length; j++) expect(grad[j]).toBeCloseTo(ref.grad![j]!, 6);
  });

  it("reports the mean as total time ÷ calls, pooled over rounds, with p50 and p99 beside it", () => {
    // One slow call among fast ones (a GC pause): the median hides it, the mean must not.
    const a = { repeat: 1, totalMs: 14, calls: 5, perCallMs: [1, 1, 1, 1, 10] };
    const b = { repeat: 2, totalMs: 6, calls: 6, perCallMs: [1, 1, 1] };
    const s = pool([a, b]);
    expect(s.meanMs).toBeCloseTo(20 / 11, 12);
    expect(s.p50Ms).toBe(1);
    expect(s.p99Ms).toBeCloseTo(1 + 9 * 0.93, 12); // 8 sorted samples: position 7·0.99 = 6.93, between 1 and 10
    expect(s.maxMs).toBe(10);
    expect(s.samples).toBe(8);
    expect(s.calls).toBe(11);
    expect(s.roundMeanMs).toEqual([14 / 5, 1]);
    expect(() => pool([])).toThrow(RangeError);
  });

  it("the answer check fails a gradient missing its 1/N and a loss without smoothing", () => {
    const k = 5,
      labels = Int32Array.from([1, 4, 0, 2]);
    const logits = Float32Array.from({ length: 4 * k }, (_, i) => Math.cos(i * 2.3) * 3);
    const ref = reference.crossEntropy(logits, labels, { classes: k, smoothing: 0.1 });
    const r = { loss: ref.loss as number, grad: ref.grad! };
    expect(passes(checkAgainst(r.loss, Float32Array.from(r.grad), r), TOLERANCE.softxent)).toBe(true);
    expect(
      passes(
        checkAgainst(
          r.loss,
          r.grad.map((g) => g * 4),
          r,
        ),
        TOLERANCE.peer,
      ),
    ).toBe(false);
    const unsmoothed = reference.crossEntropy(logits, labels, { classes: k });
    expect(passes(checkAgainst(unsmoothed.loss as number, r.grad, r), TOLERANCE.peer)).toBe(false);
    expect(passes(checkAgainst(NaN, r.grad, r), TOLERANCE.peer)).toBe(false);
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
      "softxent-simd-copy",
      "softxent-simd-resident",
      "softxent-simd-kernel",
      "softxent-simd-resident-prob",
      "softxent-scalar-copy",
      "softxent-scalar-resident",
      "softxent-scalar-kernel",
      "plain-js",
      "reference",
    ]) {
      expect(impls).toContain(id);
    }
    // TF.js is a devDependency: both backends must have run here.
    expect(impls).toEqual(expect.arrayContaining(["tfjs-cpu", "tfjs-wasm"]));
    for (const r of report.results) {
      expect(r.time.samples).toBe(1);
      expect(r.time.calls).toBe(1);
      expect(r.time.meanMs).toBe(r.time.p50Ms); // one call: mean, p50 and p99 are that call
      expect(r.time.p99Ms).toBe(r.time.p50Ms);
      expect(r.mlogitsPerSec).toBeGreaterThan(0);
      expect(r.n * r.k).toBeGreaterThan(0);
    }
    for (const r of ce) {
      expect(r.check).not.toBeNull();
      expect(r.check!.lossRelErr!).toBeLessThan(1e-4);
      expect(r.check!.gradRelErr).toBeLessThan(1e-4);
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

    expect(report.functions.map((f) => f.op).sort()).toEqual([
      "logSoftmax",
      "logSoftmax",
      "logSoftmax",
      "logSoftmax",
      "smoothTargets",
      "smoothTargets",
      "smoothTargets",
      "smoothTargets",
      "softmax",
      "softmax",
      "softmax",
      "softmax",
    ]);
    for (const f of report.functions) expect(f.overBound).toBeGreaterThan(0);
    // The relaxed-SIMD build needs --experimental-wasm-relaxed-simd on Node 20 (npm run bench passes it;
    // vitest does not): that is the one note allowed here.
    expect(report.notes.filter((n) => !/^softxent relaxed-simd build not run: .*does not validate/.test(n))).toEqual([]);

    // The JSON round-trips, and the renderings are generated from it.
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    const md = renderMarkdown(json);
    expect(md).toContain("| implementation");
    expect(md).toContain("3×10");
    expect(md).toContain("**3×10** — time per call");
    expect(md).toMatch(/\| implementation +\| +mean \| +p50 \| +p99 \|/);
    expect(md).toContain("× TF.js wasm");
    const svg = renderSvg(json);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // one bar per series at one shape: 10 series (the relaxed-SIMD one is absent without the Node flag)
    expect((svg.match(/<rect [^>]*><title>/g) ?? []).length).toBe(10);
  });
});

describe("bench: peers in their own processes (the comparison one process runs)", () => {
  const shapes = [
    { n: 3, k: 10 },
    { n: 2, k: 1001 },
  ];
  const config = { shapes, smoothing: 0.1, budget: { timeMs: 0, minIterations: 1, slowCapMs: 0, fixedIterations: 1 }, rounds: 1 };

  function report(peers: PeerRun[]): PeersReport {
    return {
      schema: PEERS_SCHEMA,
      date: new Date().toISOString(),
      machine: machineNow(),
      runtime: { node: process.version, v8: process.versions.v8 },
      versions: { softxent: "0.1.0", tinybench: "x", assemblyscript: "x" },
      git: null,
      settings: {
        smoothing: 0.1,
        shapes: shapes.map((s) => `${s.n}x${s.k}`),
        timeMsPerTask: 0,
        rounds: 1,
        quick: true,
        softxentBuild: "simd",
        durationSec: 0,
      },
      peers,
      notes: [NOT_INSTALLABLE_NOTE],
    };
  }

  it("times plain JS beside softxent, checked, and renders the full and headline tables", async () => {
    const run = await comparePeer({ peer: "plain-js", ...config });
    expect(run.status).toBe("ok");
    expect(run.notes).toEqual([]);
    for (const s of ["3x10", "2x1001"]) {
      expect(
        run.rows
          .filter((r) => r.shape === s)
          .map((r) => r.impl)
          .sort(),
      ).toEqual(["peer", "softxent-copyout", "softxent-resident"]);
    }
    for (const r of run.rows) {
      expect(r.time.calls).toBe(1);
      expect(r.check.lossRelErr!).toBeLessThan(1e-6);
      expect(r.check.gradRelErr).toBeLessThan(1e-6);
    }
    expect(peerRatio(run, "3x10")).toBeGreaterThan(0);
    const missing: PeerRun = {
      peer: "jax-js",
      label: "jax-js",
      describe: "",
      versions: {},
      status: "not installed",
      error: "not here",
      rows: [],
      notes: [],
    };
    const md = renderPeersMarkdown(report([run, missing]));
    expect(md).toContain("**2×1001** — time per call");
    expect(md).toContain("↳ softxent SIMD, copying API, gradOut array");
    expect(md).toContain("jax-js not run (not installed): not here");
    expect(md).toContain("tfjs-node");
    const headline = renderHeadline(report([run, missing]));
    expect(headline).toMatch(/^\| peer mean ÷ softxent mean +\| +3×10 \| +2×1001 \|/);
    expect(headline).toContain("plain JS");
    expect(headline).toContain("- jax-js: not measured (not here)");
    // The load caveat appears exactly when the machine was busy.
    const busy = report([run]);
    busy.machine = { ...busy.machine, cores: 2, loadAvg1m: [1.2, 4.5] };
    expect(renderHeadline(busy)).toContain("Measured on a busy machine** (load average up to 4.5 on 2 cores");
    busy.machine.loadAvg1m = [0.3, 1.4];
    expect(renderPeersMarkdown(busy)).not.toContain("busy machine");
  });

  it("onnxruntime-node's graph agrees with the reference when bench/peers is installed; else it fails with the reason", async () => {
    const run = await comparePeer({ peer: "onnxruntime-node", ...config }).catch((err: unknown) => err);
    // Installed (after npm run bench:peers): it must run and agree with the reference; else: a clear failure.
    if (existsSync(join(peersDir(), "node_modules", "onnxruntime-node"))) {
      const r = run as PeerRun;
      expect(r.status, r.error ?? "").toBe("ok");
      expect(r.notes).toEqual([]);
      const peerRows = r.rows.filter((x) => x.impl === "peer");
      expect(peerRows).toHaveLength(2);
      for (const x of peerRows) expect(x.check.gradRelErr).toBeLessThan(1e-5);
    } else {
      expect((run as PeerRun).status).toBe("failed");
      expect((run as PeerRun).error).toMatch(/bench\/peers is not installed/);
    }
  });
});
