/**
 * Property-based invariants that need no reference, on both builds:
 * - each gradient row sums to 0 (no z-loss; with or without weights, index or probability targets):
 *   Σ_j g_ij = s·(Σr·Σp − Σr) = 0 for every non-ignored row with finite logits;
 * - loss ≥ 0 for valid (non-negative) targets, unless a row has NaN/+Infinity logits;
 * - smoothTargets rows sum to 1 (ignored rows are all 0);
 * - permuting rows permutes the per-row losses ('none') and the gradient rows;
 * - 'sum' = Σ 'none';  'mean' = 'sum' / D (D = Σ w_{y_i} over non-ignored rows, or N), gradients too.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { backendInfo, crossEntropy, initSync, type CrossEntropyOptions } from "../../dist/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { FUZZ_TIMEOUT, fuzzParams } from "../helpers/fuzz.js";
import {
  ceCaseArb,
  gradBoundScale,
  gradScale,
  logitsOf,
  optionsOf,
  runCrossEntropy,
  tag,
  targetOf,
  type CeCase,
} from "../helpers/ce-case.js";
import { runSmooth, smoothCaseArb } from "../helpers/smooth-case.js";

const EPS32 = 2 ** -24;

/** Whether row i contributes (not ignored) and has finite logits (no NaN / +Infinity). */
function rowState(c: CeCase, i: number): "ignored" | "nonFinite" | "maskedTarget" | "ok" {
  const r = c.rows[i]!;
  if (c.kind === "index" && r.label === (c.ignoreIndex ?? -100)) return "ignored";
  if (r.z.some((v) => Number.isNaN(v) || v === Infinity)) return "nonFinite";
  if (r.z.every((v) => v === -Infinity)) return "maskedTarget";
  if (c.kind === "index" && r.z[r.label] === -Infinity) return "maskedTarget";
  return "ok";
}

/** An upper bound on the row's target mass Σ_j r_j (what the f32 rounding of its gradient scales with). */
function targetMass(c: CeCase, i: number): number {
  const wmax = c.weights ? Math.max(1, ...c.weights) : 1;
  if (c.kind === "index") return wmax;
  let t = 0;
  for (const v of c.rows[i]!.t) t += v;
  return wmax * ((1 - c.smoothing) * t + c.smoothing);
}

