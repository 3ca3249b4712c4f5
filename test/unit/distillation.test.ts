/**
 * distillation (docs/spec.md "distillation"): parity with the double-precision reference on both builds, known values
 * computed here by closed form, masking / non-finite rules, in-place and resident operands, and every
 * bad input rejected with the right error class and message, followed by a correct valid call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initSync, distillation, allocFloat32, allocInt32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses, gradError, lossError } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

type Red = "mean" | "sum" | "none";
const REDUCTIONS: Red[] = ["mean", "sum", "none"];
const worst: Record<string, { loss: number; grad: number }> = {};

function record(build: string, lossErr: number, gradErr: number): void {
  const w = (worst[build] ??= { loss: 0, grad: 0 });
  w.loss = Math.max(w.loss, lossErr);
  w.grad = Math.max(w.grad, gradErr);
}

afterAll(() => {
  for (const [b, w] of Object.entries(worst)) {
    console.log(
      `distillation ${b}: max relative loss error ${w.loss.toExponential(2)}, max gradient error ${(w.grad * 5e-7).toExponential(2)}·max(1, max|g|)`,
    );
  }
});

interface Case {
  n: number;
  k: number;
  scale: number;
  offset: number;
  T: number;
  alpha?: number;
  labels: boolean;
  smoothing?: number;
  mode?: "uniform" | "others";
  ignore?: number;
}

const CASES: Case[] = [
  { n: 0, k: 5, scale: 3, offset: 0, T: 2, labels: true },
  { n: 0, k: 5, scale: 3, offset: 0, T: 2, labels: false },
  { n: 7, k: 1, scale: 3, offset: 0, T: 1, labels: true, smoothing: 0.1 },
  { n: 9, k: 1, scale: 3, offset: 0, T: 3, labels: false },
  { n: 16, k: 10, scale: 3, offset: 0, T: 1, labels: false },
  { n: 16, k: 10, scale: 3, offset: 0, T: 4, labels: true, smoothing: 0.1, ignore: 0.2 },
  { n: 13, k: 3, scale: 3, offset: 0, T: 2, alpha: 0.3, labels: true, mode: "others", smoothing: 0.2 },
  { n: 11, k: 37, scale: 3, offset: 0, T: 0.5, alpha: 0, labels: true, smoothing: 0.1 },
  { n: 11, k: 37, scale: 3, offset: 0, T: 1, alpha: 0.7, labels: true, smoothing: 0.1, mode: "others" },
  { n: 6, k: 1003, scale: 3, offset: 0, T: 2, alpha: 0.5, labels: true, smoothing: 0.1, ignore: 0.3 },
  { n: 3, k: 32000, scale: 3, offset: 0, T: 1, alpha: 0.5, labels: true, smoothing: 0.1 },
  { n: 2, k: 32003, scale: 3, offset: 0, T: 4, labels: false },
  { n: 10, k: 19, scale: 1e4, offset: 0, T: 2, alpha: 0.5, labels: true, smoothing: 0.1 },
  { n: 10, k: 19, scale: 1e4, offset: 1e7, T: 1, labels: false },
  { n: 10, k: 21, scale: 3, offset: -1e7, T: 3, alpha: 0.4, labels: true },
];

function optionsOf(c: Case, labels: Int32Array, reduction: Red) {
  return {
    classes: c.k,
    temperature: c.T,
    reduction,
    ...(c.alpha !== undefined ? { alpha: c.alpha } : {}),
    ...(c.labels ? { labels } : {}),
    ...(c.labels && c.smoothing !== undefined ? { smoothing: c.smoothing } : {}),
    ...(c.labels && c.mode !== undefined ? { smoothingMode: c.mode } : {}),
  };
}

/** Rows counted by 'mean' (its gradient scale). */
function countRows(c: Case, labels: Int32Array): number {
  if (!c.labels) return c.n;
  let n = 0;
  for (const y of labels) if (y !== -100) n++;
  return n;
}

