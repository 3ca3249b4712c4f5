/**
 * calibration (docs/spec.md "calibration"): parity with the double-precision reference on both builds (uniform and
 * quantile bins, temperature, from: 'probabilities', masked and non-finite rows), known values computed
 * here, ECE of a perfectly calibrated synthetic set tending to 0, and bad inputs then a valid call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initSync, calibration, allocFloat32, allocInt32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { lossError } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

type Result = ReturnType<typeof calibration>;
const METRICS = ["ece", "mce", "brier", "nll", "accuracy", "confidence"] as const;
const TOL = 1e-6;
const worst: Record<string, number> = {};

afterAll(() => {
  for (const [b, w] of Object.entries(worst)) console.log(`calibration ${b}: max relative metric error ${w.toExponential(2)}`);
});

function expectMatch(a: Result, r: ref.CalibrationResult, build?: string): void {
  for (const m of METRICS) {
    const e = lossError(a[m], r[m]);
    if (!(e <= TOL)) expect.fail(`${m}: got ${a[m]}, reference ${r[m]} (error ${e})`);
    if (build) worst[build] = Math.max(worst[build] ?? 0, e);
  }
  expect(a.bins.length).toBe(r.bins.length);
  a.bins.forEach((b, i) => {
    const rb = r.bins[i]!;
    expect(b.count, `bin ${i} count`).toBe(rb.count);
    for (const f of ["lower", "upper", "accuracy", "confidence"] as const) {
      if (!(lossError(b[f], rb[f]) <= TOL)) expect.fail(`bin ${i} ${f}: got ${b[f]}, reference ${rb[f]}`);
    }
  });
}

interface Case {
  n: number;
  k: number;
  scale: number;
  offset: number;
  T?: number;
  bins?: number;
  binning?: "uniform" | "quantile";
  ignore?: number;
}
const CASES: Case[] = [
  { n: 0, k: 4, scale: 3, offset: 0 },
  { n: 0, k: 4, scale: 3, offset: 0, binning: "quantile" },
  { n: 20, k: 1, scale: 3, offset: 0 },
  { n: 400, k: 10, scale: 2, offset: 0, ignore: 0.1 },
  { n: 400, k: 10, scale: 2, offset: 0, binning: "quantile", bins: 10 },
  { n: 7, k: 10, scale: 2, offset: 0, binning: "quantile", bins: 15 },
  { n: 300, k: 37, scale: 3, offset: 0, T: 2.5, bins: 7 },
  { n: 200, k: 3, scale: 1, offset: 0, T: 0.5, bins: 1, binning: "quantile" },
  { n: 6, k: 32003, scale: 3, offset: 0, bins: 4 },
  { n: 50, k: 13, scale: 1e4, offset: 0 },
  { n: 50, k: 13, scale: 3, offset: 1e7, T: 3 },
  { n: 50, k: 13, scale: 3, offset: -1e7, binning: "quantile" },
];

describe.each(BUILDS)("calibration, $name build", ({ name, simd }) => {
  beforeAll(() => initSync({ simd }));

  it.each(CASES.map((c, i) => [i, c] as const))("matches the reference: case %i", (i, c) => {
    const rng = mulberry32(3000 + i);
    const z = randomLogits(rng, c.n, c.k, c.scale, c.offset);
    const y = randomLabels(rng, c.n, c.k, c.ignore ?? 0);
    // Make about half of the predictions right, so that accuracy and the gaps are not trivial.
    for (let i2 = 0; i2 < c.n; i2++) {
      if (y[i2] === -100 || rng() < 0.5) continue;
      let a = 0;
      for (let j = 1; j < c.k; j++) if (z[i2 * c.k + j]! > z[i2 * c.k + a]!) a = j;
      y[i2] = a;
    }
    const o = {
      classes: c.k,
      ...(c.T ? { temperature: c.T } : {}),
      ...(c.bins ? { bins: c.bins } : {}),
      ...(c.binning ? { binning: c.binning } : {}),
    };
    expectMatch(calibration(z, y, o), ref.calibration(z, y, o), name);
  });

  it("one confident class among near-zero logits (the f32 lane-sum trap)", () => {
    // nll and brier divide by and square the row sums; long f32 lane sums put them 3.6e-6 off here.
    for (const k of [300, 1000, 4000]) {
      for (const big of [9, 12]) {
        const n = 8;
        const z = new Float32Array(n * k);
        for (let r = 0; r < n; r++) z[r * k + ((r * 7) % k)] = big;
        const y = Int32Array.from({ length: n }, (_, r) => (r * 3) % k);
        expectMatch(calibration(z, y, { classes: k }), ref.calibration(z, y, { classes: k }), name);
      }
    }
  });

  it("from: 'probabilities' matches the reference", () => {
    const rng = mulberry32(31);
    const n = 300,
      k = 6;
    const p = ref.softmax(randomLogits(rng, n, k), { classes: k });
    const probs = Float32Array.from(p);
    const y = randomLabels(rng, n, k);
    for (const binning of ["uniform", "quantile"] as const) {
      const o = { classes: k, from: "probabilities" as const, binning, bins: 12 };
      expectMatch(calibration(probs, y, o), ref.calibration(probs, y, o), name);
    }
  });

  it("masked classes, a masked label and non-finite rows follow the reference", () => {
    const I = Infinity;
    const z = new Float32Array([0, -I, 2, /**/ 1, 2, -I, /**/ NaN, 0, 0, /**/ -I, -I, -I, /**/ 3, 1, 2]);
    const y = new Int32Array([2, 2, 0, 1, 0]);
    const okRows = new Float32Array([0, -I, 2, 3, 1, 2, 5, 5, -I]);
    const yOk = new Int32Array([2, 1, 0]);
    const a = calibration(okRows, yOk, { classes: 3 });
    expectMatch(a, ref.calibration(okRows, yOk, { classes: 3 }));
    const bad = calibration(z, y, { classes: 3 });
    const r = ref.calibration(z, y, { classes: 3 });
    expect(bad.nll).toBeNaN();
    expect(r.nll).toBeNaN();
    expect(bad.brier).toBeNaN();
    expect(bad.bins.map((b) => b.count)).toEqual(r.bins.map((b) => b.count));
    const inf = calibration(new Float32Array([1, -I, 0]), new Int32Array([1]), { classes: 3 });
    expect(inf.nll).toBe(Infinity); // the label's class is masked
  });

  it("a NaN row has no prediction: accuracy (overall and of its bin) is NaN, not a silent hit", () => {
    // row 0 is NaN with label 0 — its "first maximum" would be class 0, a hit if counted
    const z = new Float32Array([NaN, 0, 0, /**/ 2, 0, 0, /**/ 1, 1, 1]);
    const y = new Int32Array([0, 0, 1]);
    for (const binning of ["uniform", "quantile"] as const) {
      const got = calibration(z, y, { classes: 3, bins: 2, binning });
      const want = ref.calibration(z, y, { classes: 3, bins: 2, binning });
      expect(got.accuracy).toBeNaN();
      expect(want.accuracy).toBeNaN();
      expect(got.ece).toBeNaN();
      const nanBin = got.bins.findIndex((b) => Number.isNaN(b.confidence));
      expect(nanBin).toBeGreaterThanOrEqual(0);
      expect(got.bins[nanBin]!.accuracy).toBeNaN();
      expect(got.bins.map((b) => b.count)).toEqual(want.bins.map((b) => b.count));
      // the finite rows' bin is untouched
      const other = got.bins.find((b, i) => i !== nanBin && b.count > 0 && !Number.isNaN(b.confidence));
      if (other) expect(Number.isFinite(other.accuracy)).toBe(true);
    }
  });

  it("known values: a hand-computed 2-class set", () => {
    // Rows (logits): p = σ(z0 − z1) on class 0. Confidences 0.9 (right), 0.6 (wrong), 0.8 (right).
    const logit = (p: number) => Math.log(p / (1 - p));
    const z = new Float32Array([logit(0.9), 0, 0, logit(0.6), logit(0.8), 0]);
    const y = new Int32Array([0, 0, 0]);
    const c = calibration(z, y, { classes: 2, bins: 5 });
    // bins (0.4,0.6]: {0.6 wrong}, (0.6,0.8]: {0.8 right}, (0.8,1]: {0.9 right}
    expect(c.bins.map((b) => b.count)).toEqual([0, 0, 1, 1, 1]);
    expect(c.ece).toBeCloseTo((0.6 + 0.2 + 0.1) / 3, 6);
    expect(c.mce).toBeCloseTo(0.6, 6);
    expect(c.accuracy).toBeCloseTo(2 / 3, 12);
    expect(c.confidence).toBeCloseTo((0.9 + 0.6 + 0.8) / 3, 6);
    expect(c.brier).toBeCloseTo((2 * 0.1 ** 2 + 2 * 0.6 ** 2 + 2 * 0.2 ** 2) / 3, 6);
    expect(c.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.8)) / 3, 6);
    // Equal mass with 3 bins: one row each, edges at the row's own confidence.
    const q = calibration(z, y, { classes: 2, bins: 3, binning: "quantile" });
    expect(q.bins.map((b) => [b.lower, b.count])).toEqual([
      [q.bins[0]!.lower, 1],
      [q.bins[1]!.lower, 1],
      [q.bins[2]!.lower, 1],
    ]);
    expect(q.bins[0]!.lower).toBeCloseTo(0.6, 6);
    expect(q.bins[2]!.upper).toBeCloseTo(0.9, 6);
    expect(q.ece).toBeCloseTo((0.6 + 0.2 + 0.1) / 3, 6);
  });

  it("ECE of a perfectly calibrated synthetic set tends to 0", () => {
    const rng = mulberry32(8);
    const eceFor = (n: number): number => {
      const k = 5;
      const z = randomLogits(rng, n, k, 2);
      const p = ref.softmax(z, { classes: k });
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        // draw the label from the model's own distribution: calibrated by construction
        let u = rng(),
          j = 0;
        while (j < k - 1 && u >= p[i * k + j]!) u -= p[i * k + j++]!;
        y[i] = j;
      }
      return calibration(z, y, { classes: k }).ece;
    };
    const small = eceFor(200),
      large = eceFor(40000);
    expect(large).toBeLessThan(0.02);
    expect(large).toBeLessThan(small);
  });

  it("resident buffers give the same answer", () => {
    const rng = mulberry32(9);
    const z = randomLogits(rng, 40, 7),
      y = randomLabels(rng, 40, 7);
    const zb = allocFloat32(280),
      yb = allocInt32(40);
    zb.view.set(z);
    yb.view.set(y);
    const o = { classes: 7, temperature: 1.5 };
    const res = calibration(zb, yb, o),
      copy = calibration(z, y, o),
      r = ref.calibration(z, y, o);
    // the reference is the judge of each (temperature applied: compare with T = 1, which differs)
    expectMatch(res, r);
    expectMatch(copy, r);
    expect(lossError(res.nll, ref.calibration(z, y, { classes: 7 }).nll)).toBeGreaterThan(1e-3);
    expect(res).toEqual(copy);
    zb.release();
    yb.release();
  });
});

