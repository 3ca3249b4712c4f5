/**
 * linearCrossEntropy against the double-precision composition (src/reference/linear_cross_entropy.ts)
 * for every build: both weight layouts, bias, class weights (both modes), ignoreIndex, z-loss, every
 * reduction, several chunks per call, N = 0 and 1, odd D, V not a multiple of 4, D up to 4096 and V
 * up to 131072; accumulate, grad: false and resident buffers; and against crossEntropy applied to
 * materialised logits. Bars of docs/spec.md: loss ≤ 1e-5·max(1, |L|), each gradient's max absolute
 * error ≤ 2e-5 × that gradient's max |g|.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, backendInfo, linearCrossEntropy, crossEntropy, allocFloat32, allocInt32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { mulberry32, normal, randomLabels } from "../helpers/rng.js";
import { BUILDS } from "../helpers/builds.js";

const LOSS_TOL = 1e-5;
const GRAD_TOL = 2e-5;

function expectLossClose(a: number, r: number, what: string): void {
  const e = Math.abs(a - r) / Math.max(1, Math.abs(r));
  if (!(e <= LOSS_TOL)) expect.fail(`${what}: loss ${a} vs reference ${r} (relative error ${e.toExponential(2)})`);
}

function expectGradClose(a: ArrayLike<number> | null, r: ArrayLike<number> | null, what: string): void {
  expect(a, what).not.toBeNull();
  expect(a!.length, `${what} length`).toBe(r!.length);
  let maxRef = 0,
    worst = 0;
  for (let i = 0; i < r!.length; i++) maxRef = Math.max(maxRef, Math.abs(r![i]!));
  for (let i = 0; i < r!.length; i++) {
    const d = Math.abs(a![i]! - r![i]!);
    if (!(d <= GRAD_TOL * maxRef)) worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  if (worst > 0)
    expect.fail(`${what}: max abs error ${worst.toExponential(2)} > ${GRAD_TOL}·max|g| = ${(GRAD_TOL * maxRef).toExponential(2)}`);
}

interface Case {
  n: number;
  d: number;
  v: number;
  layout: "vd" | "dv";
  bias: boolean;
  weights: "none" | "pytorch" | "target";
  smoothing: number;
  smoothingMode: "uniform" | "others";
  reduction: "mean" | "sum" | "none";
  zLoss: number;
  ignoreFraction: number;
  chunkBytes?: number;
  seed: number;
}

/** Hidden N(0, 1), weight N(0, (2/√D)²): logits of ordinary size (standard deviation about 2). */
function data(c: Case) {
  const rng = mulberry32(c.seed);
  const hidden = new Float32Array(c.n * c.d);
  for (let e = 0; e < hidden.length; e++) hidden[e] = normal(rng);
  const weight = new Float32Array(c.v * c.d);
  const sd = 2 / Math.sqrt(c.d);
  for (let e = 0; e < weight.length; e++) weight[e] = sd * normal(rng);
  const labels = randomLabels(rng, c.n, c.v, c.ignoreFraction, -100);
  const bias = c.bias ? Float32Array.from({ length: c.v }, () => normal(rng)) : undefined;
  const classWeights = c.weights === "none" ? undefined : Float32Array.from({ length: c.v }, () => 0.1 + 3 * rng());
  const options = {
    classes: c.v,
    weightLayout: c.layout,
    smoothing: c.smoothing,
    smoothingMode: c.smoothingMode,
    reduction: c.reduction,
    zLoss: c.zLoss,
    ...(bias ? { bias } : {}),
    ...(classWeights ? { classWeights, classWeightMode: c.weights as "pytorch" | "target" } : {}),
  };
  return { hidden, weight, labels, options };
}

function compare(got: ReturnType<typeof linearCrossEntropy>, want: ref.LinearCrossEntropyResult, c: Case | string): void {
  const tag = typeof c === "string" ? c : JSON.stringify(c);
  if (want.loss instanceof Float64Array) {
    const l = got.loss as Float32Array;
    expect(l).toBeInstanceOf(Float32Array);
    expect(l.length).toBe(want.loss.length);
    for (let i = 0; i < l.length; i++) expectLossClose(l[i]!, want.loss[i]!, `${tag} row ${i}`);
  } else {
    expectLossClose(got.loss as number, want.loss, tag);
  }
  expectGradClose(got.gradHidden, want.gradHidden, `${tag} gradHidden`);
  expectGradClose(got.gradWeight, want.gradWeight, `${tag} gradWeight`);
  if (want.gradBias) expectGradClose(got.gradBias, want.gradBias, `${tag} gradBias`);
  else expect(got.gradBias).toBeNull();
}

