/**
 * Wasm-resident buffers (docs/spec.md "Memory"): a training step on resident logits / labels / gradOut
 * copies nothing and allocates nothing in steady state, views survive memory growth, released
 * buffers refuse use, and inputs larger than wasm32 can hold are refused before anything is touched.
 * Runs against both builds.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { allocFloat32, allocInt32, backendInfo, crossEntropy, initSync, logSoftmax, smoothTargets, softmax } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

/** The 'mean' gradient's reduction factor 1/D (D = non-ignored rows): the contract's 'sum' bound rescaled. */
function meanScale(labels: Int32Array): number {
  const d = labels.filter((y) => y !== -100).length;
  return d > 0 ? 1 / d : 1;
}

type Counted = "set" | "slice" | "subarray";

/**
 * Counts calls to the typed-array methods a copy in or out would go through (Float32Array and
 * Int32Array share %TypedArray%.prototype), while `body` runs.
 */
function countTypedArrayCopies(body: () => void): Record<Counted, number> {
  const proto = Object.getPrototypeOf(Float32Array.prototype) as Record<Counted, (...a: unknown[]) => unknown>;
  const counts: Record<Counted, number> = { set: 0, slice: 0, subarray: 0 };
  const saved = { set: proto.set, slice: proto.slice, subarray: proto.subarray };
  for (const name of Object.keys(saved) as Counted[]) {
    const original = saved[name];
    proto[name] = function (this: unknown, ...args: unknown[]) {
      counts[name]++;
      return original.apply(this, args);
    };
  }
  try {
    body();
  } finally {
    Object.assign(proto, saved);
  }
  return counts;
}

