/**
 * sigmoidCrossEntropy (docs/spec.md "sigmoidCrossEntropy"): parity with the double-precision reference on both builds, known
 * values computed here (log 2 at x = 0, closed forms), the reference's non-finite rules, in-place and
 * resident operands, and every bad input rejected, followed by a correct valid call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initSync, sigmoidCrossEntropy, allocFloat32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses, gradError, lossError } from "../helpers/compare.js";
import { mulberry32, randomLogits } from "../helpers/rng.js";

type Red = "mean" | "sum" | "none";
const REDUCTIONS: Red[] = ["mean", "sum", "none"];
const worst: Record<string, { loss: number; grad: number }> = {};

afterAll(() => {
  for (const [b, w] of Object.entries(worst)) {
    console.log(
      `sigmoidCrossEntropy ${b}: max relative loss error ${w.loss.toExponential(2)}, max gradient error ${(w.grad * 5e-7).toExponential(2)}·max(1, max|g|)`,
    );
  }
});

/** Targets: a mix of hard 0/1 labels and soft probabilities. */
function randomTargets(rng: () => number, count: number): Float32Array {
  const t = new Float32Array(count);
  for (let e = 0; e < count; e++) t[e] = rng() < 0.5 ? (rng() < 0.5 ? 0 : 1) : rng();
  return t;
}

interface Case {
  n: number;
  k: number;
  scale: number;
  offset: number;
  smoothing: number;
  posWeight: boolean;
}
const CASES: Case[] = [
  { n: 0, k: 3, scale: 3, offset: 0, smoothing: 0, posWeight: false },
  { n: 0, k: 3, scale: 3, offset: 0, smoothing: 0.1, posWeight: true },
  { n: 37, k: 1, scale: 3, offset: 0, smoothing: 0, posWeight: false },
  { n: 64, k: 10, scale: 3, offset: 0, smoothing: 0.1, posWeight: true },
  { n: 33, k: 7, scale: 3, offset: 0, smoothing: 0.2, posWeight: false },
  { n: 5, k: 1001, scale: 3, offset: 0, smoothing: 0.1, posWeight: true },
  { n: 3, k: 32003, scale: 3, offset: 0, smoothing: 0.1, posWeight: false },
  { n: 2, k: 32000, scale: 30, offset: 0, smoothing: 0, posWeight: true },
  { n: 40, k: 9, scale: 1e4, offset: 0, smoothing: 0.1, posWeight: false },
  { n: 40, k: 9, scale: 1e4, offset: 0, smoothing: 0, posWeight: true },
  { n: 20, k: 6, scale: 1, offset: 1e7, smoothing: 0.1, posWeight: false },
  { n: 20, k: 6, scale: 1, offset: -1e7, smoothing: 0.1, posWeight: true },
  { n: 5000, k: 1, scale: 20, offset: 0, smoothing: 0.1, posWeight: false },
];

