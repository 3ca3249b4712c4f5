/**
 * Faults (docs/spec.md "Errors"): every validation error, thrown in the middle of a sequence of valid
 * calls, leaves the next call exactly right (bitwise equal to the result before the error); in-place
 * calls with a bad label leave the logits untouched; several worker_threads instances run
 * concurrently without interfering; a request larger than wasm32 can hold fails cleanly with a
 * RangeError and the instance keeps working. Both builds (the workers mix them).
 */
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import * as sx from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

const { allocFloat32, allocInt32, backendInfo, crossEntropy, initSync } = sx;
const F = (a: number[]) => new Float32Array(a);
const I = (a: number[]) => new Int32Array(a);
type Thunk = () => unknown;

/** A snapshot of everything a call returns, for bitwise comparison (Object.is on every number). */
function snapshot(x: unknown): unknown {
  if (x instanceof Float32Array || x instanceof Int32Array || x instanceof Float64Array) return Array.from(x);
  if (Array.isArray(x)) return x.map(snapshot);
  if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, snapshot(v)]));
  return x;
}

describe.each(BUILDS)("faults — $name build", ({ simd }) => {
  beforeAll(() => initSync({ simd }));

  const k = 5,
    n = 7;
  const rng = mulberry32(99);
  const z = randomLogits(rng, n, k, 3, 0);
  const y = randomLabels(rng, n, k, 0.2);
  const t = new Float32Array(n * k).fill(1 / k);
  const teacher = randomLogits(rng, n, k, 2, 0);

  /** The valid calls the sequence is made of: a mix of copying and resident, every function. */
  function validCalls(): Record<string, Thunk> {
    return {
      ceCopy: () => crossEntropy(z, y, { classes: k, smoothing: 0.1, zLoss: 1e-3 }),
      ceResidentInPlace: () => {
        const zb = allocFloat32(n * k),
          yb = allocInt32(n);
        try {
          zb.view.set(z);
          yb.view.set(y);
          const r = crossEntropy(zb, yb, { classes: k, reduction: "none", gradOut: zb, classWeights: F([1, 2, 0.5, 1, 3]) });
          return { loss: r.loss, grad: zb.view.slice() };
        } finally {
          zb.release();
          yb.release();
        }
      },
      ceProb: () => crossEntropy(z, t, { classes: k, smoothing: 0.2, reduction: "sum" }),
      logSoftmax: () => sx.logSoftmax(z, { classes: k }),
      softmax: () => sx.softmax(z, { classes: k, temperature: 0.7 }),
      smoothTargets: () => sx.smoothTargets(y, { classes: k, smoothing: 0.3, smoothingMode: "others" }),
      sigmoid: () => sx.sigmoidCrossEntropy(z, t, { classes: k, posWeight: F([1, 2, 3, 4, 5]) }),
      distillation: () => sx.distillation(z, teacher, { classes: k, labels: y, temperature: 2 }),
      calibration: () =>
        sx.calibration(
          z,
          Int32Array.from(y, (v) => Math.max(v, 0)),
          { classes: k, bins: 5 },
        ),
      fitTemperature: () =>
        sx.fitTemperature(
          z,
          Int32Array.from(y, (v) => Math.max(v, 0)),
          { classes: k },
        ),
    };
  }

  const released = (() => {
    let b: ReturnType<typeof allocFloat32> | null = null;
    return () => {
      b ??= allocFloat32(n * k);
      b.release();
      return b;
    };
  })();

  /** Every validation error: [description, the bad call, the error class docs/spec.md requires]. */
  const bad: [string, Thunk, typeof TypeError | typeof RangeError][] = [
    // wrong types
    ["logits as a number[]", () => crossEntropy([1, 2] as never, y, { classes: k }), TypeError],
    ["logits as a Float64Array", () => crossEntropy(new Float64Array(n * k) as never, y, { classes: k }), TypeError],
    ["labels as a Uint8Array", () => crossEntropy(z, new Uint8Array(n) as never, { classes: k }), TypeError],
    ["options = null", () => crossEntropy(z, y, null as never), TypeError],
    ["options missing", () => crossEntropy(z, y, undefined as never), TypeError],
    ["classes as a string", () => crossEntropy(z, y, { classes: "5" as never }), TypeError],
    ["smoothing as a string", () => crossEntropy(z, y, { classes: k, smoothing: "0.1" as never }), TypeError],
    ["grad as a string", () => crossEntropy(z, y, { classes: k, grad: "yes" as never }), TypeError],
    ["classWeights as an Array", () => crossEntropy(z, y, { classes: k, classWeights: [1, 1, 1, 1, 1] as never }), TypeError],
    [
      "an Int32 buffer as logits",
      () => {
        const b = allocInt32(n * k);
        try {
          return crossEntropy(b as never, y, { classes: k });
        } finally {
          b.release();
        }
      },
      TypeError,
    ],
    ["a released buffer as logits", () => crossEntropy(released(), y, { classes: k }), TypeError],
    ["softmax of a string", () => sx.softmax("z" as never, { classes: k }), TypeError],
    ["smoothTargets without smoothing", () => sx.smoothTargets(y, { classes: k } as never), TypeError],
    ["allocFloat32('10')", () => allocFloat32("10" as never), TypeError],
    // wrong sizes, values and options
    ["classes = 0", () => crossEntropy(z, y, { classes: 0 }), RangeError],
    ["classes = 2.5", () => crossEntropy(z, y, { classes: 2.5 }), RangeError],
    ["logits length not a multiple of K", () => crossEntropy(z, y, { classes: 6 }), RangeError],
    ["labels too short", () => crossEntropy(z, y.subarray(1), { classes: k }), RangeError],
    [
      "label out of range",
      () =>
        crossEntropy(
          z,
          Int32Array.from(y, (v, i) => (i === 4 ? k : v)),
          { classes: k },
        ),
      RangeError,
    ],
    [
      "label −1 (not ignoreIndex)",
      () =>
        crossEntropy(
          z,
          Int32Array.from(y, (v, i) => (i === 6 ? -1 : v)),
          { classes: k },
        ),
      RangeError,
    ],
    ["smoothing = 1.5", () => crossEntropy(z, y, { classes: k, smoothing: 1.5 }), RangeError],
    ["smoothing = NaN", () => crossEntropy(z, y, { classes: k, smoothing: NaN }), RangeError],
    ["smoothingMode 'fair'", () => crossEntropy(z, y, { classes: k, smoothingMode: "fair" as never }), RangeError],
    ["reduction 'avg'", () => crossEntropy(z, y, { classes: k, reduction: "avg" as never }), RangeError],
    ["unknown option key", () => crossEntropy(z, y, { classes: k, smothing: 0.1 } as never), RangeError],
    ["zLoss < 0", () => crossEntropy(z, y, { classes: k, zLoss: -1 }), RangeError],
    ["ignoreIndex = 1.5", () => crossEntropy(z, y, { classes: k, ignoreIndex: 1.5 }), RangeError],
    ["classWeights of length K−1", () => crossEntropy(z, y, { classes: k, classWeights: F([1, 1, 1, 1]) }), RangeError],
    ["a NaN class weight", () => crossEntropy(z, y, { classes: k, classWeights: F([1, NaN, 1, 1, 1]) }), RangeError],
    ["probability targets of the wrong length", () => crossEntropy(z, t.subarray(1), { classes: k }), RangeError],
    ["probability targets with ignoreIndex", () => crossEntropy(z, t, { classes: k, ignoreIndex: -1 }), RangeError],
    ["probability targets with smoothingMode 'others'", () => crossEntropy(z, t, { classes: k, smoothingMode: "others" }), RangeError],
    ["probability targets with classWeightMode 'target'", () => crossEntropy(z, t, { classes: k, classWeightMode: "target" }), RangeError],
    ["gradOut of the wrong length", () => crossEntropy(z, y, { classes: k, gradOut: new Float32Array(3) }), RangeError],
    ["gradOut with grad: false", () => crossEntropy(z, y, { classes: k, grad: false, gradOut: new Float32Array(n * k) }), RangeError],
    ["softmax temperature 0", () => sx.softmax(z, { classes: k, temperature: 0 }), RangeError],
    ["logSoftmax out of the wrong length", () => sx.logSoftmax(z, { classes: k, out: new Float32Array(1) }), RangeError],
    ["smoothTargets label out of range", () => sx.smoothTargets(I([0, 9]), { classes: k, smoothing: 0.1 }), RangeError],
    ["sigmoid posWeight without classes", () => sx.sigmoidCrossEntropy(z, t, { posWeight: F([1, 1, 1, 1, 1]) }), RangeError],
    ["sigmoid targets of the wrong length", () => sx.sigmoidCrossEntropy(z, t.subarray(2)), RangeError],
    ["distillation alpha < 1 without labels", () => sx.distillation(z, teacher, { classes: k, alpha: 0.5 }), RangeError],
    ["distillation teacher of the wrong length", () => sx.distillation(z, teacher.subarray(k), { classes: k }), RangeError],
    ["distillation temperature 0", () => sx.distillation(z, teacher, { classes: k, temperature: 0 }), RangeError],
    ["calibration bins = 0", () => sx.calibration(z, I([0, 0, 0, 0, 0, 0, 0]), { classes: k, bins: 0 }), RangeError],
    ["calibration label out of range", () => sx.calibration(z, I([0, 0, 0, 0, 0, 0, 5]), { classes: k }), RangeError],
    ["fitTemperature labels of the wrong length", () => sx.fitTemperature(z, I([0]), { classes: k }), RangeError],
    ["allocFloat32(−1)", () => allocFloat32(-1), RangeError],
    ["allocFloat32(2**30): more than wasm32 holds", () => allocFloat32(2 ** 30), RangeError],
  ];

  it("the valid calls are right (judged by the reference), so 'the same as before' means right", () => {
    const v = validCalls();
    type R = { loss: number | Float32Array; grad: Float32Array | null };
    const d = y.filter((l) => l !== -100).length;
    const ce = v.ceCopy!() as R,
      ceWant = ref.crossEntropy(z, y, { classes: k, smoothing: 0.1, zLoss: 1e-3 });
    expectLoss(ce.loss as number, ceWant.loss as number, "ceCopy");
    expectGrad(ce.grad!, ceWant.grad!, 1 / d, "ceCopy");
    const w = [1, 2, 0.5, 1, 3];
    const res = v.ceResidentInPlace!() as R,
      resWant = ref.crossEntropy(z, y, { classes: k, reduction: "none", classWeights: w });
    expectLosses(res.loss as Float32Array, resWant.loss as Float64Array, "ceResidentInPlace");
    expectGrad(res.grad!, resWant.grad!, 1, "ceResidentInPlace");
    const prob = v.ceProb!() as R,
      probWant = ref.crossEntropy(z, t, { classes: k, smoothing: 0.2, reduction: "sum" });
    expectLoss(prob.loss as number, probWant.loss as number, "ceProb");
    expectGrad(prob.grad!, probWant.grad!, 1, "ceProb");
    expectLosses(v.logSoftmax!() as Float32Array, ref.logSoftmax(z, { classes: k }), "logSoftmax");
    expectGrad(v.softmax!() as Float32Array, ref.softmax(z, { classes: k, temperature: 0.7 }), 1, "softmax");
    expectGrad(
      v.smoothTargets!() as Float32Array,
      ref.smoothTargets(y, { classes: k, smoothing: 0.3, smoothingMode: "others" }),
      1,
      "smoothTargets",
    );
    const sig = v.sigmoid!() as R,
      sigWant = ref.sigmoidCrossEntropy(z, t, { classes: k, posWeight: [1, 2, 3, 4, 5] });
    expectLoss(sig.loss as number, sigWant.loss as number, "sigmoid");
    expectGrad(sig.grad!, sigWant.grad!, 1 / (n * k), "sigmoid");
    const dis = v.distillation!() as R,
      disWant = ref.distillation(z, teacher, { classes: k, labels: y, temperature: 2 });
    expectLoss(dis.loss as number, disWant.loss as number, "distillation");
    expectGrad(dis.grad!, disWant.grad!, 2 / d, "distillation");
    const labels = Int32Array.from(y, (l) => Math.max(l, 0));
    const cal = v.calibration!() as ReturnType<typeof sx.calibration>,
      calWant = ref.calibration(z, labels, { classes: k, bins: 5 });
    for (const m of ["ece", "mce", "brier", "nll", "accuracy", "confidence"] as const) expectLoss(cal[m], calWant[m], `calibration ${m}`);
    expect(cal.bins.map((b) => b.count)).toEqual(calWant.bins.map((b) => b.count));
    const fit = v.fitTemperature!() as ReturnType<typeof sx.fitTemperature>,
      fitWant = ref.fitTemperature(z, labels, { classes: k });
    expect(fit.atBound).toBe(fitWant.atBound);
    expect(Math.abs(fit.temperature / fitWant.temperature - 1)).toBeLessThanOrEqual(1e-5);
  });

  it.each(bad)("%s: the right error class, then every next call is bitwise the same as before", (_what, call, errorClass) => {
    const valid = validCalls();
    const before = Object.fromEntries(Object.entries(valid).map(([name, f]) => [name, snapshot(f())]));
    const info = backendInfo();
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    expect((thrown as Error).message).toMatch(/^softxent(\.\w+)?: /);
    expect(backendInfo().build).toBe(info.build);
    for (const [name, f] of Object.entries(valid)) expect(snapshot(f()), name).toEqual(before[name]);
  });

  it("in place with a bad label: the logits stay untouched (copied and resident), and the next call is right", () => {
    const labels = Int32Array.from(y, (v, i) => (i === n - 1 ? 99 : v));
    const zc = z.slice();
    expect(() => crossEntropy(zc, labels, { classes: k, gradOut: zc })).toThrow(/labels\[6\] = 99/);
    expect(Array.from(zc)).toEqual(Array.from(z));
    const zb = allocFloat32(n * k),
      yb = allocInt32(n);
    zb.view.set(z);
    yb.view.set(labels);
    expect(() => crossEntropy(zb, yb, { classes: k, gradOut: zb, reduction: "none" })).toThrow(RangeError);
    expect(Array.from(zb.view)).toEqual(Array.from(z));
    expect(() => sx.smoothTargets(yb, { classes: k, smoothing: 0.1, out: zb })).toThrow(RangeError);
    expect(Array.from(zb.view)).toEqual(Array.from(z));
    const want = ref.crossEntropy(z, y, { classes: k, reduction: "none" });
    yb.view.set(y);
    const got = crossEntropy(zb, yb, { classes: k, reduction: "none", gradOut: zb });
    expectLosses(got.loss, want.loss as Float64Array);
    expectGrad(zb.view, want.grad!, 1);
    zb.release();
    yb.release();
  });

  it("a request larger than wasm32 can hold fails with RangeError, touching nothing; the instance keeps working", () => {
    const keep = allocFloat32(n * k);
    keep.view.set(z);
    const want = snapshot(crossEntropy(keep, y, { classes: k, smoothing: 0.1 }));
    const info = backendInfo();
    for (const len of [2 ** 30, 2 ** 31, 2 ** 30 + 1]) expect(() => allocFloat32(len)).toThrow(RangeError);
    // A subclass claiming 2^31 floats (8 GiB) through an overridden `length`: the claim is not believed
    // (lengths are read through the intrinsic getter), so the call computes on its real k floats.
    class Huge extends Float32Array {
      override get length(): number {
        return 2 ** 31;
      }
    }
    class HugeLabels extends Int32Array {
      override get length(): number {
        return 2 ** 31 / k;
      }
    }
    const row = new Huge(k);
    row.set(z.subarray(0, k));
    expect(crossEntropy(row, new HugeLabels(1), { classes: k }).loss).toBe(
      crossEntropy(z.slice(0, k), new Int32Array(1), { classes: k }).loss,
    );
    expect(backendInfo()).toEqual(info);
    expect(snapshot(crossEntropy(keep, y, { classes: k, smoothing: 0.1 }))).toEqual(want);
    // and it can still grow for a reasonable request
    const big = allocFloat32(4_000_000);
    big.view[3_999_999] = 5;
    expect(keep.view[0]).toBe(z[0]);
    big.release();
    expect(snapshot(crossEntropy(keep, y, { classes: k, smoothing: 0.1 }))).toEqual(want);
    keep.release();
  });
});

