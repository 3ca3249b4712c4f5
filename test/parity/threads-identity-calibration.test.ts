/**
 * docs/spec.md "Threads" for calibration, fitTemperature and smoothTargets: bitwise-identical results
 * for threads = 1, 2, 3 and 8 on each build of test/helpers/builds.ts, and within the reference's
 * tolerances (docs/spec.md "Accuracy": each calibration metric to 1e-6·max(1, |value|), fitTemperature's
 * T to 1e-5 relative and its NLLs to 1e-6). Shapes put row-block boundaries in awkward places (sizes
 * not multiples of 4 or 8, one-row blocks, a short last block, K = 1, N = 0), straddle the pool's
 * small-call threshold, and ignore whole blocks of rows (calibration's conf / correct outputs are
 * compacted: each block writes from its own first output index). Each threaded run checks that workers
 * really ran blocks.
 */
import { afterAll, describe, expect, it } from "vitest";
import { backendInfo, calibration, fitTemperature, initSync, smoothTargets } from "../../dist/index.js";
import { heapOrNull, POOL_MIN_ELEMENTS } from "../../dist/memory.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectSameBits } from "../helpers/bits.js";
import { lossError } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

type Out = Array<number | Float32Array>;
interface Case {
  name: string;
  run(): Out;
  /** Checked once, on the one-thread result: within the reference's tolerance. */
  check?(got: Out): void;
}

const METRICS = ["ece", "mce", "brier", "nll", "accuracy", "confidence"] as const;
type Cal = ReturnType<typeof calibration>;

/** A calibration result as numbers: the six metrics, then each bin's edges, count, accuracy, confidence. */
function flatCal(r: Cal): number[] {
  return [...METRICS.map((m) => r[m]), ...r.bins.flatMap((b) => [b.lower, b.upper, b.count, b.accuracy, b.confidence])];
}

function expectCalMatch(got: Out, want: ref.CalibrationResult, name: string): void {
  const w = flatCal(want as Cal);
  expect(got.length, name).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    const e = lossError(got[i] as number, w[i]!);
    if (!(e <= 1e-6)) expect.fail(`${name}: value ${i} got ${String(got[i])}, reference ${w[i]} (error ${e})`);
  }
}

