/**
 * Inputs that try to trick the facade: option getters that change what was validated, typed-array
 * subclasses and Proxies whose `length` lies, re-entrant calls, detached buffers. Each case failed on
 * the code before its fix (wrong numbers, an overwritten buffer, or a V8 error naming no argument).
 */
import { describe, expect, it } from "vitest";
import * as sx from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import { BUILDS } from "../helpers/builds.js";

const { allocFloat32, crossEntropy, initSync, sigmoidCrossEntropy, softmax } = sx;

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-30, Math.abs(b));

for (const build of BUILDS) {
  describe(`options and operands at the edges (${build.name} build)`, () => {
    const k = 4;
    const z = new Float32Array([0.5, -1, 2, 0.25, 1, 1, -3, 0]);
    const y = new Int32Array([2, 0]);

    it("class weights changed by a later option getter: the weights used are the weights validated", () => {
      initSync({ simd: build.simd });
      const w = new Float32Array([1, 2, 0.5, 1]);
      const options = {
        classes: k,
        classWeights: w,
        get gradOut() {
          w[2] = NaN; // after the weights were (formerly) checked, before they were copied
          w[0] = -5;
          return undefined;
        },
      };
      // Options are read once, up front: the getter runs first, so the weights are checked as changed.
      expect(() => crossEntropy(z, y, options)).toThrowError(/classWeights\[0\] = -5/);
      w.set([1, 2, 0.5, 1]);
      const wantW = new Float32Array([1, 2, 0.5, 1]);
      const good = crossEntropy(z, y, { classes: k, classWeights: w }).loss as number;
      const want = ref.crossEntropy(z, y, { classes: k, classWeights: wantW }).loss as number;
      expect(rel(good, want)).toBeLessThan(1e-6);
    });

    it("posWeight changed by a later option getter: refused, never reaching the kernel", () => {
      initSync({ simd: build.simd });
      const pw = new Float32Array([1, 1, 1, 1]);
      const t = new Float32Array(8).fill(1);
      const options = {
        classes: k,
        posWeight: pw,
        get gradOut() {
          pw[1] = -1;
          return undefined;
        },
      };
      expect(() => sigmoidCrossEntropy(z, t, options)).toThrowError(/posWeight\[1\] = -1/);
    });

    it("each option getter runs exactly once", () => {
      initSync({ simd: build.simd });
      const reads: Record<string, number> = {};
      const o: Record<string, unknown> = {};
      const values: Record<string, unknown> = { classes: k, smoothing: 0.1, ignoreIndex: -1, classWeightMode: "pytorch", reduction: "sum" };
      for (const key of Object.keys(values)) {
        Object.defineProperty(o, key, {
          enumerable: true,
          get: () => {
            reads[key] = (reads[key] ?? 0) + 1;
            return values[key];
          },
        });
      }
      crossEntropy(z, y, o as never);
      for (const key of Object.keys(values)) expect(reads[key], key).toBe(1);
    });

    it("a subclass whose length understates its size cannot write past its scratch slot into a resident buffer", () => {
      initSync({ simd: build.simd });
      class Short extends Float32Array {
        override get length(): number {
          return 4;
        }
      }
      const big = new Short(4096).fill(7); // really 4096 floats
      const victim = allocFloat32(64);
      victim.view.fill(1);
      const out = softmax(big, { classes: 4 });
      expect(out.length).toBe(4096); // the real length
      expect(Array.from(victim.view).every((v) => v === 1)).toBe(true);
      victim.release();
    });

    it("a subclass whose length overstates its size is read by its real length (no values from stale scratch)", () => {
      initSync({ simd: build.simd });
      softmax(new Float32Array(4096).fill(3), { classes: 4 }); // leaves scratch holding other numbers
      class Long extends Float32Array {
        override get length(): number {
          return 4096;
        }
      }
      const small = new Long([0, 0, 0, 0]);
      const out = softmax(small, { classes: 4 });
      expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25]);
    });

    it("a Proxy of a Float32Array is refused with a TypeError naming the argument; its length and elements are never read", () => {
      initSync({ simd: build.simd });
      let touched = 0;
      const p = new Proxy(new Float32Array(8), {
        get(target, key) {
          if (key === "length" || key === "buffer" || key === "byteOffset" || (typeof key === "string" && /^\d+$/.test(key))) touched++;
          const v = Reflect.get(target, key, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      expect(() => crossEntropy(p, y, { classes: k })).toThrowError(/softxent\.crossEntropy: logits must be a Float32Array/);
      expect(() => crossEntropy(z, y, { classes: k, gradOut: p })).toThrowError(/gradOut/);
      expect(touched).toBe(0);
    });

    it("a re-entrant call from a Proxy element getter cannot corrupt the outer call", () => {
      initSync({ simd: build.simd });
      const inner = new Float32Array([9, -9, 9, -9, 9, -9, 9, -9]);
      const p = new Proxy(z.slice(), {
        get(target, key) {
          if (key === "0") crossEntropy(inner, y, { classes: k }); // would overwrite the outer call's copy
          const v = Reflect.get(target, key, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      expect(() => crossEntropy(p, y, { classes: k })).toThrowError(TypeError);
      const want = ref.crossEntropy(z, y, { classes: k }).loss as number;
      expect(rel(crossEntropy(z, y, { classes: k }).loss as number, want)).toBeLessThan(1e-6);
    });

    it("a re-entrant call from a patched built-in during delivery is a clear Error; the outer call is still right", () => {
      initSync({ simd: build.simd });
      const inner = new Float32Array([9, -9, 9, -9, 9, -9, 9, -9]);
      const proto = Object.getPrototypeOf(Float32Array.prototype) as { slice: (...a: unknown[]) => unknown };
      const original = proto.slice;
      const errors: unknown[] = [];
      let depth = 0;
      proto.slice = function (this: unknown, ...args: unknown[]) {
        if (depth === 0) {
          depth++;
          try {
            crossEntropy(inner, y, { classes: k, reduction: "none" }); // would overwrite the outer call's scratch
          } catch (err) {
            errors.push(err);
          } finally {
            depth--;
          }
        }
        return original.apply(this, args);
      };
      let got: ReturnType<typeof crossEntropy>;
      try {
        got = crossEntropy(z, y, { classes: k, reduction: "none" });
      } finally {
        proto.slice = original;
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(String(errors[0])).toMatch(/softxent\.crossEntropy: called while softxent\.crossEntropy is in progress/);
      const want = ref.crossEntropy(z, y, { classes: k, reduction: "none" });
      const rows = got.loss as Float32Array;
      for (let i = 0; i < 2; i++) expect(rel(rows[i]!, (want.loss as Float64Array)[i]!)).toBeLessThan(1e-6);
      for (let e = 0; e < 8; e++) expect(Math.abs(got.grad![e]! - want.grad![e]!)).toBeLessThan(1e-6);
      // and the library keeps working
      expect(
        rel(crossEntropy(inner, y, { classes: k }).loss as number, ref.crossEntropy(inner, y, { classes: k }).loss as number),
      ).toBeLessThan(1e-6);
    });

    it("a softxent call made from an option getter completes first; the outer call is still right", () => {
      initSync({ simd: build.simd });
      const inner = new Float32Array([9, -9, 9, -9, 9, -9, 9, -9]);
      let innerLoss = 0;
      const options = {
        get classes() {
          innerLoss = crossEntropy(inner, y, { classes: k }).loss as number;
          return k;
        },
      };
      const got = crossEntropy(z, y, options).loss as number;
      expect(rel(got, ref.crossEntropy(z, y, { classes: k }).loss as number)).toBeLessThan(1e-6);
      expect(rel(innerLoss, ref.crossEntropy(inner, y, { classes: k }).loss as number)).toBeLessThan(1e-6);
    });

    it("an option getter that releases the resident buffer being passed: refused as released", () => {
      initSync({ simd: build.simd });
      const b = allocFloat32(8);
      b.view.set(z);
      const options = {
        get classes() {
          b.release();
          return k;
        },
      };
      expect(() => crossEntropy(b, y, options)).toThrowError(/logits is a WasmBuffer that has been released/);
    });

    it("a detached input buffer is a softxent TypeError naming the argument", () => {
      initSync({ simd: build.simd });
      const make = (): Float32Array => {
        const a = new Float32Array(8);
        structuredClone(a.buffer, { transfer: [a.buffer] }); // detaches a's buffer
        return a;
      };
      expect(() => crossEntropy(make(), new Int32Array(0), { classes: k })).toThrowError(/softxent\.crossEntropy: logits .*detached/);
      expect(() => crossEntropy(z, y, { classes: k, gradOut: make() })).toThrowError(/softxent\.crossEntropy: gradOut .*detached/);
      expect(() => softmax(make(), { classes: k })).toThrowError(TypeError);
      const labels = new Int32Array(2);
      structuredClone(labels.buffer, { transfer: [labels.buffer] });
      expect(() => crossEntropy(z, labels, { classes: k })).toThrowError(/softxent\.crossEntropy: labels .*detached/);
    });
  });
}

describe("the typed-array checks keep the copying path's behaviour for ordinary arrays", () => {
  it("subarrays, and a Float32Array subclass without overrides, are used as plain arrays", () => {
    initSync();
    class Plain extends Float32Array {}
    const zz = new Float32Array([0, 9, 1, 2, 3, 4, 9]).subarray(2, 6);
    const a = crossEntropy(zz, new Int32Array([1]), { classes: 4 }).loss;
    const b = crossEntropy(Plain.from(zz), new Int32Array([1]), { classes: 4 }).loss;
    expect(a).toBe(b);
    expect(rel(a as number, ref.crossEntropy([1, 2, 3, 4], new Int32Array([1]), { classes: 4 }).loss as number)).toBeLessThan(1e-6);
  });
});