describe.each(BUILDS)("distillation, $name build", ({ name, simd }) => {
  beforeAll(() => initSync({ simd }));

  it.each(CASES.map((c, i) => [i, c] as const))("matches the reference: case %i", (i, c) => {
    const rng = mulberry32(1000 + i);
    const s = randomLogits(rng, c.n, c.k, c.scale, c.offset);
    // Teacher: a perturbed student for half the cases (small KL), independent for the rest.
    const t = i % 2 ? randomLogits(rng, c.n, c.k, c.scale, c.offset) : s.map((v) => v + 0.3 * c.scale * (rng() - 0.5));
    const labels = randomLabels(rng, c.n, c.k, c.ignore ?? 0);
    const nRows = countRows(c, labels);
    for (const reduction of REDUCTIONS) {
      const o = optionsOf(c, labels, reduction);
      const a = distillation(s, t, o);
      const r = ref.distillation(s, t, o);
      if (reduction === "none") {
        expectLosses(a.loss as Float32Array, r.loss as Float64Array);
        let e = 0;
        (r.loss as Float64Array).forEach((v, j) => (e = Math.max(e, lossError((a.loss as Float32Array)[j]!, v))));
        record(name, e, 0);
      } else {
        expectLoss(a.loss as number, r.loss as number);
        record(name, lossError(a.loss as number, r.loss as number), 0);
      }
      const scale = reduction === "mean" ? 1 / Math.max(1, nRows) : 1;
      expectGrad(a.grad!, r.grad!, scale);
      if (reduction === "sum") record(name, 0, gradError(a.grad!, r.grad!, 1));
    }
  });

  it("one confident class among near-zero logits (the f32 lane-sum trap), every pass", () => {
    // A long f32 lane sum that holds the dominant e = 1 rounds every tiny addend the same way: the
    // student and teacher sums were once flushed every 256 elements, 8× over the gradient bound here.
    for (const k of [300, 1000, 4000]) {
      for (const big of [9, 12]) {
        const n = 8;
        const s = new Float32Array(n * k),
          t = new Float32Array(n * k);
        for (let r = 0; r < n; r++) {
          s[r * k + ((r * 7) % k)] = big;
          t[r * k + ((r * 3) % k)] = big - 1;
        }
        const labels = Int32Array.from({ length: n }, (_, r) => (r * 3) % k);
        for (const T of [1, 2]) {
          for (const o of [
            { classes: k, temperature: T, reduction: "sum" as const },
            { classes: k, temperature: T, alpha: 0.5, labels, reduction: "sum" as const },
          ]) {
            const a = distillation(s, t, o),
              r = ref.distillation(s, t, o);
            const what = `K = ${k}, z = ${big}, T = ${T}, α = ${"alpha" in o ? o.alpha : 1}`;
            expectLoss(a.loss as number, r.loss as number, what);
            expectGrad(a.grad!, r.grad!, T, what); // distillation's bound: 5e-7·max(T, max|g|) (README)
          }
        }
      }
    }
  });

  it("KL of identical distributions is 0, with a zero gradient", () => {
    const rng = mulberry32(7);
    for (const k of [1, 4, 10, 1001]) {
      const z = randomLogits(rng, 5, k, 3, 0);
      for (const T of [1, 2.5]) {
        const { loss, grad } = distillation(z, z.slice(), { classes: k, temperature: T });
        expect(Math.abs(loss)).toBeLessThan(1e-12);
        for (const g of grad!) expect(Math.abs(g)).toBeLessThan(1e-12);
      }
    }
  });

  it("a 2-class case by closed form, with T² and the batch mean", () => {
    // student logits (0, 0) → ps = (½, ½); teacher (2·ln 3, 0) at T = 2 → pt = (¾, ¼).
    const s = new Float32Array([0, 0, 0, 0]);
    const t = new Float32Array([2 * Math.log(3), 0, 2 * Math.log(3), 0]);
    const kl = 0.75 * Math.log(0.75 / 0.5) + 0.25 * Math.log(0.25 / 0.5);
    const { loss, grad } = distillation(s, t, { classes: 2, temperature: 2 });
    expect(loss).toBeCloseTo(4 * kl, 6); // T² = 4, mean over 2 identical rows
    // α·T·(ps − pt)/n = 2·(½ − ¾)/2 = −0.25, and +0.25
    expect(grad![0]).toBeCloseTo(-0.25, 6);
    expect(grad![1]).toBeCloseTo(0.25, 6);
    const sum = distillation(s, t, { classes: 2, temperature: 2, reduction: "sum" });
    expect(sum.loss).toBeCloseTo(8 * kl, 6);
    expect(sum.grad![0]).toBeCloseTo(-0.5, 6);
  });

  it("large T: T²·KL stays accurate (once K4: relative error 1.14e-6 at T = 7.84)", () => {
    // KL is O(1/T²) while log Ss, log St and Σ pt·(b − a) are O(1/T): the kernel must not form it by
    // their difference. Parity with the reference at several large T, then the T → ∞ limit: for two
    // classes with logit gaps x (student) and y (teacher), T²·KL → (x − y)²/8 and the gradient → ±(x − y)/4.
    const s = new Float32Array([6.2369842529296875, 0]);
    const t = new Float32Array([0, -7.119106292724609]);
    for (const T of [7.843784332275391, 20, 50, 100, 1000]) {
      for (const reduction of ["mean", "sum"] as const) {
        const o = { classes: 2, temperature: T, reduction };
        const a = distillation(s, t, o),
          r = ref.distillation(s, t, o);
        expectLoss(a.loss, r.loss as number, `T = ${T}`);
        expectGrad(a.grad!, r.grad!, 1, `T = ${T}`);
      }
    }
    const x = s[0]! - s[1]!,
      y = t[0]! - t[1]!;
    const { loss, grad } = distillation(s, t, { classes: 2, temperature: 1e5 });
    expect(Math.abs(loss - (x - y) ** 2 / 8)).toBeLessThan(1e-6);
    expect(Math.abs(grad![0]! - (x - y) / 4)).toBeLessThan(5e-7);
    expect(Math.abs(grad![1]! + (x - y) / 4)).toBeLessThan(5e-7);
    // Many classes, a teacher close to the student (small KL, the hardest cancellation), wide logits.
    const rng = mulberry32(4242);
    for (const [k, scale] of [
      [10, 3],
      [1000, 3],
      [37, 1e4],
    ] as const) {
      const st = randomLogits(rng, 4, k, scale, 0);
      const te = st.map((v) => v + 0.1 * scale * (rng() - 0.5));
      for (const T of [4, 20, 100]) {
        const o = { classes: k, temperature: T, reduction: "sum" as const };
        const a = distillation(st, te, o),
          r = ref.distillation(st, te, o);
        expectLoss(a.loss, r.loss as number, `K = ${k}, scale ${scale}, T = ${T}`);
        expectGrad(a.grad!, r.grad!, 1, `K = ${k}, scale ${scale}, T = ${T}`);
      }
    }
  });

  it("α = 0.5 mixes in the label cross-entropy, and ignored rows are left out of both terms", () => {
    // One row: student (0, 0), teacher (ln 3, 0), label 0; the second row is ignored.
    const s = new Float32Array([0, 0, 5, -5]);
    const t = new Float32Array([Math.log(3), 0, -5, 5]);
    const labels = new Int32Array([0, -100]);
    const kl = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
    const ce = Math.log(2);
    const { loss, grad } = distillation(s, t, { classes: 2, labels, alpha: 0.5 });
    expect(loss).toBeCloseTo(0.5 * kl + 0.5 * ce, 6);
    // 0.5·(½ − ¾) + 0.5·(½ − 1) = −0.375
    expect(grad![0]).toBeCloseTo(-0.375, 6);
    expect(grad![1]).toBeCloseTo(0.375, 6);
    expect([...grad!.subarray(2)]).toEqual([0, 0]);
    const all = distillation(s, t, { classes: 2, labels: new Int32Array([-100, -100]) });
    expect(all.loss).toBe(0);
    expect([...all.grad!]).toEqual([0, 0, 0, 0]);
  });

  it("masked classes and non-finite rows follow the reference's rules", () => {
    const I = Infinity;
    const s = new Float32Array([0, -I, 1, /**/ 0, -I, 1, /**/ NaN, 0, 1, /**/ 2, 0, 1, /**/ 1, 2, 3]);
    const t = new Float32Array([1, -I, 0, /**/ 1, 2, 0, /**/ 0, 1, 2, /**/ 0, I, 1, /**/ -I, -I, -I]);
    const labels = new Int32Array([0, 2, 1, 0, 1]);
    for (const reduction of REDUCTIONS) {
      for (const alpha of [1, 0.5, 0]) {
        const o = { classes: 3, labels, alpha, reduction, temperature: 2 };
        const a = distillation(s, t, o);
        const r = ref.distillation(s, t, o);
        if (reduction === "none") expectLosses(a.loss as Float32Array, r.loss as Float64Array);
        else expectLoss(a.loss as number, r.loss as number);
        expectGrad(a.grad!, r.grad!, reduction === "mean" ? 1 / 5 : 1);
      }
    }
    const rows = distillation(s, t, { classes: 3, labels, reduction: "none", temperature: 2 }).loss;
    expect(Number.isFinite(rows[0]!)).toBe(true); // masked in both: contributes 0
    expect(rows[1]).toBe(Infinity); // teacher mass on a class the student masks
    expect(rows[2]).toBeNaN(); // NaN student
    expect(rows[3]).toBeNaN(); // +Infinity teacher
    expect(rows[4]).toBeNaN(); // teacher with every class masked
  });

  it("grad: false, gradOut in place, and resident buffers give the same answer", () => {
    const rng = mulberry32(99);
    const n = 12,
      k = 23;
    const s = randomLogits(rng, n, k),
      t = randomLogits(rng, n, k),
      labels = randomLabels(rng, n, k, 0.2);
    const o = { classes: k, labels, temperature: 3, smoothing: 0.05 };
    const base = distillation(s, t, o);
    const r = ref.distillation(s, t, o);
    // The reference judges every path; the paths also agree with each other exactly (one kernel).
    // Gradient bound: 5e-7·max(T, max|g|) under 'sum', rescaled by 1/n (n = rows not ignored).
    const scale = Math.max(1, o.temperature) / Math.max(1, labels.filter((y) => y !== -100).length);
    const judge = (loss: number, grad: ArrayLike<number> | null, what: string) => {
      expectLoss(loss, r.loss as number, `${what}: loss`);
      if (grad) expectGrad(grad, r.grad!, scale, `${what}: grad`);
    };
    judge(base.loss, base.grad, "copy");
    const noGrad = distillation(s, t, { ...o, grad: false });
    judge(noGrad.loss, null, "grad: false");
    expect(noGrad).toEqual({ loss: base.loss, grad: null });
    const copy = s.slice();
    const inPlace = distillation(copy, t, { ...o, gradOut: copy });
    expect(inPlace.grad).toBe(copy);
    judge(inPlace.loss, copy, "in place");
    expect([...copy]).toEqual([...base.grad!]);
    const sb = allocFloat32(n * k),
      tb = allocFloat32(n * k),
      yb = allocInt32(n),
      gb = allocFloat32(n * k);
    sb.view.set(s);
    tb.view.set(t);
    yb.view.set(labels);
    const res = distillation(sb, tb, { ...o, labels: yb, gradOut: gb });
    judge(res.loss, gb.view, "resident");
    expect(res.loss).toBe(base.loss);
    expect([...gb.view]).toEqual([...base.grad!]);
    const resIn = distillation(sb, tb, { ...o, labels: yb, gradOut: sb });
    judge(resIn.loss, sb.view, "resident in place");
    expect([...sb.view]).toEqual([...base.grad!]);
    expect(resIn.loss).toBe(base.loss);
    for (const b of [sb, tb, yb, gb]) b.release();
  });
});

