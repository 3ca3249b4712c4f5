/**
 * Bitwise equality of two runs' outputs (docs/spec.md "Threads": every thread count gives the same
 * bits): numbers by Object.is (NaN equals NaN, 0 differs from −0), typed arrays byte for byte, null
 * only against null. Names the first output and element that differ.
 */
import { expect } from "vitest";

export type BitsOut = ReadonlyArray<number | Float32Array | Float64Array | Int32Array | null>;

export function expectSameBits(a: BitsOut, b: BitsOut, name: string): void {
  expect(a.length, `${name}: number of outputs`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x === null || y === null) {
      expect(x === null && y === null, `${name}: output ${i} null on one side only`).toBe(true);
    } else if (typeof x === "number" || typeof y === "number") {
      if (!Object.is(x, y)) expect.fail(`${name}: output ${i}: ${String(x)} vs ${String(y)}`);
    } else {
      expect(y.length, `${name}: output ${i} length`).toBe(x.length);
      const u = new Uint8Array(x.buffer, x.byteOffset, x.byteLength),
        v = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
      let bad = -1;
      for (let e = 0; e < u.length; e++)
        if (u[e] !== v[e]) {
          bad = Math.floor(e / x.BYTES_PER_ELEMENT);
          break;
        }
      expect(bad, `${name}: output ${i} differs first at element ${bad}`).toBe(-1);
    }
  }
}