describe.each(BUILDS)("invariants without a reference — $name build", ({ simd }) => {
  beforeAll(() => {
    initSync({ simd });
    expect(backendInfo().simd).toBe(simd);
  });

  it(
    "every gradient row sums to 0 without z-loss",
    () => {
      const arb = ceCaseArb({ zLoss: false }).map((c) => ({ ...c, grad: true }));
      fc.assert(
        fc.property(arb, (c) => {
          const g = runCrossEntropy(c).grad!;
          const s = gradScale(c);
          for (let i = 0; i < c.rows.length; i++) {
            const state = rowState(c, i);
            const row = g.subarray(i * c.k, (i + 1) * c.k);
            if (state === "ignored") {
              for (const v of row) if (v !== 0) expect.fail(`${tag(c)}: ignored row ${i} has gradient ${v}`);
              continue;
            }
            if (state !== "ok") continue;
            let sum = 0,
              max = 0;
            for (const v of row) {
              sum += v;
              max = Math.max(max, Math.abs(v));
            }
            // Relative to the row's max |g|; floored at one f32 ulp of the row's target mass, since
            // p_y = 1 − δ rounds to 1 in f32 for a confident row (then max|g| ≈ δ, which f32 cannot hold).
            const tol = 4 * c.k * EPS32 * Math.max(max, s * targetMass(c, i));
            if (!(Math.abs(sum) <= tol)) expect.fail(`${tag(c)}: row ${i} gradient sums to ${sum} (max|g| = ${max}, tolerance ${tol})`);
          }
        }),
        fuzzParams(4000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "the loss is ≥ 0 for non-negative targets (NaN only from NaN/+Infinity rows)",
    () => {
      fc.assert(
        fc.property(ceCaseArb(), (c) => {
          const { loss } = runCrossEntropy(c);
          const states = c.rows.map((_, i) => rowState(c, i));
          const poisoned = states.includes("nonFinite") || (c.kind === "prob" && states.includes("maskedTarget"));
          const check = (v: number, i: number | null): void => {
            if (Number.isNaN(v)) {
              const ok = i === null ? poisoned : states[i] === "nonFinite" || (c.kind === "prob" && states[i] === "maskedTarget");
              if (!ok) expect.fail(`${tag(c)}: loss${i === null ? "" : `[${i}]`} is NaN without a NaN/+Infinity row`);
            } else if (!(v >= 0)) {
              expect.fail(`${tag(c)}: loss${i === null ? "" : `[${i}]`} = ${v} < 0`);
            }
          };
          if (loss instanceof Float32Array) loss.forEach((v, i) => check(v, i));
          else check(loss, null);
        }),
        fuzzParams(4000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "smoothTargets rows sum to 1 (ignored rows are all 0)",
    () => {
      fc.assert(
        fc.property(smoothCaseArb, (c) => {
          const q = runSmooth(c);
          const ig = c.ignoreIndex ?? -100;
          c.labels.forEach((y, i) => {
            let sum = 0;
            for (let j = 0; j < c.k; j++) sum += q[i * c.k + j]!;
            if (y === ig) {
              if (sum !== 0 || q.subarray(i * c.k, (i + 1) * c.k).some((v) => v !== 0)) expect.fail(`ignored row ${i} is not all 0`);
            } else if (!(Math.abs(sum - 1) <= 2 * c.k * EPS32)) {
              expect.fail(`row ${i} (label ${y}, K = ${c.k}, ε = ${c.smoothing}, ${c.smoothingMode}) sums to ${sum}`);
            }
          });
        }),
        fuzzParams(4000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "permuting rows permutes the per-row losses and the gradient rows ('none')",
    () => {
      const arb = ceCaseArb({ io: fc.constant("copy") })
        .map((c) => ({ ...c, reduction: "none" as const, grad: true }))
        .chain((c) => {
          const idx = c.rows.map((_, i) => i);
          return fc.tuple(fc.constant(c), fc.shuffledSubarray(idx, { minLength: idx.length, maxLength: idx.length }));
        });
      fc.assert(
        fc.property(arb, ([c, perm]) => {
          const a = runCrossEntropy(c);
          const p = runCrossEntropy({ ...c, rows: perm.map((i) => c.rows[i]!) });
          const la = a.loss as Float32Array;
          const want = Float32Array.from(perm, (i) => la[i]!);
          expectLosses(p.loss as Float32Array, want, `${tag(c)} permuted by ${perm}`);
          const g = new Float32Array(a.grad!.length);
          perm.forEach((src, dst) => g.set(a.grad!.subarray(src * c.k, (src + 1) * c.k), dst * c.k));
          expectGrad(p.grad!, g, 1, `${tag(c)} permuted gradient`);
        }),
        fuzzParams(2500),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "'sum' = Σ 'none', and 'mean' = 'sum' / D (losses and gradients)",
    () => {
      const arb = ceCaseArb({ zLoss: false, io: fc.constant("copy") }).map((c) => ({ ...c, grad: true }));
      fc.assert(
        fc.property(arb, (c) => {
          const z = logitsOf(c),
            t = targetOf(c);
          const none = crossEntropy(z, t, { ...optionsOf(c), reduction: "none" } as CrossEntropyOptions & { reduction: "none" });
          const sum = crossEntropy(z, t, { ...optionsOf(c), reduction: "sum" } as CrossEntropyOptions & { reduction: "sum" });
          const mean = crossEntropy(z, t, { ...optionsOf(c), reduction: "mean" } as CrossEntropyOptions & { reduction: "mean" });
          let total = 0;
          for (const v of none.loss as Float32Array) total += v;
          if (Number.isNaN(total)) expect(sum.loss).toBeNaN();
          else if (!Number.isFinite(total)) expect(sum.loss).toBe(total);
          else {
            let abs = 0;
            for (const v of none.loss as Float32Array) abs += Math.abs(v);
            const err = Math.abs((sum.loss as number) - total);
            if (!(err <= 1e-6 * Math.max(1, abs))) expect.fail(`${tag(c)}: 'sum' = ${sum.loss}, Σ 'none' = ${total}`);
          }
          expect(Array.from(none.grad!)).toEqual(Array.from(sum.grad!)); // both are ∂(Σ L_i)
          const s = gradScale({ ...c, reduction: "mean" }); // 1/D (or 1/N), or 1 when D = 0
          const d = 1 / s;
          const empty =
            c.kind === "index"
              ? c.rows.every((r, i) => rowState(c, i) === "ignored" || (c.weights?.[r.label] ?? 1) === 0)
              : c.rows.length === 0;
          if (empty) {
            expect(mean.loss).toBe(0);
            for (const v of mean.grad!) if (v !== 0) expect.fail(`${tag(c)}: D = 0 but the 'mean' gradient has ${v}`);
            return;
          }
          expectLoss(mean.loss as number, (sum.loss as number) / d, `${tag(c)} 'mean' vs 'sum'/D`);
          expectGrad(
            mean.grad!,
            Float64Array.from(sum.grad!, (v) => v / d),
            gradBoundScale({ ...c, reduction: "mean" }),
            `${tag(c)} 'mean' gradient vs 'sum'/D`,
          );
        }),
        fuzzParams(2500),
      );
    },
    FUZZ_TIMEOUT,
  );
});