describe.each(BUILDS)("sigmoidCrossEntropy, $name build", ({ name, simd }) => {
  beforeAll(() => initSync({ simd }));

  it.each(CASES.map((c, i) => [i, c] as const))("matches the reference: case %i", (i, c) => {
    const rng = mulberry32(2000 + i);
    const count = c.n * c.k;
    const x = randomLogits(rng, c.n, c.k, c.scale, c.offset);
    const t = randomTargets(rng, count);
    const posWeight = c.posWeight ? new Float32Array(c.k).map(() => 4 * rng()) : undefined;
    for (const reduction of REDUCTIONS) {
      const o = { classes: c.k, smoothing: c.smoothing, reduction, ...(posWeight ? { posWeight } : {}) };
      const a = sigmoidCrossEntropy(x, t, o);
      const r = ref.sigmoidCrossEntropy(x, t, o);
      const w = (worst[name] ??= { loss: 0, grad: 0 });
      if (reduction === "none") {
        expectLosses(a.loss as Float32Array, r.loss as Float64Array);
        (r.loss as Float64Array).forEach((v, j) => (w.loss = Math.max(w.loss, lossError((a.loss as Float32Array)[j]!, v))));
      } else {
        expectLoss(a.loss as number, r.loss as number);
        w.loss = Math.max(w.loss, lossError(a.loss as number, r.loss as number));
      }
      expectGrad(a.grad!, r.grad!, reduction === "mean" ? 1 / Math.max(1, count) : 1);
      if (reduction === "sum") w.grad = Math.max(w.grad, gradError(a.grad!, r.grad!, 1));
    }
  });

  it("a few large losses among many tiny ones: the sum keeps every small term", () => {
    // A long f32 lane sum that holds a loss of 15 rounds each 6e-6 loss the same way (9.6e-7 relative
    // error here when the lanes were flushed every 256 elements, at the edge of the 1e-6 bound).
    for (const count of [1000, 100000]) {
      const x = new Float32Array(count).fill(-12),
        t = new Float32Array(count);
      for (let i = 0; i < count; i += 97) x[i] = 15;
      for (const reduction of ["sum", "mean"] as const) {
        const a = sigmoidCrossEntropy(x, t, { reduction }),
          r = ref.sigmoidCrossEntropy(x, t, { reduction });
        expect(lossError(a.loss as number, r.loss as number), `${count} ${reduction}`).toBeLessThan(1e-7);
      }
    }
  });

  it("is log 2 at x = 0 for any target, with gradient ½ − t", () => {
    const x = new Float32Array(9);
    const t = new Float32Array([0, 1, 0.5, 0.25, 0, 1, 0.75, 0.1, 0.9]);
    const { loss, grad } = sigmoidCrossEntropy(x, t, { reduction: "none" });
    for (let e = 0; e < 9; e++) {
      expect(loss[e]).toBeCloseTo(Math.LN2, 7);
      expect(grad![e]).toBeCloseTo(0.5 - t[e]!, 7);
    }
  });

  it("closed forms: large margins, smoothing toward ½, and PyTorch's pos_weight", () => {
    // x = 20, t = 1: loss = log(1 + e^−20) ≈ e^−20 (must not round to 0); x = −30, t = 1: loss ≈ 30.
    const a = sigmoidCrossEntropy(new Float32Array([20, -30, 2]), new Float32Array([1, 1, 0]), { reduction: "none" });
    expect(a.loss[0]! / Math.exp(-20)).toBeCloseTo(1, 5);
    expect(a.loss[1]).toBeCloseTo(30 + Math.log1p(Math.exp(-30)), 5);
    expect(a.loss[2]).toBeCloseTo(Math.log(1 + Math.exp(2)), 6);
    // ε = 0.2, t = 1 → t' = 0.9: loss(x=1) = −0.9·log σ(1) − 0.1·log(1 − σ(1))
    const sig1 = 1 / (1 + Math.exp(-1));
    const b = sigmoidCrossEntropy(new Float32Array([1]), new Float32Array([1]), { smoothing: 0.2 });
    expect(b.loss).toBeCloseTo(-0.9 * Math.log(sig1) - 0.1 * Math.log(1 - sig1), 6);
    expect(b.grad![0]).toBeCloseTo(sig1 - 0.9, 6);
    // pos_weight p = 3, t = 1, x = −1: loss = 3·log(1 + e), gradient = σ(−1)·3 − 3
    const c = sigmoidCrossEntropy(new Float32Array([-1, 0.5]), new Float32Array([1, 0]), {
      classes: 2,
      posWeight: new Float32Array([3, 5]),
      reduction: "sum",
    });
    expect(c.loss).toBeCloseTo(3 * Math.log(1 + Math.E) + Math.log(1 + Math.exp(0.5)), 5);
    expect(c.grad![0]).toBeCloseTo(3 * (1 - sig1) - 3, 6);
    expect(c.grad![1]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6); // t = 0: posWeight has no effect
  });

  it("a non-finite logit gives that element NaN loss and NaN gradient; the others are unaffected", () => {
    const I = Infinity;
    const x = new Float32Array([I, I, -I, -I, NaN, 0]);
    const t = new Float32Array([1, 0, 1, 0, 0.5, 1]);
    for (const posWeight of [undefined, new Float32Array([2, 0.5])]) {
      const o = { classes: 2, reduction: "none" as const, ...(posWeight ? { posWeight } : {}) };
      const a = sigmoidCrossEntropy(x, t, o);
      const r = ref.sigmoidCrossEntropy(x, t, o);
      expectLosses(a.loss, r.loss as Float64Array);
      expectGrad(a.grad!, r.grad!, 1);
      for (let e = 0; e < 5; e++) {
        expect(a.loss[e]).toBeNaN();
        expect(a.grad![e]).toBeNaN();
      }
      expect(a.loss[5]).toBeCloseTo((posWeight ? 0.5 : 1) * Math.log(2), 6); // x = 0, t = 1: p·log 2
      expect(Number.isFinite(a.grad![5]!)).toBe(true);
      expect(sigmoidCrossEntropy(x, t, { ...o, reduction: "sum" }).loss).toBeNaN();
    }
  });

  it("grad: false, gradOut in place, and resident buffers give the same answer", () => {
    const rng = mulberry32(5);
    const x = randomLogits(rng, 50, 3),
      t = randomTargets(rng, 150);
    const base = sigmoidCrossEntropy(x, t, { smoothing: 0.1 });
    // The reference judges every path ('mean' over 150 elements: the gradient bound rescaled by 1/150);
    // the paths also agree with each other exactly (one kernel).
    const r = ref.sigmoidCrossEntropy(x, t, { smoothing: 0.1 });
    const judge = (loss: number, grad: ArrayLike<number> | null, what: string) => {
      expectLoss(loss, r.loss as number, `${what}: loss`);
      if (grad) expectGrad(grad, r.grad!, 1 / 150, `${what}: grad`);
    };
    judge(base.loss, base.grad, "copy");
    const noGrad = sigmoidCrossEntropy(x, t, { smoothing: 0.1, grad: false });
    judge(noGrad.loss, null, "grad: false");
    expect(noGrad).toEqual({ loss: base.loss, grad: null });
    const copy = x.slice();
    const inPlace = sigmoidCrossEntropy(copy, t, { smoothing: 0.1, gradOut: copy });
    expect(inPlace.grad).toBe(copy);
    judge(inPlace.loss, copy, "in place");
    expect([...copy]).toEqual([...base.grad!]);
    const xb = allocFloat32(150),
      tb = allocFloat32(150);
    xb.view.set(x);
    tb.view.set(t);
    const res = sigmoidCrossEntropy(xb, tb, { smoothing: 0.1, gradOut: xb });
    judge(res.loss, xb.view, "resident in place");
    expect(res.loss).toBe(base.loss);
    expect([...xb.view]).toEqual([...base.grad!]);
    xb.release();
    tb.release();
  });
});

