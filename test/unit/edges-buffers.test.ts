/**
 * WasmBuffer at the edges: a kept view of a released buffer, writable pointers, forged buffers, and an
 * init() overtaken by initSync(). Each case was found by an adversarial pass over the facade; each
 * test failed on the code before its fix.
 */
import { describe, expect, it } from "vitest";
import * as sx from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import { BUILDS } from "../helpers/builds.js";

const { allocFloat32, allocInt32, backendInfo, crossEntropy, initSync, softmax } = sx;

function fill(a: Float32Array | Int32Array, f: (i: number) => number): void {
  for (let i = 0; i < a.length; i++) a[i] = f(i);
}

for (const build of BUILDS) {
  describe(`WasmBuffer edges (${build.name} build)`, () => {
    it("a kept .view of a released buffer is refused once a new buffer reuses its memory, and cannot touch the new buffer", () => {
      initSync({ simd: build.simd });
      const k = 5;
      const old = allocFloat32(2 * k);
      const kept = old.view; // the caller keeps the view object across release()
      const keptSub = kept.subarray(k); // and a subarray of it
      old.release();
      const fresh = allocFloat32(2 * k); // first fit: the same bytes
      expect(fresh.byteOffset).toBe(old.byteOffset);
      fill(fresh.view, (i) => (i % k) * 0.5);
      const before = Array.from(fresh.view);
      const y = new Int32Array([1, 2]);
      for (const stale of [kept, keptSub]) {
        expect(() => crossEntropy(stale, y.subarray(0, stale.length / k), { classes: k })).toThrowError(TypeError);
        expect(() => crossEntropy(fresh, y, { classes: k, gradOut: stale })).toThrowError(/gradOut/);
        expect(() => softmax(fresh, { classes: k, out: stale })).toThrowError(TypeError);
      }
      // writes through the stale view no longer reach the new buffer (its memory was detached)
      kept[0] = 123;
      keptSub[1] = 123;
      expect(Array.from(fresh.view)).toEqual(before);
      // the new buffer works, exactly as a plain array
      const want = ref.crossEntropy(before, y, { classes: k });
      expect(crossEntropy(fresh, y, { classes: k }).loss).toBeCloseTo(want.loss as number, 6);
      fresh.release();
    });

    it("the rule's consequence for live buffers: after a new buffer reuses released memory, read .view again", () => {
      initSync({ simd: build.simd });
      const live = allocFloat32(8),
        gone = allocFloat32(8);
      live.view.set([1, 2, 3, 4, 5, 6, 7, 8]);
      const keptLive = live.view;
      gone.release();
      const fresh = allocFloat32(8); // takes gone's bytes: every earlier view is detached
      expect(keptLive.length).toBe(0);
      expect(() => softmax(keptLive, { classes: 4 })).toThrowError(/read buf\.view again/);
      expect(Array.from(live.view)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // the buffer itself is intact
      expect(softmax(live, { classes: 4 }).length).toBe(8);
      live.release();
      fresh.release();
    });

    it("a released buffer's view kept while its memory went to scratch is refused (outside any live buffer)", () => {
      initSync({ simd: build.simd });
      const b = allocFloat32(64);
      const kept = b.view;
      b.release();
      expect(() => softmax(kept, { classes: 8 })).toThrowError(/logits/);
    });

    it("byteOffset, length and kind are read-only: a write cannot redirect the kernels", () => {
      initSync({ simd: build.simd });
      const k = 4;
      const z = allocFloat32(2 * k),
        y = allocInt32(2);
      fill(z.view, (i) => i * 0.25);
      y.view.set([0, 3]);
      const want = crossEntropy(z, y, { classes: k }).loss as number;
      const attempts: [string, unknown][] = [
        ["byteOffset", 0],
        ["byteOffset", 2 ** 31],
        ["length", 2 ** 20],
        ["length", -1],
        ["kind", "int32"],
      ];
      for (const [key, value] of attempts) {
        try {
          (z as unknown as Record<string, unknown>)[key] = value;
        } catch {
          // strict-mode assignment to a getter-only property throws: that is the point
        }
      }
      expect(z.length).toBe(2 * k);
      expect(z.kind).toBe("float32");
      expect(crossEntropy(z, y, { classes: k }).loss).toBe(want);
      // and later calls with other inputs are unaffected (the instance was not poisoned)
      expect(crossEntropy(new Float32Array(2 * k), new Int32Array(2), { classes: k }).loss).toBeCloseTo(Math.log(k), 6);
      z.release();
      y.release();
    });

    it("an object dressed up as a WasmBuffer is refused with a TypeError naming the argument", () => {
      initSync({ simd: build.simd });
      const real = allocFloat32(8);
      const forged = Object.create(sx.WasmBuffer.prototype, {
        byteOffset: { value: real.byteOffset },
        length: { value: 8 },
        kind: { value: "float32" },
        released: { value: false },
      });
      expect(() => softmax(forged, { classes: 4 })).toThrowError(/softxent\.softmax: logits/);
      expect(() => new (sx.WasmBuffer as unknown as new (...a: unknown[]) => unknown)()).toThrowError(TypeError);
      real.release();
    });
  });
}

describe("init() overtaken by initSync()", () => {
  it("a pending init() that lands after initSync() (same options) keeps that instance and its buffers", async () => {
    initSync({ simd: false }); // some instance, then ask for another build
    const pending = sx.init({ simd: true });
    initSync({ simd: true });
    const buf = allocFloat32(4);
    buf.view.set([1, 2, 3, 4]);
    const info = backendInfo();
    await pending;
    expect(buf.released).toBe(false);
    expect(Array.from(buf.view)).toEqual([1, 2, 3, 4]);
    expect(backendInfo().build).toBe(info.build);
    expect(Array.from(softmax(buf, { classes: 4 }))).toEqual(Array.from(softmax(new Float32Array([1, 2, 3, 4]), { classes: 4 })));
    buf.release();
  });

  it("the latest request wins: init(scalar) then init(simd), both pending, end on the SIMD build", async () => {
    initSync({ simd: true });
    const a = sx.init({ simd: false });
    const b = sx.init({ simd: true, relaxedSimd: false });
    await Promise.all([a, b]);
    expect(backendInfo().build).toBe("simd");
  });
});
