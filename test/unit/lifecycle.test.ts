/** init / initSync / backendInfo (docs/spec.md "Lifecycle"). Runs in its own module context (vitest isolates files). */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as sx from "../../dist/index.js";

describe("lifecycle", () => {
  it("a kernel called before init throws an Error that says to call init() first", () => {
    expect(() => sx.crossEntropy(new Float32Array(3), new Int32Array(1), { classes: 3 })).toThrowError(/call `await init\(\)`/);
    expect(() => sx.softmax(new Float32Array(3), { classes: 3 })).toThrowError(/init\(\)/);
    expect(() => sx.backendInfo()).toThrowError(/init\(\)/);
    expect(() => sx.allocFloat32(4)).toThrowError(/init\(\)/);
  });

  it("init() loads the SIMD build where the engine validates it, and is cached", async () => {
    await sx.init();
    const info = sx.backendInfo();
    expect(info.build).toBe("simd"); // Node 20's V8 has fixed-width SIMD
    expect(info.simdSupported).toBe(true);
    const before = sx.allocFloat32(8);
    await sx.init(); // same options: nothing is replaced
    expect(before.released).toBe(false);
    before.release();
  });

  it("init({ simd: false }) forces the scalar build and still reports SIMD support; switching releases old buffers", async () => {
    const buf = sx.allocFloat32(4);
    await sx.init({ simd: false });
    expect(sx.backendInfo()).toMatchObject({ build: "scalar", simd: false, simdSupported: true });
    expect(buf.released).toBe(true);
    expect(() => buf.view).toThrowError(TypeError);
    const r = sx.crossEntropy(new Float32Array([0, 0]), new Int32Array([1]), { classes: 2 });
    expect(r.loss).toBeCloseTo(Math.log(2), 6);
  });

  it("initSync switches back, and concurrent init() calls share one load", async () => {
    sx.initSync({ simd: true });
    expect(sx.backendInfo().build).toBe("simd");
    const p1 = sx.init({ simd: false });
    const p2 = sx.init({ simd: false });
    expect(p1).toBe(p2);
    await p1;
    expect(sx.backendInfo().build).toBe("scalar");
  });

  it("init({ wasm }) takes bytes or a compiled module, and rejects a build of the wrong kind", async () => {
    const simd = readFileSync(new URL("../../dist/wasm/softxent.simd.wasm", import.meta.url));
    const scalar = readFileSync(new URL("../../dist/wasm/softxent.scalar.wasm", import.meta.url));
    await sx.init({ wasm: { simd, scalar } });
    expect(sx.backendInfo().build).toBe("simd");
    sx.initSync({ simd: false, wasm: { scalar: new WebAssembly.Module(scalar) } });
    expect(sx.backendInfo().build).toBe("scalar");
    await expect(sx.init({ wasm: { simd: scalar, scalar } })).rejects.toThrowError(/is the scalar build/);
    // the failed init left the working instance in place
    expect(sx.backendInfo().build).toBe("scalar");
    expect(sx.softmax(new Float32Array([1, 1]), { classes: 2 })).toEqual(new Float32Array([0.5, 0.5]));
  });

  it("init rejects unknown options and wrong types", () => {
    expect(() => sx.init({ simdd: true } as never)).toThrowError(RangeError);
    expect(() => sx.initSync({ simd: "yes" } as never)).toThrowError(TypeError);
  });

  it("VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(sx.VERSION).toBe(pkg.version);
    expect(sx.backendInfo().version).toBe(pkg.version);
  });
});
