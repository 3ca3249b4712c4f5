/**
 * Small seeded random helpers for tests (deterministic across runs and machines).
 *
 *   const rng = mulberry32(42);
 *   rng();                                         // uniform in [0, 1)
 *   normal(rng);                                   // standard normal N(0, 1)
 *   randomLogits(rng, n, k, 3, 0);                 // Float32Array of n·k draws of offset + scale·N(0,1)
 *   randomLabels(rng, n, k, 0.1, -100);            // Int32Array, ~10% of rows set to ignoreIndex
 */

// The generator and the normal draw are the trainer's (examples/trainer/rng.ts): one implementation.
import { mulberry32, normal } from "../../examples/trainer/rng.js";
export { mulberry32, normal };

/** n·k logits, each offset + scale·N(0, 1), rounded to f32. */
export function randomLogits(rng: () => number, n: number, k: number, scale = 3, offset = 0): Float32Array {
  const out = new Float32Array(n * k);
  for (let e = 0; e < out.length; e++) out[e] = offset + scale * normal(rng);
  return out;
}

/** n labels uniform in [0, k); each row is replaced by ignoreIndex with probability ignoreFraction. */
export function randomLabels(rng: () => number, n: number, k: number, ignoreFraction = 0, ignoreIndex = -100): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.min(k - 1, Math.floor(rng() * k));
    out[i] = rng() < ignoreFraction ? ignoreIndex : y;
  }
  return out;
}
