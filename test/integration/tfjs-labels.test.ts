/**
 * The TF.js adapters' inputs and messages, on TF.js's cpu and wasm backends:
 * - label conversion is exact: a label an Int32 cannot hold (2^31, 2^32 + 3, …) is refused with its
 *   real value (a plain Int32 store trained 2^32 + 3 as class 3 and reported 2^31 as −2147483648);
 *   property: every label in a set of boundary values gives exactly what the same label in an
 *   Int32Array gives, or that refusal;
 * - string labels are a TypeError naming the dtype (not a wrong value, not TF.js's "Unknown dtype");
 * - before init() the message names the adapter's function (not allocFloat32);
 * - init() replacing the core between a loss and its gradient says so (not "WasmBuffer has been
 *   released");
 * - linearSoftmaxCrossEntropy forwards ignoreIndex (the audit's missed mutation: tests used only −100).
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { initSync } from "../../dist/index.js";
import { linearSoftmaxCrossEntropy, softmaxCrossEntropy } from "../../dist/tfjs.js";
import * as reference from "../../src/reference/index.js";
import { mulberry32, normal } from "../helpers/rng.js";

const K = 5;
const rng = mulberry32(612);
const logitsData = Float32Array.from({ length: 3 * K }, () => 2 * normal(rng));

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return "(no error)";
}

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("cpu")).toBe(true);
});

// First, before anything calls init(): this file's module instance has no core yet.
describe("before init()", () => {
  it("the adapters name themselves, not an allocation inside them", () => {
    const z = tf.tensor2d(logitsData, [3, K]);
    const m1 = messageOf(() => softmaxCrossEntropy(tf, [0, 1, 2], z));
    expect(m1).toMatch(/^Error: softxent\.tfjs\.softmaxCrossEntropy: the wasm core is not loaded; call `await init\(\)`/);
    expect(m1).not.toMatch(/allocFloat32/);
    const m2 = messageOf(() => linearSoftmaxCrossEntropy(tf, tf.ones([2, 3]), tf.ones([3, K]), null, [0, 1]));
    expect(m2).toMatch(/^Error: softxent\/tfjs linearSoftmaxCrossEntropy: the wasm core is not loaded; call `await init\(\)`/);
    expect(m2).not.toMatch(/allocFloat32/);
  });
});

describe.each(["cpu", "wasm"])("TF.js %s backend", (backend) => {
  beforeAll(async () => {
    initSync();
    expect(await tf.setBackend(backend)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  const lossWith = (labels: number[] | Int32Array | tf.Tensor) =>
    tf.tidy(() => softmaxCrossEntropy(tf, labels, tf.tensor2d(logitsData, [3, K]), { reduction: "sum" }).dataSync()[0]!);

  it("labels an Int32 cannot hold are refused with their real value", () => {
    for (const bad of [2 ** 32 + 3, 2 ** 31, -(2 ** 31) - 1, 2 ** 53]) {
      const m = messageOf(() => lossWith([0, bad, 1]));
      expect(m).toMatch(
        new RegExp(`^RangeError: softxent\\.tfjs\\.softmaxCrossEntropy: labels\\[1\\] = ${bad} is out of range for classes = ${K}`),
      );
      const ml = messageOf(() => linearSoftmaxCrossEntropy(tf, tf.ones([3, 2]), tf.ones([2, K]), null, [0, 1, bad]));
      expect(ml).toMatch(new RegExp(`^RangeError: softxent/tfjs linearSoftmaxCrossEntropy: labels\\[2\\] = ${bad} is out of range`));
    }
    // a float32 tensor carries 2^32 + 3 as 4294967296: that value is the one reported
    const mt = messageOf(() => lossWith(tf.tensor1d([0, 2 ** 32 + 3, 1], "float32")));
    expect(mt).toMatch(/labels\[1\] = 4294967296 is out of range/);
  });

  it("property: every boundary label behaves as the same label in an Int32Array, or is refused with its real value", () => {
    const values = [-(2 ** 53), -(2 ** 31) - 1, -(2 ** 31), -101, -100, -1, 0, K - 1, K, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 3];
    for (const v of values) {
      const arr = [1, v, 2];
      const fits = v >= -(2 ** 31) && v < 2 ** 31;
      const got = messageOf(() => lossWith(arr)),
        asInt32 = messageOf(() => lossWith(Int32Array.from(arr)));
      if (!fits) {
        expect(got, `${v}`).toMatch(new RegExp(`labels\\[1\\] = ${v} is out of range`));
        continue;
      }
      expect(got, `${v}`).toBe(asInt32); // both "(no error)", or the same kernel message with the same value
      if (got === "(no error)") {
        expect(lossWith(arr)).toBe(lossWith(Int32Array.from(arr)));
        const want = reference.crossEntropy(logitsData, Int32Array.from(arr), { classes: K, targetKind: "index", reduction: "sum" })
          .loss as number;
        expect(Math.abs(lossWith(arr) - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      } else expect(got).toContain(`= ${v} is out of range`);
    }
  });

  it("string labels are a TypeError naming the dtype", () => {
    const s = tf.tensor1d(["0", "1", "2"], "string");
    expect(messageOf(() => lossWith(s))).toMatch(
      /^TypeError: softxent\.tfjs\.softmaxCrossEntropy: labels must be a numeric tensor .*dtype 'string'/,
    );
    expect(messageOf(() => linearSoftmaxCrossEntropy(tf, tf.ones([3, 2]), tf.ones([2, K]), null, s))).toMatch(
      /^TypeError: softxent\/tfjs linearSoftmaxCrossEntropy: labels must be a numeric tensor .*dtype 'string'/,
    );
    s.dispose();
    expect(Number.isFinite(lossWith([0, 1, 2]))).toBe(true); // still working
  });

  it("init() replacing the core between a loss and its gradient says so", () => {
    const z = tf.variable(tf.tensor2d(logitsData, [3, K]));
    const m = messageOf(() =>
      tf.variableGrads(() => {
        const loss = softmaxCrossEntropy(tf, [0, 1, 2], z) as tf.Scalar;
        initSync({ simd: false }); // replaces the instance: the forward pass's gradient is gone
        return loss;
      }),
    );
    expect(m).toMatch(/the wasm core was replaced by init\(\) between this loss's forward pass and its gradient/);
    expect(m).not.toMatch(/WasmBuffer has been released/);
    initSync({ simd: true });
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(tf, [0, 1, 2], z) as tf.Scalar);
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    tf.dispose([value, z, ...Object.values(grads)]);
  });

  it("linearSoftmaxCrossEntropy forwards ignoreIndex (rows labelled with it are left out)", () => {
    initSync();
    const N = 6,
      D = 3,
      V = 9;
    const r = mulberry32(5);
    const h = Float32Array.from({ length: N * D }, () => normal(r));
    const w = Float32Array.from({ length: D * V }, () => normal(r)); // [D, V]
    const labels = [7, 2, 7, 0, 8, 7];
    const got = tf.tidy(
      () => linearSoftmaxCrossEntropy(tf, tf.tensor2d(h, [N, D]), tf.tensor2d(w, [D, V]), null, labels, { ignoreIndex: 7 }).dataSync()[0]!,
    );
    const want = reference.linearCrossEntropy(h, w, Int32Array.from(labels), { classes: V, weightLayout: "dv", ignoreIndex: 7 })
      .loss as number;
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    // and not the loss with 7 as a class
    const asClass = reference.linearCrossEntropy(h, w, Int32Array.from(labels), { classes: V, weightLayout: "dv" }).loss as number;
    expect(Math.abs(got - asClass)).toBeGreaterThan(1e-3);
  });
});
