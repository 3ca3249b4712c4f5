/**
 * Central finite differences in f64, used to check the reference gradients.
 */
import { expect } from "vitest";

/** Scalar value of a loss: a number, or the sum of per-row losses ('none'). */
export function total(loss: number | Float64Array): number {
  if (typeof loss === "number") return loss;
  let s = 0;
  for (const v of loss) s += v;
  return s;
}

/**
 * Numerical gradient of f at x: (f(x + h e_j) − f(x − h e_j)) / 2h with h = step·max(1, |x_j|).
 * Entries of x equal to ±Infinity (masked classes) get gradient 0 (they cannot be perturbed).
 */
export function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, step = 1e-6): Float64Array {
  const base = Float64Array.from(x);
  const g = new Float64Array(base.length);
  for (let j = 0; j < base.length; j++) {
    const v = base[j]!;
    if (!Number.isFinite(v)) continue;
    const h = step * Math.max(1, Math.abs(v));
    const plus = base.slice();
    const minus = base.slice();
    plus[j] = v + h;
    minus[j] = v - h;
    g[j] = (f(plus) - f(minus)) / (plus[j]! - minus[j]!);
  }
  return g;
}

/** Asserts max |analytic − numeric| ≤ tol·max(1, max|numeric|), and that both are finite. */
export function expectGradClose(analytic: Float64Array | null, numeric: Float64Array, tol = 1e-6): void {
  expect(analytic).not.toBeNull();
  const a = analytic!;
  expect(a.length).toBe(numeric.length);
  let scale = 1;
  for (const v of numeric) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let j = 0; j < a.length; j++) {
    expect(Number.isFinite(a[j]!)).toBe(true);
    worst = Math.max(worst, Math.abs(a[j]! - numeric[j]!));
  }
  expect(worst).toBeLessThanOrEqual(tol * scale);
}
