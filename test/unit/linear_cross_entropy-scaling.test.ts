/**
 * linearCrossEntropy applies 'mean' (1/Σw) and z-loss (λ/n) where they cannot overflow: the
 * loss kernel scales each gradient element in f64 before rounding, as crossEntropy does,
 * so tiny or huge class weights and huge zLoss give finite results wherever the f64 reference does —
 * on every build and on a threaded instance. Scaling by an f32 alpha after the products (as before)
 * gave ±Inf/NaN in every case below.
 */
import { afterAll, describe, it } from "vitest";
import { initSync, linearCrossEntropy } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { expectClose, expectLoss, INSTANCES } from "../helpers/linear-edges.js";
import { mulberry32, normal, randomLabels } from "../helpers/rng.js";

afterAll(() => initSync({ threads: 1 }));

describe.each(INSTANCES)("linearCrossEntropy scaling — $name", ({ init }) => {
  describe("'mean' and z-loss cannot overflow where the f64 reference is finite", () => {
    const N = 9,
      D = 5,
      V = 7;
    const rng = mulberry32(21);
    const base = () => {
      const hidden = Float32Array.from({ length: N * D }, () => normal(rng));
      const weight = Float32Array.from({ length: V * D }, () => normal(rng) / 2);
      const labels = randomLabels(rng, N, V, 0.2);
      labels[0] = 3;
      return { hidden, weight, labels };
    };
    const cases: [string, (b: ReturnType<typeof base>) => Record<string, unknown>][] = [
      // Σw = 9·1e-41 < 2.9e-39: 1/Σw is past the f32 range
      ["class weights summing below 2.9e-39", () => ({ classWeights: new Float32Array(V).fill(1e-41) })],
      ["subnormal class weights, 'target' mode", () => ({ classWeights: new Float32Array(V).fill(1e-41), classWeightMode: "target" })],
      // weights 1e20 and activations 1e19: Σw·(p − q)·h is past f32, the mean is not
      [
        "weights 1e20 with activations 1e19",
        (b) => {
          for (let e = 0; e < b.hidden.length; e++) b.hidden[e]! *= 1e19;
          for (let e = 0; e < b.weight.length; e++) b.weight[e]! *= 1e-19;
          return { classWeights: new Float32Array(V).fill(1e20) };
        },
      ],
      ["weights 1e30 (the cap) with zLoss 1e8", () => ({ classWeights: new Float32Array(V).fill(1e30), zLoss: 1e8 })],
      ["weights 1e30 with zLoss 1e9 and smoothing", () => ({ classWeights: new Float32Array(V).fill(1e30), zLoss: 1e9, smoothing: 0.1 })],
      ["zLoss 1e38, no weights", () => ({ zLoss: 1e38 })],
    ];
    for (const [what, extra] of cases) {
      for (const layout of ["vd", "dv"] as const) {
        it(`${what}, weightLayout '${layout}'`, () => {
          initSync(init);
          const b = base();
          const opts = { classes: V, weightLayout: layout, bias: Float32Array.from({ length: V }, () => normal(rng)), ...extra(b) };
          const want = ref.linearCrossEntropy(b.hidden, b.weight, b.labels, opts as ref.LinearCrossEntropyOptions);
          for (const chunkBytes of [4 * V * 2, 1 << 20]) {
            const got = linearCrossEntropy(b.hidden, b.weight, b.labels, { ...opts, chunkBytes } as { classes: number });
            const tag = `${what} (chunkBytes ${chunkBytes})`;
            expectLoss(got.loss, want.loss as number, tag);
            expectClose(got.gradHidden, want.gradHidden, `${tag} gradHidden`);
            expectClose(got.gradWeight, want.gradWeight, `${tag} gradWeight`);
            expectClose(got.gradBias, want.gradBias, `${tag} gradBias`);
          }
        });
      }
    }
  });
});
