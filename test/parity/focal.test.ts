/**
 * crossEntropy's and sigmoidCrossEntropy's `focal` option against the f64 reference (src/reference/focal.ts),
 * every build of test/helpers/builds.ts (relaxed via parity/relaxed.test.ts), within docs/spec.md
 * "Accuracy": random shapes (N = 0, K = 1, K not a multiple of 4, K past 20000), every target form,
 * smoothing mode, weight mode, α form and γ (integer, fractional, FLSD-53), reductions, z-loss, extreme
 * logits, masked classes and non-finite rows, in place and through resident buffers; confident rows
 * where (1 − p)^γ underflows f32 (relative bar); and a threaded instance giving the same bits.
 */
import { afterAll, describe, expect, it } from "vitest";
import { allocFloat32, allocInt32, backendInfo, crossEntropy, initSync, sigmoidCrossEntropy } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { mulberry32, normal, randomLabels, randomLogits } from "../helpers/rng.js";

type Reduction = "mean" | "sum" | "none";
type Gamma = number | "flsd-53";

interface Case {
  n: number;
  k: number;
  prob: boolean;
  smoothing: number;
  mode: "uniform" | "others";
  weights: "none" | "pytorch" | "target";
  alpha: "none" | "scalar" | "vector";
  gamma: Gamma;
  reduction: Reduction;
  zLoss: number;
  scale: number;
  offset: number;
  mask: number;
  ignore: number;
  nanRow: boolean;
  inPlace: boolean;
  resident: boolean;
  seed: number;
}

function gradScale(c: Case, y: Int32Array | null, w: Float32Array | null): number {
  if (c.reduction !== "mean") return 1;
  if (y === null) return c.n > 0 ? 1 / c.n : 1;
  let d = 0;
  for (const v of y) if (v !== -100) d += w && c.weights !== "none" ? w[v]! : 1;
  return d > 0 ? 1 / d : 1;
}

function runCase(c: Case): void {
  const rng = mulberry32(c.seed);
  const { n, k } = c;
  const z = randomLogits(rng, n, k, c.scale, c.offset);
  for (let e = 0; e < z.length; e++) if (rng() < c.mask) z[e] = -Infinity;
  if (c.nanRow && n > 1) z[k * (n - 1)] = Number.NaN;
  let target: Int32Array | Float32Array;
  let y: Int32Array | null = null;
  if (c.prob) {
    const t = new Float32Array(n * k);
    for (let e = 0; e < t.length; e++) t[e] = rng() < 0.3 ? rng() : 0;
    target = t;
  } else {
    y = randomLabels(rng, n, k, c.ignore, -100);
    target = y;
  }
  const w = c.weights === "none" ? null : Float32Array.from({ length: k }, () => 0.1 + 0.9 * rng());
  const alpha = c.alpha === "none" ? undefined : c.alpha === "scalar" ? 0.25 : Float32Array.from({ length: k }, () => 0.05 + 0.95 * rng());
  const focal = { gamma: c.gamma, ...(alpha === undefined ? {} : { alpha }) };
  const options: Record<string, unknown> = {
    classes: k,
    smoothing: c.smoothing,
    reduction: c.reduction,
    zLoss: c.zLoss,
    focal,
    ...(c.prob ? {} : { smoothingMode: c.mode }),
    ...(w ? { classWeights: w, ...(c.prob ? {} : { classWeightMode: c.weights }) } : {}),
  };
  const r = ref.crossEntropy(z, target, { ...options, targetKind: c.prob ? "probability" : "index" } as never);
  let loss: number | Float32Array;
  let grad: Float32Array;
  if (c.resident) {
    const zb = allocFloat32(z.length);
    const gb = allocFloat32(z.length);
    const tb = c.prob ? allocFloat32(target.length) : allocInt32(target.length);
    zb.view.set(z);
    tb.view.set(target as never);
    try {
      const out = crossEntropy(zb, tb, { ...options, gradOut: gb } as never);
      expect(zb.view).toEqual(z);
      loss = out.loss instanceof Float32Array ? out.loss.slice() : out.loss;
      grad = out.grad!.slice();
    } finally {
      zb.release();
      gb.release();
      tb.release();
    }
  } else {
    const zc = z.slice();
    const out = crossEntropy(zc, target, (c.inPlace ? { ...options, gradOut: zc } : options) as never);
    loss = out.loss as number | Float32Array;
    grad = out.grad!;
  }
  if (c.reduction === "none") expectLosses(loss as Float32Array, r.loss as Float64Array);
  else expectLoss(loss as number, r.loss as number);
  expectGrad(grad, r.grad!, gradScale(c, y, w));
}

