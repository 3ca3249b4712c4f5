/**
 * linearCrossEntropy's ignored rows contribute nothing, whatever their hidden state or the weight
 * holds (docs/non-finite.md "linearCrossEntropy"): NaN and ±Infinity activations in
 * padding rows (at chunk starts, ends, in runs) leave gradWeight / gradBias equal to the reference's,
 * and ignored rows' gradHidden is exactly 0 even next to a NaN weight row. Every build and a threaded
 * instance.
 */
import { afterAll, describe, expect, it } from "vitest";
import { initSync, linearCrossEntropy } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { expectClose, expectLoss, INSTANCES } from "../helpers/linear-edges.js";
import { mulberry32, normal, randomLabels } from "../helpers/rng.js";

afterAll(() => initSync({ threads: 1 }));

describe.each(INSTANCES)("linearCrossEntropy ignored rows — $name", ({ init }) => {
  describe("ignored rows contribute nothing, whatever their hidden state or the weight holds", () => {
    for (const [V, D] of [
      [11, 6], // small V: the loss kernel's four-row tiles
      [150, 9],
    ] as const) {
      for (const layout of ["vd", "dv"] as const) {
        it(`non-finite hidden in ignored rows (V = ${V}, '${layout}'): gradients finite, equal to the reference`, () => {
          initSync(init);
          const N = 23;
          const rng = mulberry32(V + D);
          const hidden = Float32Array.from({ length: N * D }, () => normal(rng));
          const weight = Float32Array.from({ length: V * D }, () => normal(rng) / Math.sqrt(D));
          const labels = randomLabels(rng, N, V, 0);
          // ignored rows with garbage: first row, a run, rows at the chunk boundaries, the last row
          const bad: [number, number][] = [
            [0, Number.NaN],
            [5, Number.POSITIVE_INFINITY],
            [6, Number.NEGATIVE_INFINITY],
            [7, Number.NaN],
            [12, Number.NaN],
            [22, Number.POSITIVE_INFINITY],
          ];
          for (const [i, x] of bad) {
            labels[i] = -100;
            hidden.fill(0.5, i * D, (i + 1) * D);
            hidden[i * D + (i % D)] = x;
          }
          const bias = Float32Array.from({ length: V }, () => normal(rng));
          const clean = hidden.slice();
          for (const [i] of bad) clean.fill(0, i * D, (i + 1) * D);
          for (const reduction of ["mean", "sum"] as const) {
            const opts = { classes: V, weightLayout: layout, bias, reduction, smoothing: 0.1 };
            const want = ref.linearCrossEntropy(clean, weight, labels, opts);
            for (const chunkBytes of [4 * V * 6, 4 * V * 7, 1 << 20]) {
              const got = linearCrossEntropy(hidden, weight, labels, { ...opts, chunkBytes });
              const tag = `${reduction}, chunkBytes ${chunkBytes}`;
              expectLoss(got.loss, want.loss as number, tag);
              expectClose(got.gradWeight, want.gradWeight, `${tag} gradWeight`);
              expectClose(got.gradBias, want.gradBias, `${tag} gradBias`);
              expectClose(got.gradHidden, want.gradHidden, `${tag} gradHidden`);
              for (const [i] of bad) for (let k = 0; k < D; k++) expect(Object.is(got.gradHidden![i * D + k], 0), `row ${i}`).toBe(true);
            }
          }
        });
      }
    }

    it("a NaN weight row leaves ignored rows' gradHidden exactly 0 (and all-ignored calls entirely 0)", () => {
      initSync(init);
      const N = 8,
        D = 4,
        V = 6;
      const rng = mulberry32(3);
      const hidden = Float32Array.from({ length: N * D }, () => normal(rng));
      const weight = Float32Array.from({ length: V * D }, () => normal(rng));
      weight.fill(Number.NaN, 2 * D, 3 * D);
      weight[4 * D + 1] = Number.POSITIVE_INFINITY;
      const labels = new Int32Array(N).fill(-100);
      labels[1] = 0;
      labels[6] = 5;
      const r = linearCrossEntropy(hidden, weight, labels, { classes: V, reduction: "sum" });
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < D; k++) {
          const g = r.gradHidden![i * D + k]!;
          if (labels[i] === -100) expect(Object.is(g, 0), `ignored row ${i}: ${g}`).toBe(true);
          else expect(Number.isNaN(g), `row ${i} propagates the NaN weight`).toBe(true);
        }
      }
      // every row ignored: the call is exactly zero, as the reference
      labels.fill(-100);
      for (const reduction of ["sum", "mean"] as const) {
        const z = linearCrossEntropy(hidden, weight, labels, { classes: V, reduction });
        expect(z.loss).toBe(0);
        expect(z.gradHidden!.every((g) => Object.is(g, 0))).toBe(true);
        expect(z.gradWeight!.every((g) => Object.is(g, 0))).toBe(true);
      }
    });
  });
});
