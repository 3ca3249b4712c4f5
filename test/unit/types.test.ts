/**
 * The result types fit strict code (docs/api.md): gradients are
 * Float32Array unless `grad: false` is passed (then null), for crossEntropy, sigmoidCrossEntropy,
 * distillation and linearCrossEntropy, so `result.grad[0]` needs no `!`. Checked by tsc (`npm test`
 * type-checks test/): expectTypeOf is a compile-time assertion; the calls also run, and their
 * runtime values agree with the types.
 */
import { beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  type CrossEntropyOptions,
  crossEntropy,
  distillation,
  init,
  type LinearCrossEntropyOptions,
  linearCrossEntropy,
  sigmoidCrossEntropy,
} from "../../dist/index.js";

beforeAll(async () => {
  await init();
});

const K = 3;
const z = new Float32Array([2, 0.5, -1, 0.1, 0.2, 3]);
const y = new Int32Array([0, 2]);

describe("gradient types follow the grad option", () => {
  it("crossEntropy", () => {
    const a = crossEntropy(z, y, { classes: K, smoothing: 0.1 });
    expectTypeOf(a.grad).toEqualTypeOf<Float32Array>();
    expectTypeOf(a.loss).toEqualTypeOf<number>();
    const b = crossEntropy(z, y, { classes: K, grad: false });
    expectTypeOf(b.grad).toEqualTypeOf<null>();
    const c = crossEntropy(z, y, { classes: K, reduction: "none", grad: true });
    expectTypeOf(c.grad).toEqualTypeOf<Float32Array>();
    expectTypeOf(c.loss).toEqualTypeOf<Float32Array>();
    const d = crossEntropy(z, y, { classes: K, reduction: "none", grad: false });
    expectTypeOf(d.grad).toEqualTypeOf<null>();
    const opts: CrossEntropyOptions = { classes: K };
    expectTypeOf(crossEntropy(z, y, opts).grad).toEqualTypeOf<Float32Array | null>(); // grad?: boolean: either
    expect(a.grad[0]).toBeTypeOf("number"); // no `!` needed under strict
    expect(b.grad).toBeNull();
    expect(d.grad).toBeNull();
    expect(c.loss).toBeInstanceOf(Float32Array);
  });

  it("sigmoidCrossEntropy (options optional)", () => {
    const t = new Float32Array(z.length).fill(0.5);
    expectTypeOf(sigmoidCrossEntropy(z, t).grad).toEqualTypeOf<Float32Array>();
    expectTypeOf(sigmoidCrossEntropy(z, t, { smoothing: 0.1 }).grad).toEqualTypeOf<Float32Array>();
    expectTypeOf(sigmoidCrossEntropy(z, t, { grad: false }).grad).toEqualTypeOf<null>();
    expectTypeOf(sigmoidCrossEntropy(z, t, { reduction: "none" }).loss).toEqualTypeOf<Float32Array>();
    expect(sigmoidCrossEntropy(z, t).grad.length).toBe(z.length);
    expect(sigmoidCrossEntropy(z, t, { grad: false }).grad).toBeNull();
  });

  it("distillation", () => {
    const r = distillation(
      z,
      z.map((v) => -v),
      { classes: K, temperature: 2 },
    );
    expectTypeOf(r.grad).toEqualTypeOf<Float32Array>();
    expectTypeOf(distillation(z, z, { classes: K, grad: false }).grad).toEqualTypeOf<null>();
    expect(r.grad.length).toBe(z.length);
  });

  it("linearCrossEntropy: gradHidden/gradWeight, and gradBias by the bias", () => {
    const hidden = new Float32Array([1, 2, 3, 4]);
    const weight = new Float32Array([1, 0, 0, 1, 1, 1]); // V×D = 3×2
    const bias = new Float32Array(3);
    const a = linearCrossEntropy(hidden, weight, y, { classes: K });
    expectTypeOf(a.gradHidden).toEqualTypeOf<Float32Array>();
    expectTypeOf(a.gradWeight).toEqualTypeOf<Float32Array>();
    expectTypeOf(a.gradBias).toEqualTypeOf<null>();
    const b = linearCrossEntropy(hidden, weight, y, { classes: K, bias });
    expectTypeOf(b.gradBias).toEqualTypeOf<Float32Array>();
    const c = linearCrossEntropy(hidden, weight, y, { classes: K, bias, grad: false });
    expectTypeOf(c.gradHidden).toEqualTypeOf<null>();
    expectTypeOf(c.gradBias).toEqualTypeOf<null>();
    const opts: LinearCrossEntropyOptions = { classes: K };
    expectTypeOf(linearCrossEntropy(hidden, weight, y, opts).gradBias).toEqualTypeOf<Float32Array | null>();
    expect(a.gradHidden.length).toBe(4);
    expect(a.gradBias).toBeNull();
    expect(b.gradBias.length).toBe(3);
    expect(c.gradHidden).toBeNull();
  });
});
