/**
 * The `focal` option (docs/spec.md "focal"): published values of Keras 3 (CategoricalFocalCrossentropy,
 * BinaryFocalCrossentropy: its tests and docs) and of torchvision's sigmoid_focal_loss formula, on
 * every build and in the reference; the parameter block's offsets agree between assembly/focal_params.ts
 * and src/abi.ts; bad focal options are clear errors and leave the library working.
 *
 * Keras takes probabilities or logits; a probability row p is given here as the logits log p (softmax
 * of log p is p renormalised, which is what Keras does to its input), a binary probability p as
 * log(p / (1 − p)). Keras clips probabilities to [1e-7, 1 − 1e-7]; none of these inputs reaches the clip.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backendInfo, crossEntropy, initSync, sigmoidCrossEntropy } from "../../dist/index.js";
import { FOCAL_SCHEDULE } from "../../src/abi.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";

const logits = (rows: number[][]): Float32Array => Float32Array.from(rows.flat().map(Math.log));
const logit = (ps: number[]): Float32Array => Float32Array.from(ps.map((p) => Math.log(p / (1 - p))));

interface Known {
  name: string;
  run: (ce: typeof crossEntropy, sce: typeof sigmoidCrossEntropy) => number | Float32Array | Float64Array;
  expected: number | number[];
  /** Absolute tolerance: the last digit the source publishes (plus 1e-6 relative: Keras computes in f32). */
  tol: number;
}

const KERAS_ALPHA = 0.25;
const KNOWN: Known[] = [
  {
    name: "Keras CategoricalFocalCrossentropy docs: probabilities, reduction none",
    run: (ce) =>
      ce(
        logits([
          [0.05, 0.9, 0.05],
          [0.1, 0.85, 0.05],
        ]),
        new Int32Array([1, 2]),
        { classes: 3, reduction: "none", focal: { gamma: 2, alpha: KERAS_ALPHA } },
      ).loss,
    expected: [2.6340148e-4, 6.7591208e-1],
    tol: 1e-9,
  },
  {
    name: "Keras test: logits, reduction none",
    run: (ce) =>
      ce(new Float32Array([8, 1, 1, 0, 9, 1, 2, 3, 5]), new Int32Array([0, 1, 2]), {
        classes: 3,
        reduction: "none",
        focal: { gamma: 2, alpha: KERAS_ALPHA },
      }).loss,
    expected: [1.5096224e-9, 2.4136547e-11, 1.0360638e-3],
    tol: 1e-12,
  },
  {
    name: "Keras test: logits, sum over batch size",
    run: (ce) =>
      ce(new Float32Array([8, 1, 1, 0, 9, 1, 2, 3, 5]), new Int32Array([0, 1, 2]), { classes: 3, focal: { gamma: 2, alpha: KERAS_ALPHA } })
        .loss,
    expected: 0.000345,
    tol: 1e-6,
  },
  {
    name: "Keras test: probabilities (a row not summing to 1), mean",
    run: (ce) =>
      ce(
        logits([
          [0.9, 0.05, 0.05],
          [0.5, 0.89, 0.6],
          [0.05, 0.01, 0.94],
        ]),
        new Int32Array([0, 1, 2]),
        { classes: 3, focal: { gamma: 2, alpha: KERAS_ALPHA } },
      ).loss,
    expected: 0.02059,
    tol: 1e-5,
  },
  {
    name: "Keras test: label_smoothing 0.1 on logits (one-hot as probability targets)",
    run: (ce) =>
      ce(new Float32Array([4.9, -0.5, 2.05]), new Float32Array([1, 0, 0]), {
        classes: 3,
        smoothing: 0.1,
        focal: { gamma: 2, alpha: KERAS_ALPHA },
      }).loss,
    expected: 0.06685,
    tol: 1e-5,
  },
  {
    name: "Keras test: label_smoothing 0.1 on logits (index target)",
    run: (ce) =>
      ce(new Float32Array([4.9, -0.5, 2.05]), new Int32Array([0]), { classes: 3, smoothing: 0.1, focal: { gamma: 2, alpha: KERAS_ALPHA } })
        .loss,
    expected: 0.06685,
    tol: 1e-5,
  },
  {
    name: "Keras BinaryFocalCrossentropy test: probabilities, γ = 2, mean",
    run: (_, sce) => sce(logit([0.9, 0.8, 0.7, 0.2]), new Float32Array([1, 0, 1, 0]), { focal: { gamma: 2 } }).loss,
    expected: 0.268,
    tol: 1e-3,
  },
  {
    name: "Keras BinaryFocalCrossentropy test: reduction none (the mean of each row of 2)",
    run: (_, sce) => {
      const l = sce(logit([0.9, 0.8, 0.7, 0.2]), new Float32Array([1, 0, 1, 0]), { reduction: "none", focal: { gamma: 2 } })
        .loss as Float32Array;
      return Float64Array.from([(l[0]! + l[1]!) / 2, (l[2]! + l[3]!) / 2]);
    },
    expected: [0.515547, 0.020513],
    tol: 1e-6,
  },
  {
    name: "Keras BinaryFocalCrossentropy test: logits, γ = 3",
    run: (_, sce) =>
      sce(new Float32Array([1.5, -2.7, 2.9, -3.8, 1.2, -4.5]), new Float32Array([1, 1, 0, 0, 1, 0]), { focal: { gamma: 3 } }).loss,
    expected: 0.799,
    tol: 1e-3,
  },
  {
    name: "Keras BinaryFocalCrossentropy docs: logits, γ = 2",
    run: (_, sce) => sce(new Float32Array([-18.6, 0.51, 2.94, -12.8]), new Float32Array([0, 1, 0, 0]), { focal: { gamma: 2 } }).loss,
    expected: 0.691,
    tol: 1e-3,
  },
  {
    name: "Keras binary_focal_crossentropy docs: probabilities, per row",
    run: (_, sce) => {
      const l = sce(logit([0.6, 0.4, 0.4, 0.6]), new Float32Array([0, 1, 0, 0]), { reduction: "none", focal: { gamma: 2 } })
        .loss as Float32Array;
      return Float64Array.from([(l[0]! + l[1]!) / 2, (l[2]! + l[3]!) / 2]);
    },
    expected: [0.33, 0.206],
    tol: 1e-3,
  },
  {
    name: "torchvision sigmoid_focal_loss formula (α = 0.25, γ = 2, mean): x = −1, t = 0 (luxonis-train test)",
    run: (_, sce) => sce(new Float32Array(32).fill(-1), new Float32Array(32), { focal: { gamma: 2, alpha: 0.25 } }).loss,
    expected: 0.017,
    tol: 1e-4,
  },
  {
    name: "torchvision sigmoid_focal_loss formula (α = 0.25, γ = 2, mean): mmpretrain's FocalLoss test",
    run: (_, sce) =>
      sce(new Float32Array([5, -5, 0, 5, -5, 0]), new Float32Array([1, 0, 1, 0, 1, 0]), { focal: { gamma: 2, alpha: 0.25 } }).loss,
    expected: 0.8522,
    tol: 1e-4,
  },
];