describe("sigmoidCrossEntropy rejects bad input, then works", () => {
  beforeAll(() => initSync());
  const x = new Float32Array([1, -2, 3, 0, 0.5, -1]);
  const t = new Float32Array([1, 0, 1, 0.5, 0, 1]);
  const CASES: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ["logits of a wrong type", () => sigmoidCrossEntropy([1] as never, t), TypeError, /logits must be a Float32Array.*received Array\(1\)/],
    [
      "targets of a wrong type",
      () => sigmoidCrossEntropy(x, new Int32Array(6) as never),
      TypeError,
      /targets must be a Float32Array.*received Int32Array\(6\)/,
    ],
    ["targets length", () => sigmoidCrossEntropy(x, new Float32Array(5)), RangeError, /targets.length must be 6.*received 5/],
    ["options not an object", () => sigmoidCrossEntropy(x, t, 3 as never), TypeError, /options must be an object.*received 3/],
    [
      "unknown option",
      () => sigmoidCrossEntropy(x, t, { pos_weight: new Float32Array(6) } as never),
      RangeError,
      /unknown option 'pos_weight'/,
    ],
    [
      "posWeight without classes",
      () => sigmoidCrossEntropy(x, t, { posWeight: new Float32Array(6) }),
      RangeError,
      /posWeight needs options.classes/,
    ],
    [
      "posWeight length",
      () => sigmoidCrossEntropy(x, t, { classes: 3, posWeight: new Float32Array(2) }),
      RangeError,
      /posWeight.length must be 3.*received 2/,
    ],
    [
      "posWeight negative",
      () => sigmoidCrossEntropy(x, t, { classes: 3, posWeight: new Float32Array([1, -1, 1]) }),
      RangeError,
      /posWeight\[1\] = -1/,
    ],
    [
      "length not a multiple of classes",
      () => sigmoidCrossEntropy(x, t, { classes: 4 }),
      RangeError,
      /logits.length = 6 is not a multiple of classes = 4/,
    ],
    ["smoothing < 0", () => sigmoidCrossEntropy(x, t, { smoothing: -0.1 }), RangeError, /smoothing must be in \[0, 1\]; received -0.1/],
    [
      "reduction unknown",
      () => sigmoidCrossEntropy(x, t, { reduction: "avg" as never }),
      RangeError,
      /reduction must be one of 'mean', 'sum', 'none'; received 'avg'/,
    ],
    [
      "grad not boolean",
      () => sigmoidCrossEntropy(x, t, { grad: "yes" as never }),
      TypeError,
      /grad must be true or false; received "yes"/,
    ],
    [
      "gradOut length",
      () => sigmoidCrossEntropy(x, t, { gradOut: new Float32Array(7) }),
      RangeError,
      /gradOut.length must be 6.*received 7/,
    ],
    ["gradOut over the targets", () => sigmoidCrossEntropy(x, t, { gradOut: t }), RangeError, /gradOut and targets overlap/],
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
    const o = { classes: 3, posWeight: new Float32Array([1, 2, 0.5]), smoothing: 0.1 };
    const a = sigmoidCrossEntropy(x, t, o);
    const r = ref.sigmoidCrossEntropy(x, t, o);
    expectLoss(a.loss, r.loss as number);
    expectGrad(a.grad!, r.grad!, 1 / 6);
  });
});