for (const simd of [true, false]) {
  describe(`resident buffers (${simd ? "simd" : "scalar"} build)`, () => {
    beforeEach(() => {
      initSync({ simd });
      expect(backendInfo().build).toBe(simd ? "simd" : "scalar");
    });

    it("a training step copies nothing and allocates nothing in steady state", () => {
      const n = 64,
        k = 1000;
      const rng = mulberry32(11);
      const z = allocFloat32(n * k);
      const y = allocInt32(n);
      const g = allocFloat32(n * k);
      const zView = z.view,
        yView = y.view,
        gView = g.view;
      const marks: Array<{ memory: number; allocated: number }> = [];
      for (let step = 0; step < 6; step++) {
        const logits = randomLogits(rng, n, k, 3, 0);
        const labels = randomLabels(rng, n, k, 0.1);
        // The caller fills the views (that is the caller's write, not a library copy).
        for (let e = 0; e < logits.length; e++) zView[e] = logits[e]!;
        for (let i = 0; i < n; i++) yView[i] = labels[i]!;
        let out!: ReturnType<typeof crossEntropy>;
        const copies = countTypedArrayCopies(() => {
          out = crossEntropy(z, y, { classes: k, smoothing: 0.1, gradOut: g });
        });
        if (step > 0) expect(copies).toEqual({ set: 0, slice: 0, subarray: 0 });
        expect(out.grad).toBe(gView);
        expect(z.view).toBe(zView);
        expect(y.view).toBe(yView);
        expect(g.view).toBe(gView);
        const info = backendInfo();
        marks.push({ memory: info.memoryBytes, allocated: info.allocatedBytes });
        const want = ref.crossEntropy(logits, labels, { classes: k, smoothing: 0.1 });
        expectLoss(out.loss as number, want.loss as number);
        // 'mean' gradient: the 'sum' bound rescaled by 1/D (not 5e-7 absolute: ~58× looser here)
        expectGrad(gView, want.grad!, meanScale(labels));
      }
      for (const m of marks.slice(1)) expect(m).toEqual(marks[0]);
      z.release();
      y.release();
      g.release();
    });

    it("gradOut = logits (in place) copies nothing, allocates nothing and overwrites the logits", () => {
      const n = 32,
        k = 37; // K not a multiple of 4
      const rng = mulberry32(12);
      const z = allocFloat32(n * k);
      const y = allocInt32(n);
      const zView = z.view;
      let before: { memory: number; allocated: number } | null = null;
      for (let step = 0; step < 5; step++) {
        const logits = randomLogits(rng, n, k, 3, 0);
        const labels = randomLabels(rng, n, k, 0.1);
        zView.set(logits);
        y.view.set(labels);
        let out!: ReturnType<typeof crossEntropy>;
        const copies = countTypedArrayCopies(() => {
          out = crossEntropy(z, y, { classes: k, smoothing: 0.2, smoothingMode: "others", reduction: "sum", gradOut: z });
        });
        expect(copies).toEqual({ set: 0, slice: 0, subarray: 0 });
        expect(out.grad).toBe(zView);
        expect(z.view).toBe(zView);
        const want = ref.crossEntropy(logits, labels, { classes: k, smoothing: 0.2, smoothingMode: "others", reduction: "sum" });
        expectLoss(out.loss as number, want.loss as number);
        expectGrad(zView, want.grad!, 1);
        const info = backendInfo();
        const mark = { memory: info.memoryBytes, allocated: info.allocatedBytes };
        if (before === null) before = mark;
        else expect(mark).toEqual(before);
      }
      z.release();
      y.release();
    });

    it("'none' returns its per-row losses as the one copy out; the gradient stays resident", () => {
      const n = 16,
        k = 10;
      const rng = mulberry32(13);
      const z = allocFloat32(n * k),
        y = allocInt32(n),
        g = allocFloat32(n * k);
      const logits = randomLogits(rng, n, k, 3, 0),
        labels = randomLabels(rng, n, k);
      z.view.set(logits);
      y.view.set(labels);
      crossEntropy(z, y, { classes: k, reduction: "none", gradOut: g }); // grows the loss scratch once
      const info = backendInfo();
      let out!: ReturnType<typeof crossEntropy>;
      const copies = countTypedArrayCopies(() => {
        out = crossEntropy(z, y, { classes: k, reduction: "none", gradOut: g });
      });
      expect(copies).toEqual({ set: 0, slice: 1, subarray: 0 });
      expect(backendInfo()).toEqual(info);
      expect(out.grad).toBe(g.view);
      const want = ref.crossEntropy(logits, labels, { classes: k, reduction: "none" });
      const rows = out.loss as Float32Array;
      expect(rows).toBeInstanceOf(Float32Array);
      expect(rows.buffer).not.toBe(z.view.buffer); // the caller owns it: not a view of wasm memory
      expectLosses(rows, want.loss as Float64Array);
      z.release();
      y.release();
      g.release();
    });

    it("logSoftmax, softmax and smoothTargets write into resident outputs without copying", () => {
      const n = 8,
        k = 13;
      const rng = mulberry32(14);
      const z = allocFloat32(n * k),
        o = allocFloat32(n * k),
        y = allocInt32(n);
      const logits = randomLogits(rng, n, k, 3, 0),
        labels = randomLabels(rng, n, k);
      z.view.set(logits);
      y.view.set(labels);
      logSoftmax(z, { classes: k, out: o }); // warm-up (scratch row)
      smoothTargets(y, { classes: k, smoothing: 0.1, out: o }); // warm-up (its parameter block, allocated once)
      const info = backendInfo();
      const got: Record<string, number[]> = {};
      const same: boolean[] = [];
      const copies = countTypedArrayCopies(() => {
        same.push(logSoftmax(z, { classes: k, out: o }) === o.view);
        got.logSoftmax = Array.from(o.view);
        same.push(softmax(z, { classes: k, temperature: 2, out: o }) === o.view);
        got.softmax = Array.from(o.view);
        same.push(smoothTargets(y, { classes: k, smoothing: 0.1, out: o }) === o.view);
        got.smoothTargets = Array.from(o.view);
        same.push(softmax(z, { classes: k, out: z }) === z.view); // in place
      });
      expect(copies).toEqual({ set: 0, slice: 0, subarray: 0 });
      expect(same).toEqual([true, true, true, true]);
      expect(backendInfo()).toEqual(info);
      // logSoftmax element-wise to the loss bound, probabilities (≤ 1) to 5e-7 absolute
      expectLosses(got.logSoftmax!, ref.logSoftmax(logits, { classes: k }), "logSoftmax");
      expectGrad(got.softmax!, ref.softmax(logits, { classes: k, temperature: 2 }), 1, "softmax T = 2");
      expectGrad(got.smoothTargets!, ref.smoothTargets(labels, { classes: k, smoothing: 0.1 }), 1, "smoothTargets");
      expectGrad(z.view, ref.softmax(logits, { classes: k }), 1, "softmax in place");
      z.release();
      o.release();
      y.release();
    });

    it("views survive memory growth: the old buffer's view is refreshed and holds the same data", () => {
      const n = 4,
        k = 10;
      const rng = mulberry32(15);
      const z = allocFloat32(n * k),
        y = allocInt32(n);
      const logits = randomLogits(rng, n, k, 3, 0),
        labels = randomLabels(rng, n, k);
      z.view.set(logits);
      y.view.set(labels);
      const oldZ = z.view;
      const memBefore = backendInfo().memoryBytes;
      const big = allocFloat32(Math.ceil((memBefore + 4 * 65536) / 4)); // more than all of memory: must grow
      expect(backendInfo().memoryBytes).toBeGreaterThan(memBefore);
      expect(oldZ.length).toBe(0); // the old ArrayBuffer was detached by memory.grow
      expect(z.view === oldZ).toBe(false); // (a detached array cannot be handed to expect: it cannot be printed)
      expect(z.view.buffer).toBe(big.view.buffer);
      expect(Array.from(z.view)).toEqual(Array.from(logits));
      expect(Array.from(y.view)).toEqual(Array.from(labels));
      const out = crossEntropy(z, y, { classes: k, reduction: "sum" });
      const want = ref.crossEntropy(logits, labels, { classes: k, reduction: "sum" });
      expectLoss(out.loss as number, want.loss as number);
      expectGrad(out.grad!, want.grad!, 1);
      // The refreshed view object is stable again once memory stops growing.
      const refreshed = z.view;
      crossEntropy(z, y, { classes: k });
      expect(z.view).toBe(refreshed);
      big.release();
      z.release();
      y.release();
    });

    it("a view kept from before a growth is refused, not read as an empty array", () => {
      const k = 10;
      const z = allocFloat32(2 * k);
      const stale = z.view;
      const big = allocFloat32(backendInfo().memoryBytes / 4 + 65536);
      expect(() => crossEntropy(stale, new Int32Array([1, 2]), { classes: k })).toThrow(TypeError);
      expect(() => crossEntropy(stale, new Int32Array([1, 2]), { classes: k })).toThrow(/memory grew|read .view again/);
      expect(() => softmax(stale, { classes: k })).toThrow(TypeError);
      // The fresh view works.
      z.view.fill(0);
      const out = crossEntropy(z.view, new Int32Array([1, 2]), { classes: k });
      expectLoss(out.loss as number, Math.log(k));
      big.release();
      z.release();
    });

    it("use after release throws TypeError, releasing twice is a no-op, and the memory is reused", () => {
      const k = 5;
      const allocated0 = backendInfo().allocatedBytes;
      const z = allocFloat32(3 * k),
        y = allocInt32(3);
      expect(backendInfo().allocatedBytes).toBeGreaterThan(allocated0);
      const zPtr = z.byteOffset;
      z.release();
      expect(z.released).toBe(true);
      expect(() => z.view).toThrow(TypeError);
      expect(() => crossEntropy(z, y, { classes: k })).toThrow(TypeError);
      expect(() => crossEntropy(new Float32Array(3 * k), y, { classes: k, gradOut: z })).toThrow(TypeError);
      expect(() => logSoftmax(z, { classes: k })).toThrow(TypeError);
      z.release();
      y.release();
      expect(backendInfo().allocatedBytes).toBe(allocated0);
      const again = allocFloat32(3 * k);
      expect(again.byteOffset).toBe(zPtr); // first fit: the freed block is handed out again
      again.release();
    });

    it("inputs larger than wasm32 can hold get a RangeError before anything is touched", () => {
      const k = 10;
      const z = allocFloat32(4 * k);
      z.view.fill(1);
      const before = backendInfo();
      const kept = Array.from(z.view);
      // 2^30 floats = 4 GiB: more than a 32-bit address space holds beside anything else.
      expect(() => allocFloat32(2 ** 30)).toThrow(RangeError);
      expect(() => allocInt32(2 ** 30 + 7)).toThrow(RangeError);
      expect(() => allocFloat32(2 ** 40)).toThrow(RangeError);
      expect(() => allocFloat32(Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
      expect(() => allocFloat32(2 ** 30)).toThrow(/wasm32/);
      expect(backendInfo()).toEqual(before);
      // A subclass whose overridden `length` claims more elements than wasm32 can hold: the claim is
      // not believed (lengths are read through the intrinsic getter); the call uses its real 8 floats.
      const kk = 8;
      class Huge extends Float32Array {
        override get length(): number {
          return 2 ** 31;
        }
      }
      class HugeLabels extends Int32Array {
        override get length(): number {
          return 2 ** 31 / kk;
        }
      }
      const huge = new Huge(kk);
      expect(crossEntropy(huge, new HugeLabels(1), { classes: kk }).loss).toBeCloseTo(Math.log(kk), 6);
      expect(Array.from(softmax(huge, { classes: kk }))).toEqual(Array.from(softmax(new Float32Array(kk), { classes: kk })));
      expect(backendInfo().memoryBytes).toBe(before.memoryBytes);
      expect(Array.from(z.view)).toEqual(kept);
      // And the library keeps working, with the right answers.
      const out = crossEntropy(z, new Int32Array([0, 1, 2, 3]), { classes: k, reduction: "sum" });
      expectLoss(out.loss as number, 4 * Math.log(k));
      z.release();
    });
  });
}
