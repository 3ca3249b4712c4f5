/**
 * crossEntropy's and sigmoidCrossEntropy's `focal` option against PyTorch autograd
 * (test/fixtures/focal-torch.json, from scripts/torch-focal-fixtures.py): the focal loss composed from
 * torch ops in float64, an oracle independent of softxent's kernels and of its f64 reference. Every build
 * of test/helpers/builds.ts (relaxed via parity/relaxed.test.ts), within docs/spec.md "Accuracy":
 * index and probability targets, 'uniform' smoothing, scalar and per-class α, γ ∈ {0, 1, 1.5, 2, 3} and
 * FLSD-53, every reduction, ignored rows, rows of ±30 logits and confident rows (relative bar
 * (1 + γ)·1e-5 on their own loss, docs/spec.md "focal").
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { backendInfo, crossEntropy, initSync, sigmoidCrossEntropy } from "../../dist/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss, expectLosses, gradError, lossError } from "../helpers/compare.js";

interface FixtureCase {
  kind: "softmax" | "sigmoid";
  n: number;
  k: number;
  logits: number[];
  target: number[];
  targetKind?: "index" | "probability";
  options: {
    classes: number;
    smoothing: number;
    reduction: "mean" | "sum" | "none";
    focal: { gamma: number | "flsd-53"; alpha?: number | number[] };
  };
  confidentRow?: number | null;
  loss: number | number[];
  grad: number[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const fixture = JSON.parse(readFileSync(join(root, "test/fixtures/focal-torch.json"), "utf8")) as { torch: string; cases: FixtureCase[] };

function gradScale(c: FixtureCase): number {
  if (c.options.reduction !== "mean") return 1;
  if (c.kind === "sigmoid") return 1 / (c.n * c.k);
  if (c.targetKind === "probability") return 1 / c.n;
  const kept = c.target.filter((v) => v !== -100).length;
  return kept > 0 ? 1 / kept : 1;
}

function run(c: FixtureCase): { loss: number | Float32Array; grad: Float32Array } {
  const z = Float32Array.from(c.logits);
  const focal = {
    ...c.options.focal,
    ...(Array.isArray(c.options.focal.alpha) ? { alpha: Float32Array.from(c.options.focal.alpha) } : {}),
  };
  const options = { ...c.options, focal };
  if (c.kind === "sigmoid") {
    const out = sigmoidCrossEntropy(z, Float32Array.from(c.target), options as never) as {
      loss: number | Float32Array;
      grad: Float32Array | null;
    };
    return { loss: out.loss, grad: out.grad! };
  }
  const target = c.targetKind === "probability" ? Float32Array.from(c.target) : Int32Array.from(c.target);
  const out = crossEntropy(z, target, options as never);
  return { loss: out.loss as number | Float32Array, grad: out.grad! };
}

describe("the PyTorch fixture", () => {
  it("covers both kinds, every reduction, FLSD-53, probability targets, ignored and confident rows", () => {
    const cs = fixture.cases;
    expect(fixture.torch).toMatch(/^\d+\.\d+/);
    expect(cs.length).toBeGreaterThanOrEqual(12);
    expect(new Set(cs.map((c) => c.kind))).toEqual(new Set(["softmax", "sigmoid"]));
    expect(new Set(cs.map((c) => c.options.reduction))).toEqual(new Set(["mean", "sum", "none"]));
    expect(cs.some((c) => c.options.focal.gamma === "flsd-53")).toBe(true);
    expect(cs.some((c) => c.targetKind === "probability")).toBe(true);
    expect(cs.some((c) => c.targetKind === "index" && c.target.includes(-100))).toBe(true);
    expect(cs.some((c) => typeof c.confidentRow === "number")).toBe(true);
    for (const c of cs) expect(c.grad.length).toBe(c.n * c.k);
  });
});

for (const build of BUILDS) {
  describe(`focal parity against PyTorch autograd (${build.name})`, () => {
    it("runs on the build it names", () => {
      initSync({ simd: build.simd });
      expect(backendInfo().build).toBe(build.name);
    });

    it(`loss and gradient of every case within the contract (torch ${fixture.torch})`, () => {
      initSync({ simd: build.simd });
      let worstLoss = 0;
      let worstGrad = 0;
      fixture.cases.forEach((c, i) => {
        const what = `case ${i} (${c.kind} ${c.n}×${c.k} ${JSON.stringify(c.options.focal)} ${c.options.reduction})`;
        const a = run(c);
        if (Array.isArray(c.loss)) {
          expectLosses(a.loss as Float32Array, c.loss, `${what} loss`);
          for (let r = 0; r < c.loss.length; r++) worstLoss = Math.max(worstLoss, lossError((a.loss as Float32Array)[r]!, c.loss[r]!));
        } else {
          expectLoss(a.loss as number, c.loss, `${what} loss`);
          worstLoss = Math.max(worstLoss, lossError(a.loss as number, c.loss));
        }
        expectGrad(a.grad, c.grad, gradScale(c), `${what} grad`);
        worstGrad = Math.max(worstGrad, gradError(a.grad, c.grad, gradScale(c)));
      });
      console.log(
        `[${build.name}] worst loss error ${worstLoss.toExponential(2)} (bound 1e-6), worst gradient error ${worstGrad.toFixed(3)}× the bound`,
      );
    });

    it("confident rows alone: relative loss error ≤ (1 + γ)·1e-5, gradient within the bound", () => {
      initSync({ simd: build.simd });
      let checked = 0;
      let tiny = 0; // rows whose loss is all focal-suppressed (no smoothing mass off the label)
      for (const c of fixture.cases) {
        if (typeof c.confidentRow !== "number" || !Array.isArray(c.loss)) continue;
        const r = c.confidentRow;
        const a = run(c);
        const ref = c.loss[r]!;
        expect(ref).toBeGreaterThan(0);
        if (ref < 1e-6) tiny++;
        const got = (a.loss as Float32Array)[r]!;
        const g = c.options.focal.gamma === "flsd-53" ? 5 : c.options.focal.gamma;
        const rel = Math.abs(got - ref) / ref;
        if (!(rel <= (1 + g) * 1e-5)) expect.fail(`confident row ${r}: ${got} vs ${ref} (relative ${rel})`);
        const k = c.k;
        expectGrad(a.grad.subarray(r * k, (r + 1) * k), c.grad.slice(r * k, (r + 1) * k), 1, "confident row grad");
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(2);
      expect(tiny).toBeGreaterThanOrEqual(1);
    });
  });
}