function cases(seed: number): Case[] {
  const rng = mulberry32(seed);
  const out: Case[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  // rows per block (assembly/row_blocks.ts): max(1, ⌊16384/K⌋) — 37×3001: 8 blocks of 5 rows, the last 2;
  // 33×1000: 16, 16, 1; 2×40000: one row each; 70001×1 (K = 1): 16384 rows, the last short; 4099×9: 1820
  const shapes: Array<[number, number]> = [
    [37, 3001],
    [33, 1000],
    [9001, 10],
    [2, 40000],
    [70001, 1],
    [4099, 9],
    [130, 1023],
    [5, 7],
    [0, 5],
  ];
  for (const [n, k] of shapes) {
    const z = randomLogits(rng, n, k, pick([1, 3]), 0);
    const y = randomLabels(rng, n, k, 0.15, -100);
    // about half the predictions right, so that accuracy and the gaps are not trivial
    for (let i = 0; i < n; i++) {
      if (y[i] === -100 || rng() < 0.5) continue;
      let a = 0;
      for (let j = 1; j < k; j++) if (z[i * k + j]! > z[i * k + a]!) a = j;
      y[i] = a;
    }
    const r = Math.max(1, Math.floor(16384 / k));
    // a whole block ignored (the first, and the last when there are more than two): offsets shift by a block
    if (n > r) for (let i = 0; i < r; i++) y[i] = -100;
    if (n > 2 * r) for (let i = Math.floor((n - 1) / r) * r; i < n; i++) y[i] = -100;
    // masked classes in a few rows, never the label (a masked label is its own case below)
    const masked = z.slice();
    if (k > 1) {
      for (let i = 1; i < n; i += 17) {
        const j = (y[i]! + 1 + Math.floor(rng() * (k - 1))) % k;
        masked[i * k + j] = -Infinity;
      }
    }
    const probs = n === 0 ? z : Float32Array.from(ref.softmax(z, { classes: k }));
    const variants: Array<[string, Float32Array, "logits" | "probabilities"]> = [
      ["logits", z, "logits"],
      ["masked", masked, "logits"],
      ["probabilities", probs, "probabilities"],
    ];
    if (n > 6) {
      const bad = masked.slice();
      bad[5 * k] = Number.NaN; // a NaN row (its metrics and accuracy NaN)
      const yBad = y.slice();
      yBad[5] = 0;
      const m2 = masked.slice();
      const y2 = y.slice();
      y2[6] = 0;
      m2[6 * k] = -Infinity; // a masked label (nll +Infinity)
      variants.push(["NaN row", bad, "logits"]);
      out.push(calCase(`calibration ${n}×${k} masked label`, m2, y2, { classes: k }));
      out.push(calCase(`calibration ${n}×${k} NaN row`, bad, yBad, { classes: k, binning: "quantile" }));
    }
    for (const [what, data, from] of variants) {
      for (const binning of ["uniform", "quantile"] as const) {
        const o = {
          classes: k,
          binning,
          bins: pick([1, 10, 15, 33]),
          ...(from === "probabilities" ? { from } : rng() < 0.6 ? { temperature: pick([0.5, 2.5]) } : {}),
        };
        out.push(calCase(`calibration ${n}×${k} ${what} ${JSON.stringify(o)}`, data, y, o));
      }
    }
    // fitTemperature: labels near the model's (a fit away from the bounds), and with masked classes
    for (const [what, data] of [
      ["logits", z],
      ["masked", masked],
    ] as const) {
      out.push({
        name: `fitTemperature ${n}×${k} ${what}`,
        run: () => {
          const f = fitTemperature(data, y, { classes: k });
          return [f.temperature, f.nllBefore, f.nllAfter, f.iterations, f.atBound ? 1 : 0];
        },
        check: (got) => {
          const f = ref.fitTemperature(data, y, { classes: k });
          const T = got[0] as number;
          if (Number.isNaN(f.temperature)) expect(T).toBeNaN();
          else expect(Math.abs(T / f.temperature - 1), `T ${T} vs reference ${f.temperature}`).toBeLessThanOrEqual(1e-5);
          expect(lossError(got[1] as number, f.nllBefore)).toBeLessThanOrEqual(1e-6);
          expect(lossError(got[2] as number, f.nllAfter)).toBeLessThanOrEqual(1e-6);
          expect(got[4]).toBe(f.atBound ? 1 : 0);
        },
      });
    }
    if (n > r) {
      // a logit beyond 1e12 in an ignored row of the last block: the first evaluation's scan covers every
      // row, so the whole search runs in f64 on the calling thread (src/temperature.ts)
      const huge = z.slice();
      const yh = y.slice();
      yh[n - 1] = -100;
      huge[(n - 1) * k] = 3e13;
      out.push({
        name: `fitTemperature ${n}×${k} 3e13 in an ignored row`,
        run: () => {
          const f = fitTemperature(huge, yh, { classes: k });
          return [f.temperature, f.nllBefore, f.nllAfter, f.iterations, f.atBound ? 1 : 0];
        },
        check: (got) => {
          const f = ref.fitTemperature(huge, yh, { classes: k });
          expect(Math.abs((got[0] as number) / f.temperature - 1)).toBeLessThanOrEqual(1e-5);
          expect(lossError(got[2] as number, f.nllAfter)).toBeLessThanOrEqual(1e-6);
        },
      });
    }
    const eps = pick([0.1, 0.37]);
    const mode = pick(["uniform", "others"] as const);
    out.push({
      name: `smoothTargets ${n}×${k} ε=${eps} ${mode}`,
      run: () => [smoothTargets(y, { classes: k, smoothing: eps, smoothingMode: mode })],
      check: (got) => {
        const want = ref.smoothTargets(y, { classes: k, smoothing: eps, smoothingMode: mode });
        const g = got[0] as Float32Array;
        expect(g.length).toBe(want.length);
        for (let e = 0; e < g.length; e++)
          if (g[e] !== Math.fround(want[e]!)) expect.fail(`smoothTargets element ${e}: ${g[e]} vs ${want[e]}`);
      },
    });
  }
  return out;
}

function calCase(name: string, z: Float32Array, y: Int32Array, o: Parameters<typeof calibration>[2]): Case {
  return {
    name,
    run: () => flatCal(calibration(z, y, o)),
    check: (got) => expectCalMatch(got, ref.calibration(z, y, o), name),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => initSync({ threads: 1 }));

describe.each(BUILDS)("threads on the $name build", (build) => {
  it("threads = 1, 2, 3, 8 give the same bits for calibration, fitTemperature and smoothTargets, within the reference's tolerances", async () => {
    const all = cases(4321);
    expect(all.some((c) => c.name.startsWith("calibration 33×1000")) && 33 * 1000 >= POOL_MIN_ELEMENTS).toBe(true);
    initSync({ simd: build.simd, threads: 1 });
    expect(backendInfo().build).toBe(build.name);
    const expected = all.map((c) => c.run());
    all.forEach((c, i) => c.check?.(expected[i]!));
    for (const threads of [2, 3, 8]) {
      initSync({ simd: build.simd, threads });
      expect(backendInfo().threads).toBe(threads);
      expect(backendInfo().build).toBe(build.name);
      all[0]!.run(); // starts the pool
      await sleep(400); // lets the workers instantiate: until then the caller runs every block itself
      let workerBlocks = 0;
      for (let i = 0; i < all.length; i++) {
        expectSameBits(all[i]!.run(), expected[i]!, `${build.name}, threads = ${threads}: ${all[i]!.name}`);
        workerBlocks += heapOrNull()!.currentPool()?.lastWorkerBlocks ?? 0;
      }
      expect(workerBlocks, `workers ran blocks at threads = ${threads}`).toBeGreaterThan(0);
    }
  });
});
