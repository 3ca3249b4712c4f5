/**
 * docs/spec.md "Threads" for linearCrossEntropy: the loss and every gradient are bitwise identical for
 * threads = 1, 2, 3 and 8, on each build of test/helpers/builds.ts (test/parity/relaxed.test.ts re-runs
 * this file on the relaxed build). Shapes put V below, at and past a class slice (LCE_VB), D below
 * and past a ∂H column slice (LCE_HB), several chunks per call, and every index-target option: both
 * layouts, bias, class weights in both modes, both smoothing modes, z-loss, the three reductions,
 * ignored rows (one holding a NaN hidden value), grad: false, accumulate, resident buffers. Each
 * threaded run checks that workers ran blocks (a pool that never worked would pass trivially).
 */
import { afterAll, describe, expect, it } from "vitest";
import { allocFloat32, allocInt32, backendInfo, initSync, linearCrossEntropy } from "../../dist/index.js";
import { heapOrNull, POOL_MIN_ELEMENTS } from "../../dist/memory.js";
import { BUILDS } from "../helpers/builds.js";
import { expectSameBits } from "../helpers/bits.js";
import { mulberry32, randomLabels } from "../helpers/rng.js";

type Out = Array<number | Float32Array | null>;
interface Case {
  name: string;
  run(): Out;
}

function cases(seed: number): Case[] {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const out: Case[] = [];
  // [N, D, V, chunkBytes or undefined]
  const shapes: Array<[number, number, number, number | undefined]> = [
    [61, 70, 1100, undefined],
    [40, 9, 1531, 4 * 1531 * 7],
    [7, 130, 5003, undefined],
    [300, 16, 512, 4 * 512 * 50],
    [3, 200, 20000, undefined],
    [9, 261, 4000, undefined], // D past one ∂H column slice (checked against the build's LCE_HB below)
  ];
  for (const [n, d, v, chunkBytes] of shapes) {
    const hidden = new Float32Array(n * d).map(() => rng() * 2 - 1);
    const weight = new Float32Array(v * d).map(() => (rng() * 2 - 1) * 0.4);
    const bias = new Float32Array(v).map(() => rng() - 0.5);
    const cw = new Float32Array(v).map(() => 0.5 + rng());
    const y = randomLabels(rng, n, v, 0.15, -100);
    // an ignored row holding a NaN: contributes nothing (the ∂W runs skip it)
    const hiddenNaN = hidden.slice();
    const ig = y.indexOf(-100);
    if (ig >= 0) hiddenNaN[ig * d + 1] = Number.NaN;
    for (let c = 0; c < 4; c++) {
      const o = {
        classes: v,
        weightLayout: pick(["vd", "dv"] as const),
        smoothing: pick([0, 0.1, 0.37]),
        smoothingMode: pick(["uniform", "others"] as const),
        reduction: pick(["mean", "sum", "none"] as const),
        zLoss: pick([0, 0, 1e-3]),
        grad: rng() < 0.85,
        ...(chunkBytes !== undefined && { chunkBytes }),
      };
      const withBias = rng() < 0.6;
      const weighted = rng() < 0.4;
      const wMode = pick(["pytorch", "target"] as const);
      const nanRow = rng() < 0.3;
      out.push({
        name: `${n}×${d}×${v} ${JSON.stringify(o)} ${withBias ? "bias" : ""} ${weighted ? wMode : ""} ${nanRow ? "NaN in an ignored row" : ""}`,
        run: () => {
          const r = linearCrossEntropy(nanRow ? hiddenNaN : hidden, weight, y, {
            ...o,
            ...(withBias && { bias }),
            ...(weighted && { classWeights: cw, classWeightMode: wMode }),
          });
          return [r.loss, r.gradHidden, r.gradWeight, r.gradBias];
        },
      });
    }
    // accumulate into given gradients
    out.push({
      name: `${n}×${d}×${v} accumulate`,
      run: () => {
        const gw = new Float32Array(v * d).fill(0.25),
          gb = new Float32Array(v).fill(-1);
        const r = linearCrossEntropy(hidden, weight, y, {
          classes: v,
          bias,
          smoothing: 0.1,
          gradWeight: gw,
          gradBias: gb,
          accumulate: true,
        });
        return [r.loss, r.gradHidden, gw, gb];
      },
    });
  }
  // every operand resident, the outputs written in place
  out.push({
    name: "resident 90×33×2000 dv",
    run: () => {
      const r2 = mulberry32(seed + 1);
      const n = 90,
        d = 33,
        v = 2000;
      const H = allocFloat32(n * d),
        W = allocFloat32(v * d),
        Y = allocInt32(n),
        B = allocFloat32(v),
        GH = allocFloat32(n * d),
        GW = allocFloat32(v * d),
        GB = allocFloat32(v);
      H.view.set(new Float32Array(n * d).map(() => r2() - 0.5));
      W.view.set(new Float32Array(v * d).map(() => r2() - 0.5));
      Y.view.set(randomLabels(r2, n, v, 0.1));
      B.view.set(new Float32Array(v).map(() => r2()));
      const r = linearCrossEntropy(H, W, Y, {
        classes: v,
        weightLayout: "dv",
        bias: B,
        smoothing: 0.2,
        zLoss: 1e-4,
        gradHidden: GH,
        gradWeight: GW,
        gradBias: GB,
      });
      const res: Out = [r.loss, GH.view.slice(), GW.view.slice(), GB.view.slice()];
      for (const b of [H, W, Y, B, GH, GW, GB]) b.release();
      return res;
    },
  });
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => initSync({ threads: 1 }));

describe.each(BUILDS)("linearCrossEntropy threads on the $name build", (build) => {
  it("threads = 1, 2, 3, 8 give the same bits", async () => {
    const all = cases(4321);
    expect(61 * 1100).toBeGreaterThanOrEqual(POOL_MIN_ELEMENTS);
    initSync({ simd: build.simd, threads: 1 });
    // the slice widths as built: the shapes above must reach past each of them
    const ex = heapOrNull()!.exports as unknown as Record<"LCE_HB" | "LCE_VB", WebAssembly.Global>;
    expect(261).toBeGreaterThan(ex.LCE_HB.value as number);
    expect(1100).toBeGreaterThan(ex.LCE_VB.value as number);
    expect(backendInfo().build).toBe(build.name);
    const expected = all.map((c) => c.run());
    for (const threads of [2, 3, 8]) {
      initSync({ simd: build.simd, threads });
      expect(backendInfo().threads).toBe(threads);
      expect(backendInfo().build).toBe(build.name);
      all[0]!.run(); // starts the pool
      await sleep(400); // lets the workers instantiate: until then the caller runs every block itself
      // every pass is compared; a busy machine (the other suites run beside this one) may start the
      // workers late, so pass again until they took part
      let workerBlocks = 0;
      for (let pass = 0; pass < 6 && workerBlocks === 0; pass++) {
        if (pass > 0) await sleep(300);
        for (let i = 0; i < all.length; i++) {
          expectSameBits(all[i]!.run(), expected[i]!, `${build.name}, threads = ${threads}: ${all[i]!.name}`);
          workerBlocks += heapOrNull()!.currentPool()?.lastWorkerBlocks ?? 0;
        }
      }
      expect(workerBlocks, `workers ran blocks at threads = ${threads}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