describe("calibration rejects bad input, then works", () => {
  beforeAll(() => initSync());
  const z = new Float32Array([2, 1, 0, 0, 1, 3]);
  const y = new Int32Array([0, 1]);
  const CASES: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ["options missing", () => calibration(z, y, undefined as never), TypeError, /options must be an object/],
    ["unknown option", () => calibration(z, y, { classes: 3, nbins: 10 } as never), RangeError, /unknown option 'nbins'/],
    [
      "logits of a wrong type",
      () => calibration(Array.from(z) as never, y, { classes: 3 }),
      TypeError,
      /logits must be a Float32Array.*received Array\(6\)/,
    ],
    [
      "labels of a wrong type",
      () => calibration(z, new Float32Array(2) as never, { classes: 3 }),
      TypeError,
      /labels must be an? Int32Array/,
    ],
    ["labels length", () => calibration(z, new Int32Array(1), { classes: 3 }), RangeError, /labels.length must be 2.*received 1/],
    [
      "label out of range",
      () => calibration(z, new Int32Array([0, 5]), { classes: 3 }),
      RangeError,
      /labels\[1\] = 5 is out of range for classes = 3/,
    ],
    ["bins 0", () => calibration(z, y, { classes: 3, bins: 0 }), RangeError, /bins must be an integer ≥ 1; received 0/],
    ["bins 2.5", () => calibration(z, y, { classes: 3, bins: 2.5 }), RangeError, /bins must be an integer ≥ 1; received 2.5/],
    ["bins string", () => calibration(z, y, { classes: 3, bins: "10" as never }), TypeError, /bins must be an integer ≥ 1; received "10"/],
    [
      "binning unknown",
      () => calibration(z, y, { classes: 3, binning: "equal-mass" as never }),
      RangeError,
      /binning must be one of 'uniform', 'quantile'; received 'equal-mass'/,
    ],
    [
      "from unknown",
      () => calibration(z, y, { classes: 3, from: "probs" as never }),
      RangeError,
      /from must be one of 'logits', 'probabilities'; received 'probs'/,
    ],
    ["temperature ≤ 0", () => calibration(z, y, { classes: 3, temperature: -1 }), RangeError, /temperature must be in \(0, .*received -1/],
    [
      "temperature with probabilities",
      () => calibration(z, y, { classes: 3, from: "probabilities", temperature: 2 }),
      RangeError,
      /temperature cannot be combined with from: 'probabilities'/,
    ],
    [
      "length not a multiple of classes",
      () => calibration(z, y, { classes: 4 }),
      RangeError,
      /logits.length = 6 is not a multiple of classes = 4/,
    ],
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
    const o = { classes: 3, bins: 4, temperature: 1.5 };
    expectMatch(calibration(z, y, o), ref.calibration(z, y, o));
  });
});
