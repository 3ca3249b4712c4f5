/**
 * The `focal` option of linearCrossEntropy (docs/spec.md "focal", "linearCrossEntropy") against the
 * double-precision composition (src/reference/linear_cross_entropy.ts: f64 logits, then the reference
 * focal loss, then the products), on every build: both layouts, bias, class weights in both modes,
 * both smoothing modes, integer, fractional and FLSD-53 γ, scalar and per-class α, z-loss, the three
 * reductions, ignored rows, several chunks per call, N = 0 and K = 1; γ = 0 with α = 1 equal to the
 * plain call; and the same bits for 1, 2 and 3 threads, for linearCrossEntropy and for crossEntropy's
 * focal option (both pooled: docs/spec.md "Threads"). Bars as test/parity/linear_cross_entropy.test.ts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { backendInfo, crossEntropy, initSync, linearCrossEntropy } from "../../dist/index.js";
import { heapOrNull } from "../../dist/memory.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectSameBits } from "../helpers/bits.js";
import { mulberry32, normal, randomLabels } from "../helpers/rng.js";

const LOSS_TOL = 1e-5;
const GRAD_TOL = 2e-5;

function lossClose(a: number, r: number, what: string): void {
  const e = Math.abs(a - r) / Math.max(1, Math.abs(r));
  if (!(e <= LOSS_TOL)) expect.fail(`${what}: loss ${a} vs reference ${r} (relative error ${e.toExponential(2)})`);
}

function gradClose(a: ArrayLike<number> | null, r: ArrayLike<number> | null, what: string): void {
  expect(a, what).not.toBeNull();
  expect(a!.length, `${what} length`).toBe(r!.length);
  let maxRef = 0;
  for (let i = 0; i < r!.length; i++) maxRef = Math.max(maxRef, Math.abs(r![i]!));
  let worst = 0;
  for (let i = 0; i < r!.length; i++) {
    const d = Math.abs(a![i]! - r![i]!);
    if (!(d <= GRAD_TOL * maxRef)) worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  if (worst > 0)
    expect.fail(`${what}: max abs error ${worst.toExponential(2)} > ${GRAD_TOL}·max|g| = ${(GRAD_TOL * maxRef).toExponential(2)}`);
}

type Gamma = number | "flsd-53";

function problem(seed: number, n: number, d: number, v: number) {
  const rng = mulberry32(seed);
  const hidden = Float32Array.from({ length: n * d }, () => normal(rng));
  const sd = 2 / Math.sqrt(d);
  const weight = Float32Array.from({ length: v * d }, () => sd * normal(rng));
  const labels = randomLabels(rng, n, v, 0.2, -100);
  const bias = Float32Array.from({ length: v }, () => normal(rng));
  const classWeights = Float32Array.from({ length: v }, () => 0.1 + 3 * rng());
  const alpha = Float32Array.from({ length: v }, () => 0.05 + rng());
  return { rng, hidden, weight, labels, bias, classWeights, alpha };
}

describe.each(BUILDS)("linearCrossEntropy focal — $name build", ({ name, simd }) => {
  afterAll(() => initSync({ simd, threads: 1 }));

  it("every option with focal, against the reference; several chunks per call", () => {
    initSync({ simd });
    expect(backendInfo().build).toBe(name);
    let seed = 300;
    const shapes: [number, number, number][] = [
      [13, 7, 11],
      [9, 17, 37],
      [6, 5, 1],
      [0, 4, 9],
      [21, 33, 130],
    ];
    for (const [n, d, v] of shapes) {
      for (const gamma of [0, 2, 3, 1.5, "flsd-53"] as Gamma[]) {
        for (let c = 0; c < 6; c++) {
          const { rng, hidden, weight, labels, bias, classWeights, alpha } = problem(seed++, n, d, v);
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
          const weights = pick(["none", "pytorch", "target"] as const);
          const options = {
            classes: v,
            weightLayout: pick(["vd", "dv"] as const),
            smoothing: pick([0, 0.1, 0.3]),
            smoothingMode: pick(["uniform", "others"] as const),
            reduction: pick(["mean", "sum", "none"] as const),
            zLoss: pick([0, 1e-3]),
            ...(rng() < 0.5 ? { bias } : {}),
            ...(weights === "none" ? {} : { classWeights, classWeightMode: weights }),
            focal: rng() < 0.5 ? { gamma } : { gamma, alpha: rng() < 0.5 ? 0.25 : alpha },
          };
          // about three rows per chunk
          const got = linearCrossEntropy(hidden, weight, labels, { ...options, chunkBytes: 3 * 4 * v });
          const want = ref.linearCrossEntropy(hidden, weight, labels, options);
          const tag = `${n}×${d}×${v} ${JSON.stringify({ ...options, bias: undefined, classWeights: undefined, focal: { gamma, alpha: options.focal.alpha instanceof Float32Array ? "per class" : options.focal.alpha } })}`;
          if (want.loss instanceof Float64Array) {
            const l = got.loss as Float32Array;
            expect(l.length).toBe(n);
            for (let i = 0; i < n; i++) lossClose(l[i]!, want.loss[i]!, `${tag} row ${i}`);
          } else lossClose(got.loss as number, want.loss, tag);
          if (n === 0) continue;
          gradClose(got.gradHidden, want.gradHidden, `${tag} gradHidden`);
          gradClose(got.gradWeight, want.gradWeight, `${tag} gradWeight`);
          if (want.gradBias) gradClose(got.gradBias, want.gradBias, `${tag} gradBias`);
        }
      }
    }
  });

  it("γ = 0 with α = 1 is the plain call, bit for bit in the gradients' products", () => {
    initSync({ simd });
    const { hidden, weight, labels, bias } = problem(7, 40, 24, 300);
    for (const smoothing of [0, 0.1]) {
      const o = { classes: 300, bias, smoothing };
      const plain = linearCrossEntropy(hidden, weight, labels, o);
      const focal = linearCrossEntropy(hidden, weight, labels, { ...o, focal: { gamma: 0 } });
      lossClose(focal.loss as number, plain.loss as number, `ε = ${smoothing}`);
      gradClose(focal.gradHidden, plain.gradHidden, `ε = ${smoothing} gradHidden`);
      gradClose(focal.gradWeight, plain.gradWeight, `ε = ${smoothing} gradWeight`);
    }
  });

  it("refuses a bad focal option before writing anything, and keeps working", () => {
    initSync({ simd });
    const { hidden, weight, labels } = problem(8, 3, 4, 5);
    expect(() => linearCrossEntropy(hidden, weight, labels, { classes: 5, focal: { gamma: -1 } })).toThrow(
      /linearCrossEntropy: options\.focal\.gamma must be in \[0, 100\]/,
    );
    expect(() => linearCrossEntropy(hidden, weight, labels, { classes: 5, focal: { gamma: 2, alpha: new Float32Array(4) } })).toThrow(
      /options\.focal\.alpha\.length must be 5/,
    );
    expect(Number.isFinite(linearCrossEntropy(hidden, weight, labels, { classes: 5, focal: { gamma: 2 } }).loss)).toBe(true);
  });

  it("the same bits for 1, 2 and 3 threads: linearCrossEntropy and crossEntropy with focal", async () => {
    const { hidden, weight, labels, bias, classWeights, alpha } = problem(11, 70, 33, 1100);
    const rng = mulberry32(12);
    const z = Float32Array.from({ length: 64 * 1003 }, () => 3 * normal(rng));
    const y = randomLabels(rng, 64, 1003, 0.1, -100);
    const t = Float32Array.from({ length: 40 * 1003 }, () => (rng() < 0.01 ? rng() : 0));
    let workerBlocks = 0;
    const blocks = (): void => {
      workerBlocks += heapOrNull()!.currentPool()?.lastWorkerBlocks ?? 0;
    };
    const runs = (): Array<number | Float32Array> => {
      const out: Array<number | Float32Array> = [];
      for (const gamma of [3, 1.5, "flsd-53"] as Gamma[]) {
        const a = linearCrossEntropy(hidden, weight, labels, {
          classes: 1100,
          bias,
          smoothing: 0.1,
          classWeights,
          zLoss: 1e-4,
          focal: { gamma, alpha },
          chunkBytes: 4 * 1100 * 30,
        });
        blocks();
        out.push(a.loss as number, a.gradHidden!, a.gradWeight!, a.gradBias!);
        const b = crossEntropy(z, y, { classes: 1003, smoothing: 0.1, focal: { gamma } });
        blocks();
        out.push(b.loss, b.grad!);
        const c = crossEntropy(z.subarray(0, t.length), t, { classes: 1003, reduction: "none", focal: { gamma, alpha: 0.5 } });
        blocks();
        out.push(c.loss, c.grad!);
      }
      return out;
    };
    initSync({ simd, threads: 1 });
    const one = runs();
    for (const threads of [2, 3]) {
      initSync({ simd, threads });
      workerBlocks = 0;
      // until the workers have instantiated the caller may run every block itself (same bits either
      // way): compare every pass, and pass again until workers took part (a busy machine starts them late)
      for (let pass = 0; pass < 8 && workerBlocks === 0; pass++) {
        expectSameBits(runs(), one, `${name} build, threads = ${threads}`);
        if (workerBlocks === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(workerBlocks, `workers ran blocks at threads = ${threads}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