function randomCase(rng: () => number, seed: number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const [n, k] = pick([
    [0, 5],
    [1, 1],
    [6, 1],
    [7, 2],
    [5, 3],
    [13, 5],
    [9, 17],
    [11, 64],
    [6, 73],
    [4, 1000],
    [3, 1003],
    [2, 20011],
  ] as const);
  const prob = rng() < 0.3;
  return {
    n,
    k,
    prob,
    smoothing: pick([0, 0, 0.1, 0.37]),
    mode: pick(["uniform", "others"] as const),
    weights: pick(["none", "none", "pytorch", "target"] as const),
    alpha: pick(["none", "scalar", "vector"] as const),
    gamma: pick([0, 1, 2, 3, 5, 0.5, 1.5, 2.7, "flsd-53"] as const),
    reduction: pick(["mean", "sum", "none"] as const),
    zLoss: pick([0, 0, 1e-3]),
    scale: pick([1, 3, 30, 1e3]),
    offset: pick([0, 0, -50, 1e4]),
    mask: pick([0, 0, 0, 0.2]),
    ignore: prob ? 0 : pick([0, 0.2]),
    nanRow: rng() < 0.1,
    inPlace: rng() < 0.25,
    resident: rng() < 0.2,
    seed,
  };
}

for (const build of BUILDS) {
  describe(`focal crossEntropy parity (${build.name})`, () => {
    it("runs on the build it names", () => {
      initSync({ simd: build.simd });
      expect(backendInfo().build).toBe(build.name);
    });

    it("random shapes and every option, against the reference", () => {
      initSync({ simd: build.simd });
      const rng = mulberry32(2201);
      for (let i = 0; i < 260; i++) {
        const c = randomCase(rng, 1000 + i);
        try {
          runCase(c);
        } catch (e) {
          throw new Error(`case ${JSON.stringify(c)}: ${(e as Error).message}`);
        }
      }
    });

    it("γ = 0 is α × cross-entropy (per row and gradient)", () => {
      initSync({ simd: build.simd });
      const rng = mulberry32(7);
      for (const [n, k] of [
        [9, 5],
        [5, 1003],
      ] as const) {
        const z = randomLogits(rng, n, k, 3, 0);
        const y = randomLabels(rng, n, k);
        for (const smoothing of [0, 0.1]) {
          const plain = crossEntropy(z, y, { classes: k, smoothing, reduction: "none" });
          const focal = crossEntropy(z, y, { classes: k, smoothing, reduction: "none", focal: { gamma: 0, alpha: 0.25 } });
          const rp = plain.loss as Float32Array;
          const rf = focal.loss as Float32Array;
          for (let i = 0; i < n; i++) expect(Math.abs(rf[i]! - 0.25 * rp[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, rp[i]!));
          for (let e = 0; e < n * k; e++) expect(Math.abs(focal.grad![e]! - 0.25 * plain.grad![e]!)).toBeLessThanOrEqual(5e-7);
        }
      }
    });

    it("confident rows: the loss stays right (relative, (1 + γ)·1e-5) where (1 − p)^γ underflows f32, the gradient finite", () => {
      initSync({ simd: build.simd });
      const rng = mulberry32(31);
      for (const k of [2, 3, 10, 1000]) {
        for (const gamma of [0, 1, 2, 3, 1.5, "flsd-53"] as const) {
          for (const smoothing of [0, 0.1]) {
            const n = 16;
            const z = randomLogits(rng, n, k, 1, 0);
            const y = randomLabels(rng, n, k);
            for (let i = 0; i < n; i++) z[i * k + y[i]!] = 5 + 75 * rng(); // margins 5…80 above N(0,1) logits
            const opts = { classes: k, smoothing, focal: { gamma } };
            for (let i = 0; i < n; i++) {
              // each row alone under 'sum': an f64 loss, so tiny values are representable
              const zi = z.slice(i * k, (i + 1) * k);
              const yi = y.slice(i, i + 1);
              const a = crossEntropy(zi, yi, { ...opts, reduction: "sum" });
              const r = ref.crossEntropy(zi, yi, { ...opts, reduction: "sum" });
              const rl = r.loss as number;
              expect(rl).toBeGreaterThan(0);
              // the loss is ~ (Σ_{j≠y} p_j)^(γ+1): the f32 exp's relative error in those p, ×(γ + 1)
              const rel = Math.abs((a.loss as number) - rl) / rl;
              const bar = 1e-5 * (1 + (gamma === "flsd-53" ? 5 : gamma));
              if (!(rel <= bar)) expect.fail(`k=${k} γ=${gamma} ε=${smoothing} row ${i}: ${a.loss} vs ${rl} (relative ${rel})`);
              for (const g of a.grad!) expect(Number.isFinite(g)).toBe(true);
              expectGrad(a.grad!, r.grad!, 1);
            }
          }
        }
      }
    });

    it("fractional γ where p crosses the vector pass's series range (1/64), uniform and per-class c", () => {
      // Rows of K ≈ 64 near-equal logits put every class's p beside 1/64, where the vector pass switches
      // between (1 − p)^(γ−1)'s binomial series (through p⁴) and exp((γ−1)·log u); γ up to 7.9 makes a
      // series cut short visible (its first omitted term, C(γ−1, 4)·p⁴, is 2e-6 of the term at p = 1/64),
      // heavy smoothing gives every class mass. Both coefficient forms: scalar α on index targets (c
      // factored out), per-class α.
      initSync({ simd: build.simd });
      const rng = mulberry32(1616);
      for (const k of [57, 63, 64, 65, 66, 71, 129]) {
        for (const gamma of [0.5, 1.5, 2.7, 4.5, 7.9]) {
          for (const alpha of [1, "vector"] as const) {
            const n = 12;
            const z = Float32Array.from({ length: n * k }, () => 0.01 * normal(rng));
            const y = randomLabels(rng, n, k);
            const a = alpha === 1 ? 1 : Float32Array.from({ length: k }, () => 0.2 + 0.8 * rng());
            const opts = { classes: k, smoothing: 0.9, reduction: "sum" as const, focal: { gamma, alpha: a } };
            const got = crossEntropy(z, y, opts);
            const r = ref.crossEntropy(z, y, opts);
            const what = `k=${k} γ=${gamma} α=${alpha}`;
            expectLoss(got.loss, r.loss as number, what);
            expectGrad(got.grad!, r.grad!, 1, what);
          }
        }
      }
    });

    it("confident rows whose loss is the label's term alone (α zero off the label): the others' tiny e are summed exactly", () => {
      // With smoothing, pass 2 of the general path floors every e at P_MIN·K (spanFloorLog) and a row's
      // Σ_{k≠max} e_k is summed again without the floor where the floor could show. Here nothing else
      // hides it: α = 0 for every class but the label, so the row's loss is (1−ε+ε/K)·u^γ·(−log p) with
      // u = Σ_{k≠max} e_k / S — margins 55…78 (every other logit stays above the exp's FLT_MIN clamp,
      // docs/accuracy.md), so at K = 1000 u ~ 1e-21…1e-31, near or below the floor's K·P_MIN·K = 1e-24.
      initSync({ simd: build.simd });
      const rng = mulberry32(4242);
      for (const k of [10, 1000]) {
        const alpha = new Float32Array(k);
        alpha[3] = 1;
        for (const gamma of [0, 1, 2, 1.5]) {
          for (let i = 0; i < 8; i++) {
            const z = randomLogits(rng, 1, k, 1, 0);
            z[3] = 55 + 23 * rng();
            const y = new Int32Array([3]);
            const opts = { classes: k, smoothing: 0.1, reduction: "sum" as const, focal: { gamma, alpha } };
            const a = crossEntropy(z, y, opts);
            const r = ref.crossEntropy(z, y, opts);
            const rl = r.loss as number;
            expect(rl).toBeGreaterThan(0);
            const rel = Math.abs((a.loss as number) - rl) / rl;
            if (!(rel <= 1e-5 * (1 + gamma))) expect.fail(`k=${k} γ=${gamma} margin ${z[3]}: ${a.loss} vs ${rl} (relative ${rel})`);
            expectGrad(a.grad!, r.grad!, 1);
          }
        }
      }
    });

    it("K = 1, N = 0 and an all-ignored batch", () => {
      initSync({ simd: build.simd });
      const one = crossEntropy(new Float32Array([3, -2]), new Int32Array([0, 0]), { classes: 1, focal: { gamma: 2 } });
      expect(one.loss).toBe(0);
      expect(Array.from(one.grad!)).toEqual([0, 0]);
      const empty = crossEntropy(new Float32Array(0), new Int32Array(0), { classes: 4, focal: { gamma: 2 } });
      expect(empty.loss).toBe(0);
      const ign = crossEntropy(new Float32Array([1, 2, 3, 4]), new Int32Array([-100, -100]), { classes: 2, focal: { gamma: 2 } });
      expect(ign.loss).toBe(0);
      expect(Array.from(ign.grad!)).toEqual([0, 0, 0, 0]);
    });
  });

  describe(`focal sigmoidCrossEntropy parity (${build.name})`, () => {
    it("random shapes, smoothing, posWeight, α-balancing, extreme logits", () => {
      initSync({ simd: build.simd });
      const rng = mulberry32(91);
      for (let i = 0; i < 120; i++) {
        const k = [1, 3, 7, 16][i % 4]!;
        const n = [0, 1, 5, 33][(i >> 2) % 4]!;
        const x = new Float32Array(n * k);
        const big = i % 3 === 0;
        for (let e = 0; e < x.length; e++) x[e] = (big ? 60 : 4) * normal(rng);
        if (i % 11 === 5 && x.length > 2) x[1] = Number.NaN;
        const t = Float32Array.from({ length: n * k }, () => (rng() < 0.4 ? 1 : rng() < 0.5 ? 0 : rng()));
        const gamma = [0, 1, 2, 3, 0.5, 2.5][i % 6]!;
        const options: Record<string, unknown> = {
          classes: k,
          smoothing: [0, 0.1, 0.3][i % 3],
          reduction: (["mean", "sum", "none"] as const)[(i >> 1) % 3],
          focal: i % 5 === 0 ? { gamma } : { gamma, alpha: rng() },
          ...(i % 4 === 1 ? { posWeight: Float32Array.from({ length: k }, () => 0.2 + 3 * rng()) } : {}),
        };
        const a = sigmoidCrossEntropy(x, t, options as never) as { loss: number | Float32Array; grad: Float32Array | null };
        const r = ref.sigmoidCrossEntropy(x, t, options as never);
        const what = `case ${i} ${JSON.stringify(options)}`;
        if (options.reduction === "none") expectLosses(a.loss as Float32Array, r.loss as Float64Array, what);
        else expectLoss(a.loss as number, r.loss as number, what);
        expectGrad(a.grad!, r.grad!, options.reduction === "mean" && x.length > 0 ? 1 / x.length : 1, what);
      }
    });
  });

  describe(`focal on a threaded instance (${build.name})`, () => {
    afterAll(() => initSync({ simd: build.simd, threads: 1 }));
    it("gives the bits of one thread (focal runs on the calling thread)", () => {
      const rng = mulberry32(5);
      const n = 64;
      const k = 1003; // 64·1003 logits: above the pool's small-call threshold
      const z = randomLogits(rng, n, k, 4, 0);
      const y = randomLabels(rng, n, k, 0.1);
      const run = (): Array<number | Float32Array> => {
        const out: Array<number | Float32Array> = [];
        for (const gamma of [2, 1.5, "flsd-53"] as const) {
          const a = crossEntropy(z, y, { classes: k, smoothing: 0.1, focal: { gamma } });
          const b = crossEntropy(z, y, { classes: k, reduction: "none", focal: { gamma, alpha: 0.5 } });
          out.push(a.loss, a.grad!, b.loss, b.grad!);
        }
        return out;
      };
      initSync({ simd: build.simd, threads: 1 });
      const one = run();
      initSync({ simd: build.simd, threads: 2 });
      expect(backendInfo().threads).toBe(2);
      const two = run();
      expect(two.length).toBe(one.length);
      for (let i = 0; i < one.length; i++) {
        const a = one[i]!;
        const b = two[i]!;
        if (typeof a === "number") expect(Object.is(a, b)).toBe(true);
        else
          expect(
            Buffer.from((b as Float32Array).buffer, (b as Float32Array).byteOffset, a.byteLength).equals(
              Buffer.from(a.buffer, a.byteOffset, a.byteLength),
            ),
          ).toBe(true);
      }
    });
  });
}
