/**
 * crossEntropy against the double-precision reference (src/reference), for the SIMD and the scalar
 * build: random shapes (N = 0, K = 1, K not a multiple of 4, K up to 131072), every option
 * combination, extreme logits, masked classes and non-finite rows, within docs/spec.md "Accuracy" bounds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, crossEntropy, backendInfo, allocFloat32, allocInt32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { mulberry32, randomLogits, randomLabels, normal } from "../helpers/rng.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { BUILDS } from "../helpers/builds.js";

type Reduction = "mean" | "sum" | "none";
interface Case {
  n: number;
  k: number;
  smoothing: number;
  smoothingMode: "uniform" | "others";
  reduction: Reduction;
  weights: "none" | "pytorch" | "target";
  zLoss: number;
  ignoreFraction: number;
  scale: number;
  offset: number;
  maskFraction: number;
  seed: number;
  /** The ignoreIndex option (undefined: not given, the default −100); ignored rows carry this label. */
  ignoreIndex?: number;
  /** Run through resident buffers with a separate resident gradOut (pass 2 detects non-finite rows). */
  resident?: boolean;
}

/** crossEntropy through the copying API, or through resident buffers with a separate gradOut. */
function call(
  z: Float32Array,
  target: Int32Array | Float32Array,
  options: Record<string, unknown>,
  resident: boolean | undefined,
): { loss: number | Float32Array; grad: Float32Array | null } {
  if (!resident) return crossEntropy(z, target, options as never);
  const zb = allocFloat32(z.length),
    gb = allocFloat32(z.length);
  const tb = target instanceof Int32Array ? allocInt32(target.length) : allocFloat32(target.length);
  zb.view.set(z);
  tb.view.set(target as never);
  try {
    const r = crossEntropy(zb, tb, { ...options, gradOut: gb } as never);
    expect(zb.view).toEqual(z); // the logits are left as they were
    const loss = r.loss instanceof Float32Array ? r.loss.slice() : r.loss;
    return { loss, grad: r.grad!.slice() };
  } finally {
    zb.release();
    gb.release();
    tb.release();
  }
}

function weightsFor(rng: () => number, k: number): Float32Array {
  const w = new Float32Array(k);
  for (let j = 0; j < k; j++) w[j] = 0.1 + 3 * rng();
  return w;
}

/** Sets a fraction of logits to −Infinity (never every class of a row unless asked). */
function mask(rng: () => number, z: Float32Array, _k: number, fraction: number): void {
  if (fraction <= 0) return;
  for (let e = 0; e < z.length; e++) if (rng() < fraction) z[e] = -Infinity;
}

/** Gradient scale of the reduction (what one unit of the 'sum' bound becomes). */
function gradScale(reduction: Reduction, labels: Int32Array | null, n: number, w: Float32Array | null, ignoreIndex: number): number {
  if (reduction !== "mean") return 1;
  if (labels === null) return n > 0 ? 1 / n : 1;
  let d = 0;
  for (const y of labels) if (y !== ignoreIndex) d += w ? w[y]! : 1;
  return d > 0 ? 1 / d : 1;
}

function runIndexCase(c: Case): void {
  const rng = mulberry32(c.seed);
  const z = randomLogits(rng, c.n, c.k, c.scale, c.offset);
  mask(rng, z, c.k, c.maskFraction);
  const ig = c.ignoreIndex ?? -100;
  const labels = randomLabels(rng, c.n, c.k, c.ignoreFraction, ig);
  const w = c.weights === "none" ? null : weightsFor(rng, c.k);
  const options = {
    classes: c.k,
    smoothing: c.smoothing,
    smoothingMode: c.smoothingMode,
    reduction: c.reduction,
    zLoss: c.zLoss,
    ...(w ? { classWeights: w, classWeightMode: c.weights as "pytorch" | "target" } : {}),
    ...(c.ignoreIndex !== undefined ? { ignoreIndex: c.ignoreIndex } : {}),
  };
  const got = call(z, labels, options, c.resident);
  const want = ref.crossEntropy(z, labels, options);
  const tag = JSON.stringify(c);
  if (c.reduction === "none") expectLosses(got.loss as Float32Array, want.loss as Float64Array, tag);
  else expectLoss(got.loss as number, want.loss as number, tag);
  expectGrad(got.grad!, want.grad!, gradScale(c.reduction, labels, c.n, w, ig), tag);
}