function expectClose(got: number | ArrayLike<number>, expected: number | number[], tol: number, what: string): void {
  const g = typeof got === "number" ? [got] : Array.from(got);
  const e = typeof expected === "number" ? [expected] : expected;
  expect(g.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(g[i]! - e[i]!) <= tol + 1e-6 * Math.abs(e[i]!))) {
      expect.fail(`${what}[${i}]: got ${g[i]}, published ${e[i]} (tolerance ${tol})`);
    }
  }
}

describe("focal: published values", () => {
  it("the reference reproduces them", () => {
    for (const k of KNOWN) {
      const got = k.run(ref.crossEntropy as never, ref.sigmoidCrossEntropy as never);
      expectClose(got as never, k.expected, k.tol, `reference: ${k.name}`);
    }
  });
  for (const build of BUILDS) {
    it(`every kernel reproduces them (${build.name})`, () => {
      initSync({ simd: build.simd });
      expect(backendInfo().build).toBe(build.name);
      for (const k of KNOWN) expectClose(k.run(crossEntropy, sigmoidCrossEntropy) as never, k.expected, k.tol, `${build.name}: ${k.name}`);
    });
  }
});

describe("focal: the γ schedules", () => {
  it("src/abi.ts mirrors assembly/focal_params.ts (the blocks' focal fields: test/unit/threads-abi.test.ts)", () => {
    const src = readFileSync(new URL("../../assembly/focal_params.ts", import.meta.url), "utf8");
    const constant = (name: string): number => {
      const m = new RegExp(`export const ${name}: \\w+ = (-?\\d+);`).exec(src);
      if (!m) throw new Error(`${name} not found in assembly/focal_params.ts`);
      return Number(m[1]);
    };
    expect(FOCAL_SCHEDULE.fixed).toBe(constant("FOCAL_GAMMA_FIXED"));
    expect(FOCAL_SCHEDULE.flsd53).toBe(constant("FOCAL_GAMMA_FLSD53"));
    expect(FOCAL_SCHEDULE.fixed).not.toBe(FOCAL_SCHEDULE.flsd53);
  });
});

describe("focal: bad options", () => {
  const z = new Float32Array([1, 2, 3, 4, 5, 6]);
  const y = new Int32Array([0, 2]);
  it("names the function, the option, what was expected and what was received; the library keeps working", () => {
    initSync({ simd: true });
    const ce = (focal: unknown) => () => crossEntropy(z, y, { classes: 3, focal } as never);
    expect(ce(3)).toThrow(TypeError);
    expect(ce(3)).toThrow(/softxent\.crossEntropy: options\.focal must be an object/);
    expect(ce({ gamma: -1 })).toThrow(/options\.focal\.gamma must be in \[0, 100\]; received -1/);
    expect(ce({ gamma: Number.NaN })).toThrow(RangeError);
    expect(ce({ gamma: "flsd" })).toThrow(/must be a number ≥ 0 or 'flsd-53'; received 'flsd'|received "flsd"|received flsd/);
    expect(ce({})).toThrow(TypeError);
    expect(ce({ gamma: 2, alpha: new Float32Array(2) })).toThrow(/focal\.alpha\.length must be 3/);
    expect(ce({ gamma: 2, alpha: [1, -1, 1] })).toThrow(/focal\.alpha\[1\] = -1/);
    expect(ce({ gamma: 2, alpha: "x" })).toThrow(TypeError);
    expect(ce({ gamma: 2, beta: 1 })).toThrow(/unknown option 'focal\.beta'/);
    const sce = (focal: unknown) => () => sigmoidCrossEntropy(z, new Float32Array(6), { focal } as never);
    expect(sce({ gamma: "flsd-53" })).toThrow(/softxent\.sigmoidCrossEntropy: options\.focal\.gamma must be a number ≥ 0/);
    expect(sce({ gamma: 2, alpha: 1.5 })).toThrow(/focal\.alpha must be in \[0, 1\]/);
    expect(sce({ gamma: 2, alpha: new Float32Array(6) })).toThrow(TypeError);
    // and then a valid call is right
    const r = crossEntropy(z, y, { classes: 3, focal: { gamma: 2 } });
    const e = ref.crossEntropy(z, y, { classes: 3, focal: { gamma: 2 } });
    expect(Math.abs((r.loss as number) - (e.loss as number))).toBeLessThan(1e-6);
  });
});