describe("concurrent instances in worker_threads", () => {
  it("four workers (both builds) run their own streams with errors in between, each exact against the reference", async () => {
    const calls = 400;
    const url = new URL("../helpers/fault-worker.mjs", import.meta.url);
    const runs = [1, 2, 3, 4].map(
      (seed) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const w = new Worker(url, { workerData: { seed, simd: seed % 2 === 0, calls } });
          w.once("message", resolve);
          w.once("error", reject);
          w.once("exit", (code) => code !== 0 && reject(new Error(`worker ${seed} exited with ${code}`)));
        }),
    );
    // The main thread keeps computing meanwhile, on its own instance.
    initSync();
    const z = randomLogits(mulberry32(5), 20, 30, 3, 0);
    const y = randomLabels(mulberry32(6), 20, 30, 0.1);
    const first = snapshot(crossEntropy(z, y, { classes: 30 }));
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.failure, JSON.stringify(r)).toBeUndefined();
      expect(r.calls).toBe(calls);
      expect(r.errorsThrown).toBeGreaterThan(calls / 8);
      expect(r.build).toBe((r.seed as number) % 2 === 0 ? "simd" : "scalar");
      expect(r.beforeInit).toMatch(/^Error: .*init\(\)/);
    }
    expect(snapshot(crossEntropy(z, y, { classes: 30 }))).toEqual(first);
  });
});
