/**
 * Shared by the linearCrossEntropy edge suites (test/unit/linear_cross_entropy-{sizes,scaling,ignored}):
 * the instances every hostile-input test runs on (both builds and a threaded instance over shared
 * memory), the chunk layout restated, and the parity bars of docs/spec.md "linearCrossEntropy".
 */
import { expect } from "vitest";

export const INSTANCES = [
  { name: "simd", init: { simd: true } },
  { name: "scalar", init: { simd: false } },
  { name: "simd, threads: 2", init: { simd: true, threads: 2 } },
] as const;

/** The chunk layout of docs/linear-cross-entropy.md "Memory", restated: logits, one row, the product's packing, one 16-byte sum per row block. */
export const PACK = 256 * 512 * 4;
const a16 = (x: number): number => Math.ceil(x / 16) * 16;
/** The chunk scratch of `threads` threads: the logits, one sum slot per row block, and per thread a row and a packing area. */
export const scratchOf = (rows: number, v: number, threads = 1): number =>
  a16(rows * v * 4) + a16(Math.min(rows, 65535) * 16) + threads * (a16(v * 4) + PACK);

/** Every element finite and within tol × the reference's max |g| (the gradient bar). */
export function expectClose(got: ArrayLike<number> | null, want: ArrayLike<number> | null, what: string, tol = 2e-5): void {
  expect(got, what).not.toBeNull();
  expect(got!.length, `${what} length`).toBe(want!.length);
  let max = 0;
  for (let i = 0; i < want!.length; i++) max = Math.max(max, Math.abs(want![i]!));
  for (let i = 0; i < want!.length; i++) {
    const g = got![i]!;
    if (!Number.isFinite(g)) expect.fail(`${what}[${i}] = ${g}; the reference gives ${want![i]}`);
    if (!(Math.abs(g - want![i]!) <= tol * max))
      expect.fail(`${what}[${i}] = ${g} vs reference ${want![i]} (bar ${tol}·max|g| = ${tol * max})`);
  }
}

/** A finite loss within 1e-5·max(1, |L|) of the reference (the loss bar). */
export function expectLoss(got: number, want: number, what: string): void {
  expect(Number.isFinite(got), `${what}: loss ${got}`).toBe(true);
  expect(Math.abs(got - want) / Math.max(1, Math.abs(want)), `${what}: loss ${got} vs ${want}`).toBeLessThanOrEqual(1e-5);
}