function run(c: Case): void {
  const { hidden, weight, labels, options } = data(c);
  const got = linearCrossEntropy(hidden, weight, labels, { ...options, ...(c.chunkBytes ? { chunkBytes: c.chunkBytes } : {}) });
  compare(got, ref.linearCrossEntropy(hidden, weight, labels, options), c);
}

const base: Case = {
  n: 13,
  d: 7,
  v: 11,
  layout: "vd",
  bias: false,
  weights: "none",
  smoothing: 0,
  smoothingMode: "uniform",
  reduction: "mean",
  zLoss: 0,
  ignoreFraction: 0,
  seed: 1,
};

describe.each(BUILDS)("linearCrossEntropy parity — $name build", ({ name, simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().build).toBe(name);
  });

  it("every option combination, several chunks per call", () => {
    let seed = 10;
    for (const layout of ["vd", "dv"] as const) {
      for (const bias of [false, true]) {
        for (const weights of ["none", "pytorch", "target"] as const) {
          for (const [smoothing, smoothingMode] of [
            [0, "uniform"],
            [0.1, "uniform"],
            [0.2, "others"],
          ] as const) {
            for (const reduction of ["mean", "sum", "none"] as const) {
              for (const zLoss of [0, 1e-3]) {
                for (const ignoreFraction of [0, 0.3]) {
                  // 20 bytes = 5 rows of V = 11 per chunk: three chunks, the last one short
                  run({
                    ...base,
                    layout,
                    bias,
                    weights,
                    smoothing,
                    smoothingMode,
                    reduction,
                    zLoss,
                    ignoreFraction,
                    chunkBytes: 5 * 4 * 11,
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

  it("N = 0, N = 1, odd D, V not a multiple of 4, tile edges of the products", () => {
    let seed = 1000;
    const shapes: [number, number, number][] = [
      [0, 5, 7],
      [1, 1, 1],
      [1, 3, 5],
      [2, 1, 9],
      [5, 17, 13],
      [6, 8, 8],
      [7, 9, 17],
      [12, 33, 65],
      [25, 257, 31],
      [19, 100, 515],
    ];
    for (const [n, d, v] of shapes) {
      for (const layout of ["vd", "dv"] as const) {
        for (const reduction of ["mean", "sum", "none"] as const) {
          run({ ...base, n, d, v, layout, reduction, bias: true, smoothing: 0.1, zLoss: 1e-4, ignoreFraction: 0.2, seed: seed++ });
        }
      }
    }
  });

  it("large D (4096) and large V (131072), default and small chunks", () => {
    const cases: Partial<Case>[] = [
      { n: 3, d: 4096, v: 37 },
      { n: 7, d: 1031, v: 300, chunkBytes: 4 * 300 * 3 },
      { n: 2, d: 9, v: 131072 },
      { n: 4, d: 3, v: 131071, chunkBytes: 1 },
      { n: 40, d: 130, v: 2003 },
    ];
    let seed = 2000;
    for (const c of cases) {
      for (const layout of ["vd", "dv"] as const) {
        run({ ...base, ...c, layout, bias: true, weights: "pytorch", smoothing: 0.1, zLoss: 1e-4, ignoreFraction: 0.1, seed: seed++ });
      }
    }
  });

  it("classes masked by a −Infinity bias get no probability and zero gradients", () => {
    for (const layout of ["vd", "dv"] as const) {
      for (const smoothing of [0, 0.1]) {
        const c = { ...base, n: 10, d: 9, v: 30, layout, bias: true, smoothing, zLoss: 1e-3, seed: 81 };
        const { hidden, weight, labels, options } = data(c);
        for (let j = 0; j < 30; j += 4) options.bias![j] = -Infinity;
        for (let i = 0; i < labels.length; i++) if (labels[i]! % 4 === 0) labels[i] = labels[i]! + 1;
        const got = linearCrossEntropy(hidden, weight, labels, options);
        compare(got, ref.linearCrossEntropy(hidden, weight, labels, options), `masked ${layout} ε=${smoothing}`);
        for (let j = 0; j < 30; j += 4) expect(got.gradBias![j]).toBe(0);
      }
    }
  });

  it("every row ignored under 'mean': loss 0 and zero gradients (accumulate leaves the sums as they were)", () => {
    const { hidden, weight, labels, options } = data({ ...base, bias: true, seed: 7 });
    labels.fill(-100);
    const r = linearCrossEntropy(hidden, weight, labels, options);
    expect(r.loss).toBe(0);
    expect(r.gradHidden!.every((x) => x === 0)).toBe(true);
    expect(r.gradWeight!.every((x) => x === 0)).toBe(true);
    expect(r.gradBias!.every((x) => x === 0)).toBe(true);
    const gw = Float32Array.from({ length: weight.length }, (_, i) => i),
      gb = Float32Array.from({ length: 11 }, (_, i) => -i);
    const gw0 = gw.slice(),
      gb0 = gb.slice();
    linearCrossEntropy(hidden, weight, labels, { ...options, gradWeight: gw, gradBias: gb, accumulate: true });
    expect(gw).toEqual(gw0);
    expect(gb).toEqual(gb0);
  });

  it("accumulate adds into the given gradWeight / gradBias; gradHidden is overwritten", () => {
    for (const layout of ["vd", "dv"] as const) {
      const c = { ...base, n: 9, d: 10, v: 14, layout, bias: true, seed: 31 };
      const a = data(c),
        b = data({ ...c, seed: 32 });
      const ra = ref.linearCrossEntropy(a.hidden, a.weight, a.labels, a.options);
      const rb = ref.linearCrossEntropy(b.hidden, a.weight, b.labels, a.options);
      const gw = new Float32Array(140).fill(0.5),
        gb = new Float32Array(14).fill(-0.25),
        gh = new Float32Array(90).fill(7);
      linearCrossEntropy(a.hidden, a.weight, a.labels, { ...a.options, gradWeight: gw, gradBias: gb, gradHidden: gh, accumulate: true });
      const r = linearCrossEntropy(b.hidden, a.weight, b.labels, {
        ...a.options,
        gradWeight: gw,
        gradBias: gb,
        gradHidden: gh,
        accumulate: true,
      });
      expect(r.gradWeight).toBe(gw);
      expect(r.gradBias).toBe(gb);
      expect(r.gradHidden).toBe(gh);
      const wantW = ra.gradWeight!.map((x, i) => 0.5 + x + rb.gradWeight![i]!);
      const wantB = ra.gradBias!.map((x, i) => -0.25 + x + rb.gradBias![i]!);
      expectGradClose(gw, wantW, `${layout} accumulated gradWeight`);
      expectGradClose(gb, wantB, `${layout} accumulated gradBias`);
      expectGradClose(gh, rb.gradHidden, `${layout} gradHidden (second call only)`);
      // without accumulate the given arrays are overwritten
      linearCrossEntropy(b.hidden, a.weight, b.labels, { ...a.options, gradWeight: gw, gradBias: gb });
      expectGradClose(gw, rb.gradWeight, `${layout} overwritten gradWeight`);
      expectGradClose(gb, rb.gradBias, `${layout} overwritten gradBias`);
    }
  });

  it("grad: false gives the same loss and no gradients", () => {
    for (const reduction of ["mean", "sum", "none"] as const) {
      const { hidden, weight, labels, options } = data({ ...base, n: 20, d: 12, v: 50, reduction, bias: true, zLoss: 1e-3, seed: 41 });
      const r = linearCrossEntropy(hidden, weight, labels, { ...options, grad: false, chunkBytes: 4 * 50 * 7 });
      expect(r.gradHidden).toBeNull();
      expect(r.gradWeight).toBeNull();
      expect(r.gradBias).toBeNull();
      const want = ref.linearCrossEntropy(hidden, weight, labels, options).loss;
      if (want instanceof Float64Array) {
        const l = r.loss as Float32Array;
        expect(l.length).toBe(want.length);
        for (let i = 0; i < l.length; i++) expectLossClose(l[i]!, want[i]!, `grad false, row ${i}`);
      } else {
        expectLossClose(r.loss as number, want, `grad false ${reduction}`);
      }
    }
  });

  it("resident inputs and outputs are used in place and give the copying API's answer", () => {
    for (const layout of ["vd", "dv"] as const) {
      const { hidden, weight, labels, options } = data({ ...base, n: 15, d: 6, v: 23, layout, bias: true, seed: 51 });
      const copied = linearCrossEntropy(hidden, weight, labels, options);
      const hb = allocFloat32(hidden.length),
        wb = allocFloat32(weight.length),
        yb = allocInt32(labels.length),
        bb = allocFloat32(23);
      const ghb = allocFloat32(hidden.length),
        gwb = allocFloat32(weight.length),
        gbb = allocFloat32(23);
      try {
        hb.view.set(hidden);
        wb.view.set(weight);
        yb.view.set(labels);
        bb.view.set(options.bias!);
        const r = linearCrossEntropy(hb, wb, yb, { ...options, bias: bb, gradHidden: ghb, gradWeight: gwb, gradBias: gbb });
        expect(r.gradHidden).toBe(ghb.view);
        expect(r.gradWeight).toBe(gwb.view);
        expect(r.gradBias).toBe(gbb.view);
        expect(r.loss).toBe(copied.loss);
        expect(ghb.view).toEqual(copied.gradHidden);
        expect(gwb.view).toEqual(copied.gradWeight);
        expect(gbb.view).toEqual(copied.gradBias);
        expect(hb.view).toEqual(hidden);
        expect(wb.view).toEqual(weight);
      } finally {
        for (const b of [hb, wb, yb, bb, ghb, gwb, gbb]) b.release();
      }
    }
  });

  // (V > 72: the loss kernel's small-K path puts four rows across the lanes, so there a row's last bits
  // depend on which rows share its chunk; the chunk size is fixed by V and the byte budget alone.)
  it("the chunk size changes no row's result: gradHidden is bitwise the same for any chunk", () => {
    const { hidden, weight, labels, options } = data({
      ...base,
      n: 31,
      d: 20,
      v: 100,
      bias: true,
      smoothing: 0.1,
      ignoreFraction: 0.2,
      seed: 61,
    });
    const whole = linearCrossEntropy(hidden, weight, labels, { ...options, reduction: "none" });
    for (const chunkBytes of [1, 4 * 100 * 4, 4 * 100 * 6, 4 * 100 * 30]) {
      const r = linearCrossEntropy(hidden, weight, labels, { ...options, reduction: "none", chunkBytes });
      expect(r.gradHidden).toEqual(whole.gradHidden);
      expect(r.loss).toEqual(whole.loss);
    }
  });

  it("matches crossEntropy applied to the materialised logits", () => {
    for (const layout of ["vd", "dv"] as const) {
      for (const reduction of ["mean", "sum", "none"] as const) {
        const c = {
          ...base,
          n: 17,
          d: 24,
          v: 45,
          layout,
          reduction,
          bias: true,
          weights: "target" as const,
          smoothing: 0.1,
          zLoss: 1e-3,
          ignoreFraction: 0.2,
          seed: 71,
        };
        const { hidden, weight, labels, options } = data(c);
        const got = linearCrossEntropy(hidden, weight, labels, { ...options, chunkBytes: 4 * 45 * 6 });
        // logits in f64, rounded to f32, through the library's own crossEntropy
        const z = new Float32Array(c.n * c.v);
        for (let i = 0; i < c.n; i++)
          for (let j = 0; j < c.v; j++) {
            let s = options.bias![j]!;
            for (let k = 0; k < c.d; k++) s += hidden[i * c.d + k]! * weight[layout === "vd" ? j * c.d + k : k * c.v + j]!;
            z[i * c.v + j] = s;
          }
        const ce = crossEntropy(z, labels, {
          classes: c.v,
          smoothing: 0.1,
          reduction,
          zLoss: 1e-3,
          classWeights: options.classWeights,
          classWeightMode: "target",
        });
        const G = ce.grad!;
        const gh = new Float64Array(c.n * c.d),
          gw = new Float64Array(c.v * c.d),
          gb = new Float64Array(c.v);
        for (let i = 0; i < c.n; i++)
          for (let j = 0; j < c.v; j++) {
            const g = G[i * c.v + j]!;
            gb[j]! += g;
            for (let k = 0; k < c.d; k++) {
              gh[i * c.d + k]! += g * weight[layout === "vd" ? j * c.d + k : k * c.v + j]!;
              gw[layout === "vd" ? j * c.d + k : k * c.v + j]! += g * hidden[i * c.d + k]!;
            }
          }
        const loss = ce.loss instanceof Float32Array ? Float64Array.from(ce.loss) : ce.loss;
        compare(got, { loss, gradHidden: gh, gradWeight: gw, gradBias: gb }, `materialised ${layout} ${reduction}`);
      }
    }
  });
});
