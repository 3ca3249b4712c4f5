/**
 * Accuracy checks of docs/spec.md "Accuracy", used by every parity suite:
 *   loss:     |a − r| ≤ 1e-6·max(1, |r|)
 *   gradient: max |a − r| ≤ 5e-7·max(scale, max|r|), where scale is the gradient's reduction factor
 *             (1 under 'sum'/'none', 1/D under 'mean') — the contract's 'sum' bound, rescaled.
 * Non-finite reference values must be matched exactly (NaN ↔ NaN, ±Infinity ↔ same Infinity).
 */
import { expect } from "vitest";

export const LOSS_TOL = 1e-6;
export const GRAD_TOL = 5e-7;

export function lossError(actual: number, ref: number): number {
  if (Number.isNaN(ref)) return Number.isNaN(actual) ? 0 : Infinity;
  if (!Number.isFinite(ref)) return actual === ref ? 0 : Infinity;
  return Math.abs(actual - ref) / Math.max(1, Math.abs(ref));
}

export function expectLoss(actual: number, ref: number, what = "loss"): void {
  const e = lossError(actual, ref);
  if (!(e <= LOSS_TOL)) expect.fail(`${what}: got ${actual}, reference ${ref} (relative error ${e.toExponential(2)} > ${LOSS_TOL})`);
}

export function expectLosses(actual: ArrayLike<number>, ref: ArrayLike<number>, what = "row losses"): void {
  expect(actual.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) expectLoss(actual[i]!, ref[i]!, `${what}[${i}]`);
}

/** Largest gradient error in units of the bound (≤ 1 passes); throws on a non-finite mismatch. */
export function gradError(actual: ArrayLike<number>, ref: ArrayLike<number>, scale: number, what = "grad"): number {
  expect(actual.length, `${what} length`).toBe(ref.length);
  let maxRef = 0;
  for (let j = 0; j < ref.length; j++) if (Number.isFinite(ref[j]!)) maxRef = Math.max(maxRef, Math.abs(ref[j]!));
  const bound = GRAD_TOL * Math.max(scale, maxRef);
  let worst = 0;
  for (let j = 0; j < ref.length; j++) {
    const r = ref[j]!,
      a = actual[j]!;
    if (!Number.isFinite(r)) {
      if (Number.isNaN(r) ? !Number.isNaN(a) : a !== r) expect.fail(`${what}[${j}]: got ${a}, reference ${r}`);
      continue;
    }
    if (!Number.isFinite(a)) expect.fail(`${what}[${j}]: got ${a}, reference ${r}`);
    worst = Math.max(worst, Math.abs(a - r) / bound);
  }
  return worst;
}

export function expectGrad(actual: ArrayLike<number>, ref: ArrayLike<number>, scale: number, what = "grad"): void {
  const e = gradError(actual, ref, scale, what);
  if (!(e <= 1)) expect.fail(`${what}: max error is ${e.toFixed(2)}× the bound ${GRAD_TOL}·max(${scale}, max|ref|)`);
}