function runProbCase(c: Case): void {
  const rng = mulberry32(c.seed);
  const z = randomLogits(rng, c.n, c.k, c.scale, c.offset);
  mask(rng, z, c.k, c.maskFraction);
  const t = new Float32Array(c.n * c.k);
  for (let i = 0; i < c.n; i++) {
    let s = 0;
    for (let j = 0; j < c.k; j++) s += t[i * c.k + j] = Math.exp(2 * normal(rng));
    for (let j = 0; j < c.k; j++) t[i * c.k + j]! /= s;
  }
  const w = c.weights === "none" ? null : weightsFor(rng, c.k);
  const options = { classes: c.k, smoothing: c.smoothing, reduction: c.reduction, zLoss: c.zLoss, ...(w ? { classWeights: w } : {}) };
  const got = call(z, t, options, c.resident);
  const want = ref.crossEntropy(z, t, options);
  const tag = "prob " + JSON.stringify(c);
  if (c.reduction === "none") expectLosses(got.loss as Float32Array, want.loss as Float64Array, tag);
  else expectLoss(got.loss as number, want.loss as number, tag);
  expectGrad(got.grad!, want.grad!, gradScale(c.reduction, null, c.n, w, -100), tag);
}

const base: Case = {
  n: 5,
  k: 7,
  smoothing: 0.1,
  smoothingMode: "uniform",
  reduction: "mean",
  weights: "none",
  zLoss: 0,
  ignoreFraction: 0,
  scale: 3,
  offset: 0,
  maskFraction: 0,
  seed: 1,
};

// the small-K tile covers 2 ≤ K ≤ 72 (rows across the lanes); 73 and up take the row path
const SMALL_K = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40, 41, 63, 65, 72, 73];
const MID_K = [100, 255, 257, 1000, 1023, 1025];

