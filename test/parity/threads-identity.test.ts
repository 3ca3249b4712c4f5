/**
 * docs/spec.md "Threads": every threaded function returns bitwise-identical results for threads = 1,
 * 2, 3 and 8 (8 on a 2-core machine is just oversubscribed), on random shapes and options, for each
 * build of test/helpers/builds.ts (test/relaxed.test.ts re-runs this file on the relaxed build).
 * Shapes straddle the pool's small-call threshold (POOL_MIN_ELEMENTS) so both paths are compared, and
 * each threaded run checks that workers really ran blocks (a pool that never worked would pass the
 * equality trivially).
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  allocFloat32,
  backendInfo,
  crossEntropy,
  distillation,
  initSync,
  logSoftmax,
  sigmoidCrossEntropy,
  softmax,
} from "../../dist/index.js";
import { heapOrNull, POOL_MIN_ELEMENTS } from "../../dist/memory.js";
import { BUILDS } from "../helpers/builds.js";
import { expectSameBits } from "../helpers/bits.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

/** The small-K tile's largest K (SMALL_K in assembly/ce_tile.ts), read from the build. */
const SMALL_K = Number(
  (
    new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../../dist/wasm/softxent.scalar.wasm", import.meta.url))), {})
      .exports.SMALL_K as WebAssembly.Global
  ).value,
);

interface Case {
  name: string;
  run(): Array<number | Float32Array>;
}

function cases(seed: number): Case[] {
  const rng = mulberry32(seed);
  const out: Case[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  // K large (row path), K small (four-row tile), the tile's largest K and just above it, one huge row
  // count of K = 1
  const shapes: Array<[number, number]> = [
    [37, 3001],
    [9001, 10],
    [1203, SMALL_K],
    [1203, SMALL_K + 1],
    [2, 40000],
    [70001, 1],
    [5, 7],
    [13, 999],
  ];
  for (const [n, k] of shapes) {
    const z = randomLogits(rng, n, k, pick([1, 4, 30]), 0);
    // masked classes and extreme logits in a few rows
    for (let r = 0; r < n; r += 17) z[r * k + Math.floor(rng() * k)] = -Infinity;
    if (n > 3) z[3 * k] = 80;
    const y = randomLabels(rng, n, k, 0.15, -100);
    const t = new Float32Array(n * k);
    for (let i = 0; i < n; i++) t[i * k + Math.floor(rng() * k)] = 0.7;
    for (let e = 0; e < t.length; e += 3) t[e]! += 0.3 / Math.ceil(k / 3);
    const w = new Float32Array(k).map(() => 0.5 + rng());
    for (let c = 0; c < 4; c++) {
      const o = {
        classes: k,
        smoothing: pick([0, 0.1, 0.37]),
        reduction: pick(["mean", "sum", "none"] as const),
        zLoss: pick([0, 0, 1e-3]),
        grad: rng() < 0.85,
      };
      const mode = pick(["uniform", "others"] as const);
      const weighted = rng() < 0.4;
      const wMode = pick(["pytorch", "target"] as const);
      out.push({
        name: `index ${n}×${k} ${JSON.stringify(o)} ${mode} ${weighted ? wMode : "unweighted"}`,
        run: () => {
          const r = crossEntropy(z, y, {
            ...o,
            smoothingMode: mode,
            ignoreIndex: -100,
            ...(weighted ? { classWeights: w, classWeightMode: wMode } : {}),
          });
          return [r.loss, ...(r.grad ? [r.grad] : [])];
        },
      });
      out.push({
        name: `prob ${n}×${k} ${JSON.stringify(o)} ${weighted ? "weighted" : ""}`,
        run: () => {
          const r = crossEntropy(z, t, { ...o, ...(weighted ? { classWeights: w } : {}) });
          return [r.loss, ...(r.grad ? [r.grad] : [])];
        },
      });
    }
    out.push({ name: `logSoftmax ${n}×${k}`, run: () => [logSoftmax(z, { classes: k })] });
    // distillation: row blocks, each thread its own row scratch, loss sums in block order
    const teacher = z.map((x, e) => (Number.isFinite(x) ? x * 0.7 + Math.sin(e) : x));
    for (let c = 0; c < 2; c++) {
      const o = {
        classes: k,
        temperature: pick([1, 2, 4]),
        reduction: pick(["mean", "sum", "none"] as const),
        grad: rng() < 0.85,
        ...(rng() < 0.6 ? { labels: y, alpha: pick([0.5, 1]), smoothing: pick([0, 0.1]) } : {}),
      };
      out.push({
        name: `distillation ${n}×${k} ${JSON.stringify({ ...o, labels: o.labels ? "yes" : "no" })}`,
        run: () => {
          const r = distillation(z, teacher, o);
          return [r.loss, ...(r.grad ? [r.grad] : [])];
        },
      });
    }
    // sigmoidCrossEntropy: element blocks (whole rows of K with posWeight), loss sums in block order
    const tt = t.map((x) => Math.min(1, x));
    for (let c = 0; c < 2; c++) {
      const o = {
        classes: k,
        smoothing: pick([0, 0.1]),
        reduction: pick(["mean", "sum", "none"] as const),
        grad: rng() < 0.85,
        ...(rng() < 0.5 && { posWeight: w }),
      };
      out.push({
        name: `sigmoid ${n}×${k} ${JSON.stringify({ ...o, posWeight: o.posWeight ? "yes" : "no" })}`,
        run: () => {
          const r = sigmoidCrossEntropy(z, tt, o);
          return [r.loss, ...(r.grad ? [r.grad] : [])];
        },
      });
    }
    const T = pick([0.5, 1, 3]);
    out.push({ name: `softmax ${n}×${k} T=${T}`, run: () => [softmax(z, { classes: k, temperature: T })] });
  }
  // in place, on resident buffers (the gradient overwrites the logits)
  out.push({
    name: "index 300×1000 in place on a resident buffer",
    run: () => {
      const r2 = mulberry32(seed + 1);
      const b = allocFloat32(300 * 1000);
      b.view.set(randomLogits(r2, 300, 1000));
      const y = randomLabels(r2, 300, 1000);
      const r = crossEntropy(b, y, { classes: 1000, smoothing: 0.1, gradOut: b });
      const g = b.view.slice();
      b.release();
      return [r.loss as number, g];
    },
  });
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => initSync({ threads: 1 }));

describe.each(BUILDS)("threads on the $name build", (build) => {
  it("threads = 1, 2, 3, 8 give the same bits for crossEntropy (index, probability), logSoftmax, softmax, sigmoidCrossEntropy, distillation", async () => {
    expect(Number.isInteger(SMALL_K) && SMALL_K > 1, `SMALL_K = ${SMALL_K} from the build`).toBe(true);
    const all = cases(1234);
    expect(all.some((c) => c.name.startsWith("index 37×3001")) && 37 * 3001 >= POOL_MIN_ELEMENTS).toBe(true);
    initSync({ simd: build.simd, threads: 1 });
    expect(backendInfo().build).toBe(build.name);
    const expected = all.map((c) => c.run());
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