describe("distillation rejects bad input, then works", () => {
  beforeAll(() => initSync());
  const s = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = new Float32Array([3, 2, 1, 0, 1, 2]);
  const y = new Int32Array([0, 2]);
  const CASES: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ["options missing", () => distillation(s, t, undefined as never), TypeError, /options must be an object/],
    ["unknown option", () => distillation(s, t, { classes: 3, temprature: 2 } as never), RangeError, /unknown option 'temprature'/],
    [
      "student of a wrong type",
      () => distillation([1, 2, 3] as never, t, { classes: 3 }),
      TypeError,
      /student must be a Float32Array.*received Array\(3\)/,
    ],
    [
      "teacher of a wrong type",
      () => distillation(s, new Float64Array(6) as never, { classes: 3 }),
      TypeError,
      /teacher must be a Float32Array.*received Float64Array\(6\)/,
    ],
    ["teacher length", () => distillation(s, new Float32Array(3), { classes: 3 }), RangeError, /teacher.length must be 6.*received 3/],
    [
      "student not a multiple of K",
      () => distillation(s, t, { classes: 4 }),
      RangeError,
      /student.length = 6 is not a multiple of classes = 4/,
    ],
    ["temperature 0", () => distillation(s, t, { classes: 3, temperature: 0 }), RangeError, /temperature must be in \(0, .*received 0/],
    [
      "temperature string",
      () => distillation(s, t, { classes: 3, temperature: "2" as never }),
      TypeError,
      /temperature must be a number; received "2"/,
    ],
    [
      "alpha without labels",
      () => distillation(s, t, { classes: 3, alpha: 0.5 }),
      RangeError,
      /alpha must be 1 without labels.*received 0.5/,
    ],
    ["alpha > 1", () => distillation(s, t, { classes: 3, labels: y, alpha: 1.5 }), RangeError, /alpha must be in \[0, 1\]; received 1.5/],
    [
      "labels of a wrong type",
      () => distillation(s, t, { classes: 3, labels: new Float32Array(2) as never }),
      TypeError,
      /labels must be an? Int32Array/,
    ],
    [
      "labels length",
      () => distillation(s, t, { classes: 3, labels: new Int32Array(3) }),
      RangeError,
      /labels.length must be 2.*received 3/,
    ],
    [
      "label out of range",
      () => distillation(s, t, { classes: 3, labels: new Int32Array([0, 3]) }),
      RangeError,
      /labels\[1\] = 3 is out of range for classes = 3/,
    ],
    ["smoothing without labels", () => distillation(s, t, { classes: 3, smoothing: 0.1 }), RangeError, /smoothing needs options.labels/],
    [
      "ignoreIndex without labels",
      () => distillation(s, t, { classes: 3, ignoreIndex: -1 }),
      RangeError,
      /ignoreIndex needs options.labels/,
    ],
    [
      "smoothing > 1",
      () => distillation(s, t, { classes: 3, labels: y, smoothing: 2 }),
      RangeError,
      /smoothing must be in \[0, 1\]; received 2/,
    ],
    [
      "reduction unknown",
      () => distillation(s, t, { classes: 3, reduction: "batchmean" as never }),
      RangeError,
      /reduction must be one of 'mean', 'sum', 'none'; received 'batchmean'/,
    ],
    [
      "gradOut length",
      () => distillation(s, t, { classes: 3, gradOut: new Float32Array(5) }),
      RangeError,
      /gradOut.length must be 6.*received 5/,
    ],
    [
      "gradOut with grad: false",
      () => distillation(s, t, { classes: 3, grad: false, gradOut: new Float32Array(6) }),
      RangeError,
      /gradOut cannot be combined with grad: false/,
    ],
    ["gradOut over the teacher", () => distillation(s, t, { classes: 3, gradOut: t }), RangeError, /gradOut and teacher overlap/],
  ];
  it.each(CASES)("%s", (_what, bad, cls, msg) => {
    let err: unknown = null;
    try {
      bad();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).message).toMatch(msg);
    const o = { classes: 3, labels: y, temperature: 2, smoothing: 0.1 };
    const a = distillation(s, t, o);
    const r = ref.distillation(s, t, o);
    expectLoss(a.loss, r.loss as number);
    expectGrad(a.grad!, r.grad!, 1 / 2);
  });
});