describe.each(BUILDS)("crossEntropy parity — $name build", ({ name, simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().build).toBe(name);
  });

  it("every option combination on small shapes (index targets)", () => {
    let seed = 100;
    for (const k of [1, 3, 8, 13]) {
      for (const smoothing of [0, 0.1, 1]) {
        for (const smoothingMode of ["uniform", "others"] as const) {
          for (const reduction of ["mean", "sum", "none"] as const) {
            for (const weights of ["none", "pytorch", "target"] as const) {
              for (const zLoss of [0, 1e-3]) {
                // ignored rows labelled −100 (the default), or by a custom ignoreIndex: −1, or 1 (a class
                // index: rows labelled 1 are then left out whatever their logits)
                for (const [ignoreFraction, ignoreIndex] of [
                  [0, undefined],
                  [0.3, undefined],
                  [0.3, -1],
                  [0.3, 1],
                ] as const) {
                  runIndexCase({
                    ...base,
                    n: 6,
                    k,
                    smoothing,
                    smoothingMode,
                    reduction,
                    weights,
                    zLoss,
                    ignoreFraction,
                    ignoreIndex,
                    seed: seed++,
                  });
                }
              }
            }
          }
        }
      }
    }
  });

  it("every option combination on small shapes (probability targets)", () => {
    let seed = 5000;
    for (const k of [1, 3, 8, 13]) {
      for (const smoothing of [0, 0.1, 1]) {
        for (const reduction of ["mean", "sum", "none"] as const) {
          for (const weights of ["none", "pytorch"] as const) {
            for (const zLoss of [0, 1e-3]) {
              runProbCase({ ...base, n: 6, k, smoothing, reduction, weights, zLoss, seed: seed++ });
            }
          }
        }
      }
    }
  });

  it("random shapes: N = 0, N = 1, K = 1, K not a multiple of 4", () => {
    const rng = mulberry32(7);
    let seed = 9000;
    for (const k of [...SMALL_K, ...MID_K]) {
      for (const n of [0, 1, 3, 17]) {
        const c: Case = {
          ...base,
          n,
          k,
          seed: seed++,
          smoothing: [0, 0.1, 0.3][Math.floor(rng() * 3)]!,
          smoothingMode: rng() < 0.5 ? "uniform" : "others",
          reduction: (["mean", "sum", "none"] as const)[Math.floor(rng() * 3)]!,
          weights: (["none", "pytorch", "target"] as const)[Math.floor(rng() * 3)]!,
          zLoss: rng() < 0.3 ? 1e-4 : 0,
          ignoreFraction: rng() < 0.3 ? 0.2 : 0,
        };
        runIndexCase(c);
        runProbCase({ ...c, smoothingMode: "uniform", weights: c.weights === "target" ? "none" : c.weights });
      }
    }
  });

  it("large K: 32000, 65537 and 131072", () => {
    for (const [n, k] of [
      [3, 32000],
      [2, 65537],
      [2, 131072],
    ] as const) {
      for (const reduction of ["mean", "sum"] as const) {
        runIndexCase({ ...base, n, k, reduction, smoothing: 0.1, seed: n * k });
        runIndexCase({ ...base, n, k, reduction, smoothing: 0.1, weights: "pytorch", smoothingMode: "others", seed: n * k + 1 });
        runProbCase({ ...base, n, k, reduction, smoothing: 0.1, seed: n * k + 2 });
      }
      // uniform and smoothed one-hot targets, with and without weights: K equal values that a long f32
      // lane sum would round the same way each time (the probability pass sums groups into f64)
      if (k !== 131072) continue;
      const z = randomLogits(mulberry32(k), n, k, 3, 0);
      const uniform = new Float32Array(n * k).fill(1 / k);
      const smoothed = new Float32Array(n * k).fill(0.1 / k);
      for (let r = 0; r < n; r++) smoothed[r * k + ((r * 7919) % k)]! += 0.9;
      const w = weightsFor(mulberry32(k + 1), k);
      for (const t of [uniform, smoothed]) {
        for (const extra of [{}, { classWeights: w }]) {
          const o = { classes: k, reduction: "sum" as const, smoothing: 0.1, ...extra };
          const got = call(z, t, o, false),
            want = ref.crossEntropy(z, t, o);
          expectLoss(got.loss as number, want.loss as number, `K=${k} ${t === uniform ? "uniform" : "smoothed"}`);
          expectGrad(got.grad!, want.grad!, 1, `K=${k} ${t === uniform ? "uniform" : "smoothed"} ${Object.keys(extra)}`);
        }
      }
    }
  });

  it("many rows with large S: the block product of S restarts before it overflows", () => {
    // Without weights and per-row losses, the deferred logs are taken as log Π S over blocks of up to 64
    // rows (two interleaved products of 32 in the SIMD builds); equal logits make every S = K, and
    // 131072^64 ≈ 1e327 would overflow the scalar build's product without the restart (at 1e289).
    const n = 70,
      k = 131072;
    const z = new Float32Array(n * k).fill(0.25);
    const y = Int32Array.from({ length: n }, (_, r) => (r * 7) % k);
    for (const smoothing of [0, 0.1]) {
      const got = crossEntropy(z, y, { classes: k, smoothing });
      expectLoss(got.loss as number, Math.log(k), `mean loss, ε=${smoothing}`);
      const sum = crossEntropy(z, y, { classes: k, smoothing, reduction: "sum" });
      expectLoss(sum.loss as number, n * Math.log(k), `summed loss, ε=${smoothing}`);
    }
  });

  it("extreme logits: scale 1e4, offsets ±1e7, K up to 131072", () => {
    let seed = 20000;
    for (const [n, k] of [
      [4, 3],
      [4, 10],
      [3, 1000],
      [2, 32000],
      [1, 131072],
    ] as const) {
      for (const [scale, offset] of [
        [1e4, 0],
        [1, 1e7],
        [1, -1e7],
        [100, 1e7],
        [1e4, -1e7],
      ] as const) {
        for (const smoothing of [0, 0.1]) {
          runIndexCase({ ...base, n, k, scale, offset, smoothing, reduction: "sum", seed: seed++ });
          runIndexCase({
            ...base,
            n,
            k,
            scale,
            offset,
            smoothing,
            reduction: "mean",
            smoothingMode: "others",
            weights: "target",
            zLoss: 1e-9,
            seed: seed++,
          });
          runProbCase({ ...base, n, k, scale, offset, smoothing, reduction: "sum", seed: seed++ });
        }
      }
    }
  });

  it("masked classes (−Infinity), including masked targets and fully masked rows", () => {
    let seed = 30000;
    for (const k of [1, 2, 5, 8, 33, 1000]) {
      for (const maskFraction of [0.1, 0.5, 0.9]) {
        for (const weights of ["none", "pytorch", "target"] as const) {
          for (const smoothingMode of ["uniform", "others"] as const) {
            runIndexCase({ ...base, n: 12, k, maskFraction, weights, smoothingMode, reduction: "none", zLoss: 1e-3, seed: seed++ });
            runIndexCase({ ...base, n: 12, k, maskFraction, weights, smoothingMode, reduction: "sum", ignoreFraction: 0.2, seed: seed++ });
          }
          runProbCase({
            ...base,
            n: 12,
            k,
            maskFraction,
            weights: weights === "target" ? "none" : weights,
            reduction: "none",
            seed: seed++,
          });
        }
      }
    }
  });

  it("resident inputs with a separate gradOut: masked, NaN and +Infinity rows (caught from pass 2's sums)", () => {
    let seed = 40000;
    for (const k of [1, 3, 8, 33, 72, 1000]) {
      for (const maskFraction of [0, 0.2, 0.7]) {
        for (const weights of ["none", "pytorch", "target"] as const) {
          runIndexCase({ ...base, n: 10, k, maskFraction, weights, reduction: "none", zLoss: 1e-3, resident: true, seed: seed++ });
          runIndexCase({
            ...base,
            n: 10,
            k,
            maskFraction,
            weights,
            smoothingMode: "others",
            reduction: "mean",
            ignoreFraction: 0.2,
            resident: true,
            seed: seed++,
          });
          // no smoothing mass: pass 2 skips Σ (z − m) and pass 1 probes, out of place too
          runIndexCase({ ...base, n: 10, k, maskFraction, weights, smoothing: 0, reduction: "none", resident: true, seed: seed++ });
        }
        runProbCase({ ...base, n: 10, k, maskFraction, weights: "pytorch", reduction: "none", resident: true, seed: seed++ });
        runProbCase({ ...base, n: 10, k, maskFraction, reduction: "sum", resident: true, seed: seed++ });
      }
    }
    // NaN, +Infinity and a masked target, in the tile (K = 9) and on the row path (K = 77)
    for (const k of [9, 77]) {
      for (const smoothing of [0, 0.1]) {
        const n = 6;
        const z = randomLogits(mulberry32(4), n, k, 3, 0);
        z[1 * k + 4] = NaN;
        z[3 * k + 0] = Infinity;
        z[4 * k + 2] = -Infinity;
        const labels = new Int32Array([0, 1, 2, 3, 2, 8]); // row 4: masked target
        const got = call(z, labels, { classes: k, smoothing, reduction: "none" }, true);
        const want = ref.crossEntropy(z, labels, { classes: k, smoothing, reduction: "none" });
        expectLosses(got.loss as Float32Array, want.loss as Float64Array, `K=${k} ε=${smoothing}`);
        expectGrad(got.grad!, want.grad!, 1, `K=${k} ε=${smoothing}`);
        expect((got.loss as Float32Array)[4]).toBe(Infinity);
        expect((got.loss as Float32Array)[1]).toBeNaN();
        expect((got.loss as Float32Array)[3]).toBeNaN();
      }
    }
  });

  it("one confident class among near-zero logits (the f32 lane-sum trap), every path", () => {
    // An f32 lane that holds the dominant e = 1 rounds each tiny addend the same way; summing e that
    // way put S 1e-6 off — up to 3.4× the gradient bound with weights — before S moved to f64.
    for (const k of [10, 24, 38, 64, 300, 1000, 4000]) {
      for (const big of [9, 12, 14]) {
        const n = 8;
        const z = new Float32Array(n * k);
        for (let r = 0; r < n; r++) z[r * k + ((r * 7) % k)] = big;
        const y = Int32Array.from({ length: n }, (_, r) => (r * 3) % k);
        for (const extra of [{}, { classWeights: new Float32Array(k).fill(0.5) }, { smoothing: 0.1, smoothingMode: "others" as const }]) {
          const o = { classes: k, reduction: "sum" as const, ...extra };
          const got = call(z, y, o, false),
            want = ref.crossEntropy(z, y, o);
          expectLoss(got.loss as number, want.loss as number, `K=${k} z=${big}`);
          expectGrad(got.grad!, want.grad!, 1, `K=${k} z=${big} ${JSON.stringify(Object.keys(extra))}`);
          const res = call(z, y, o, true);
          expectGrad(res.grad!, want.grad!, 1, `resident K=${k} z=${big}`);
        }
        const p = ref.crossEntropy(z, new Float32Array(n * k).fill(1 / k), { classes: k, reduction: "sum" });
        const gp = call(z, new Float32Array(n * k).fill(1 / k), { classes: k, reduction: "sum" }, false);
        expectGrad(gp.grad!, p.grad!, 1, `probability targets K=${k} z=${big}`);
      }
    }
  });

  it("rows with a logit far above the rest, past the first 64 classes, or a whole raised tail: every option", () => {
    // The logits near a row's max decide its loss to 1e-6. A kernel that shifted by anything but the
    // row's max (e.g. the max of the first 64 logits, to save pass 1) rounds z − shift to half an f32
    // ulp of itself: 1.9e-6 at a distance of 32–64, which these rows catch (2.2× the loss bound and 1.9×
    // the gradient bound when measured).
    for (const k of [65, 100, 1000]) {
      for (const height of [5, 40, 63.9, 100, 1e4]) {
        const n = 24;
        const rng = mulberry32(k + Math.round(height));
        const z = new Float32Array(n * k);
        for (let e = 0; e < z.length; e++) z[e] = normal(rng);
        // two logits near the max, so that the rounding of each one's z − shift shows: at classes
        // 64 + … when there is room for two past the first 64; at K = 65 only class 64 is, so the pair
        // is (63, 64) on even rows, and odd rows raise class 64 alone
        const at = (r: number) => r * k + (k > 65 ? 64 + ((r * 37) % (k - 65)) : 63);
        for (let r = 0; r < n; r++) {
          if (k > 65 || r % 2 === 0) {
            z[at(r)]! += height;
            z[at(r) + 1] = z[at(r)]! + 0.25 + rng(); // the larger of the two, past the first 64
          } else {
            z[at(r) + 1]! += height + rng();
          }
        }
        // the last row: the whole tail past the first 64 raised
        for (let j = 64; j < k; j++) z[(n - 1) * k + j]! += height;
        // every row's largest logit is past the first 64 classes (the point of this test)
        for (let r = 0; r < n && height >= 40; r++) {
          let best = 0;
          for (let j = 1; j < k; j++) if (z[r * k + j]! > z[r * k + best]!) best = j;
          expect(best, `K=${k} row ${r}: argmax`).toBeGreaterThanOrEqual(64);
        }
        // the label: one spike, the other, one of the first 64, anywhere
        const y = Int32Array.from({ length: n }, (_, r) => [at(r) - r * k, at(r) + 1 - r * k, 3, (r * 11) % k][r % 4]!);
        const w = weightsFor(rng, k);
        const variants: Record<string, unknown>[] = [
          { smoothing: 0.1 },
          { smoothing: 0.2, smoothingMode: "others" },
          { smoothing: 0.1, classWeights: w },
          { smoothing: 0.1, classWeights: w, classWeightMode: "target" },
          { smoothing: 0.1, zLoss: 1e-3, reduction: "none" },
          { smoothing: 0, reduction: "none" },
          { smoothing: 0.1, reduction: "none" },
        ];
        for (const extra of variants) {
          const o = { classes: k, reduction: "sum" as const, ...extra };
          const want = ref.crossEntropy(z, y, o as never);
          for (const resident of [false, true]) {
            const got = call(z, y, o, resident);
            const what = `K=${k} height=${height} ${JSON.stringify(extra)} resident=${resident}`;
            if ((o as { reduction: string }).reduction === "none") expectLosses(got.loss as Float32Array, want.loss as Float64Array, what);
            else expectLoss(got.loss as number, want.loss as number, what);
            expectGrad(got.grad!, want.grad!, 1, what);
          }
        }
        const t = new Float32Array(n * k);
        for (let e = 0; e < t.length; e++) t[e] = rng();
        for (let r = 0; r < n; r++) {
          let sum = 0;
          for (let j = 0; j < k; j++) sum += t[r * k + j]!;
          for (let j = 0; j < k; j++) t[r * k + j]! /= sum;
        }
        const po = { classes: k, reduction: "sum" as const, smoothing: 0.1 };
        const pw = ref.crossEntropy(z, t, po);
        for (const resident of [false, true]) {
          const pg = call(z, t, po, resident);
          expectLoss(pg.loss as number, pw.loss as number, `probability targets K=${k} height=${height}`);
          expectGrad(pg.grad!, pw.grad!, 1, `probability targets K=${k} height=${height}`);
        }
      }
    }
  });

  it("NaN and +Infinity rows give NaN for that row only", () => {
    const k = 9,
      n = 6;
    const z = randomLogits(mulberry32(3), n, k, 3, 0);
    z[1 * k + 4] = NaN;
    z[3 * k + 0] = Infinity;
    z[4 * k + 2] = -Infinity;
    const labels = new Int32Array([0, 1, 2, 3, 5, 8]);
    const got = crossEntropy(z, labels, { classes: k, smoothing: 0.1, reduction: "none" });
    const want = ref.crossEntropy(z, labels, { classes: k, smoothing: 0.1, reduction: "none" });
    expectLosses(got.loss, want.loss as Float64Array);
    expectGrad(got.grad!, want.grad!, 1);
    const rowLoss = got.loss;
    expect(rowLoss[1]).toBeNaN();
    expect(rowLoss[3]).toBeNaN();
    expect(Number.isFinite(rowLoss[0]!) && Number.isFinite(rowLoss[4]!)).toBe(true);
  });

  it("grad: false gives the same loss and no gradient", () => {
    const rng = mulberry32(11);
    const z = randomLogits(rng, 33, 77, 3, 0);
    const y = randomLabels(rng, 33, 77, 0.1);
    const a = crossEntropy(z, y, { classes: 77, smoothing: 0.2, zLoss: 1e-3 });
    const b = crossEntropy(z, y, { classes: 77, smoothing: 0.2, zLoss: 1e-3, grad: false });
    const want = ref.crossEntropy(z, y, { classes: 77, smoothing: 0.2, zLoss: 1e-3 });
    expectLoss(b.loss, want.loss as number);
    expectGrad(a.grad!, want.grad!, gradScale("mean", y, 33, null, -100));
    expect(b.grad).toBeNull();
    expect(b.loss).toBe(a.loss);
  });

  it("gradOut: a separate array, and in place over the logits", () => {
    const rng = mulberry32(12);
    const z = randomLogits(rng, 9, 21, 3, 0);
    const y = randomLabels(rng, 9, 21, 0.2);
    const want = ref.crossEntropy(z, y, { classes: 21, smoothing: 0.1, reduction: "sum" });
    const out = new Float32Array(z.length);
    const r1 = crossEntropy(z, y, { classes: 21, smoothing: 0.1, reduction: "sum", gradOut: out });
    expect(r1.grad).toBe(out);
    expectGrad(out, want.grad!, 1);
    const zCopy = z.slice();
    const r2 = crossEntropy(zCopy, y, { classes: 21, smoothing: 0.1, reduction: "sum", gradOut: zCopy });
    expect(r2.grad).toBe(zCopy);
    expectGrad(zCopy, want.grad!, 1);
    expectLoss(r2.loss, want.loss as number);
  });
});
