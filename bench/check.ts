// The answer check every implementation passes before it is timed: loss and gradient against the
// double-precision reference (softxent/reference) on the same data.

/** Largest |a − b| over two arrays of the same length (Infinity when either holds a NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** |loss − ref| ÷ max(1, |ref|). */
export function lossRelErr(loss: number, ref: number): number {
  const e = Math.abs(loss - ref) / Math.max(1, Math.abs(ref));
  return Number.isNaN(e) ? Infinity : e;
}

/**
 * Tolerances of the check (loss: relative; gradient: max |Δg| ÷ max |g_ref|). softxent must stay
 * within 1e-4 (it is far below). A peer is timed when within 1e-2: the check is there to catch a
 * wrong computation (a missing 1/N, targets not smoothed: errors of 1e-1 and more), not to exclude a
 * less accurate one — onnxruntime-web and jax-js sum the loss in one f32 accumulator and miss by
 * ~1e-3 at 8×128000. Their errors are printed beside their times, and a peer past softxent's
 * tolerance gets a note.
 */
export const TOLERANCE = { softxent: 1e-4, peer: 1e-2 } as const;

export interface Check {
  loss: number | null;
  lossRelErr: number | null;
  maxAbsErr: number;
  /** maxAbsErr ÷ max |g_ref|. */
  gradRelErr: number;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function checkAgainst(loss: number, grad: ArrayLike<number>, ref: { loss: number; grad: ArrayLike<number> }): Check {
  const maxAbsErr = maxAbsDiff(grad, ref.grad);
  const scale = maxAbs(ref.grad);
  return { loss, lossRelErr: lossRelErr(loss, ref.loss), maxAbsErr, gradRelErr: scale > 0 ? maxAbsErr / scale : maxAbsErr };
}

export function passes(c: Check, tolerance: number): boolean {
  return (c.lossRelErr === null || c.lossRelErr <= tolerance) && c.gradRelErr <= tolerance;
}
