// The bench's reference points below the public API, taken from the build by path (dist/memory.js),
// not from a public subpath: they are not part of softxent's contract (docs/spec.md), only yardsticks.
// - exp pass: `out = exp(x)` with the kernels' own vector exp — the compute bound of every
//   softmax-family kernel (one exp per element; docs/performance.md);
// - scale pass: `out = c·x`, one read and one write per element — the memory bound;
// - bare kernel: the fused cross-entropy kernel called straight on resident buffers, i.e.
//   `crossEntropy(z, y, { classes, smoothing, gradOut })` minus the facade's option handling.
//
// Preconditions (nothing is validated: these are for timing, and the suite checks every answer
// against the reference before timing): the buffers come from allocFloat32 / allocInt32 of the
// instance now loaded, have the right lengths (x, out: equal; logits, gradOut: N·K; labels: N with
// 0 ≤ label < K), and the exp pass gets x ≤ 0 (the softmax domain).
//
// dist/memory.js is the module dist/index.js itself imports (same URL), so `heap()` is the instance
// the public API loaded; a different copy would fail loudly ("not initialised") rather than time
// another instance.

import { pathToFileURL } from "node:url";
import { join } from "node:path";
import type { WasmBuffer } from "softxent";
import { repoRoot } from "./paths.js";

type MemoryModule = typeof import("../dist/memory.js");
type AbiModule = typeof import("../dist/abi.js");

export interface BenchKernels {
  /** out[j] = exp(x[j]) for x[j] ≤ 0, the kernels' vector exp. */
  expPass(x: WasmBuffer<Float32Array>, out: WasmBuffer<Float32Array>): void;
  /** out[j] = c·x[j]. */
  scalePass(x: WasmBuffer<Float32Array>, out: WasmBuffer<Float32Array>, c: number): void;
  /** Mean label-smoothed loss over N rows; the gradient goes to gradOut. */
  crossEntropyKernel(
    logits: WasmBuffer<Float32Array>,
    labels: WasmBuffer<Int32Array>,
    gradOut: WasmBuffer<Float32Array>,
    classes: number,
    smoothing: number,
  ): number;
}

let loaded: Promise<BenchKernels> | null = null;

/** Loads dist/memory.js and dist/abi.js (run `npm run build` first) and wraps the three exports. */
export function benchKernels(): Promise<BenchKernels> {
  loaded ??= (async () => {
    const url = pathToFileURL(join(repoRoot(), "dist", "memory.js")).href;
    const { heap } = (await import(url)) as MemoryModule;
    const { RESULT } = (await import(pathToFileURL(join(repoRoot(), "dist", "abi.js")).href)) as AbiModule;
    return {
      expPass(x, out) {
        heap("bench expPass").exports.expPass(x.byteOffset, out.byteOffset, x.length);
      },
      scalePass(x, out, c) {
        heap("bench scalePass").exports.scalePass(x.byteOffset, out.byteOffset, x.length, c);
      },
      crossEntropyKernel(logits, labels, gradOut, classes, smoothing) {
        const h = heap("bench crossEntropyKernel");
        const n = labels.length;
        // As crossEntropy passes them: uniform smoothing (others = 0), ignoreIndex −100, no weights,
        // no z-loss, reduction 'mean' (0), gradient on (g = gradOut, grad = 1), no per-row losses.
        const bad = h.exports.crossEntropyIndex(
          logits.byteOffset,
          labels.byteOffset,
          n,
          classes,
          smoothing,
          0,
          -100,
          0,
          0,
          0,
          0,
          gradOut.byteOffset,
          1,
          0,
        );
        if (bad >= 0) throw new RangeError(`bench crossEntropyKernel: labels[${bad}] out of range for K = ${classes}`);
        // The mean loss, from the results block (RESULTS in assembly/common.ts).
        return h.f64[(h.results >>> 3) + RESULT.loss]!;
      },
    };
  })();
  return loaded;
}
