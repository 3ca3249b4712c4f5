/**
 * The one option table (src/options.ts) of crossEntropy, linearCrossEntropy and softxent/tfjs's
 * softmaxCrossEntropy / crossEntropyLoss / linearSoftmaxCrossEntropy: every entry point refuses the
 * same unknown keys with the same hints, refuses null options with a softxent TypeError, reads options
 * however the object holds them (non-enumerable, class getters, inherited) and forwards every option
 * it accepts; and the messages for the common wrong inputs point at the fix (float labels, a tensor
 * given to the core). docs/spec.md "Errors".
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { calibration, crossEntropy, init, linearCrossEntropy, sigmoidCrossEntropy, softmax } from "../../dist/index.js";
import { crossEntropyLoss, linearSoftmaxCrossEntropy, softmaxCrossEntropy } from "../../dist/tfjs.js";
import { keysOf } from "../../src/options.js";

beforeAll(async () => {
  await init();
  await tf.setBackend("cpu");
  await tf.ready();
});

const N = 4,
  D = 3,
  V = 5;
const hiddenValues = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i + 1));
const weightVD = Float32Array.from({ length: V * D }, (_, i) => Math.cos(2 * i + 1) / 2);
/** The same weight as a D×V Dense kernel. */
const kernelDV = Float32Array.from({ length: D * V }, (_, i) => weightVD[(i % V) * D + Math.floor(i / V)]!);
const logitsOf = (): Float32Array => {
  const z = new Float32Array(N * V);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < V; j++) for (let e = 0; e < D; e++) z[i * V + j]! += hiddenValues[i * D + e]! * weightVD[j * D + e]!;
  return z;
};
const labels = new Int32Array([0, 3, 4, 1]);

/**
 * The options with `classes: V` added for the core (which needs it), on the object itself so that
 * however the object holds its other options is kept (a spread would copy only own enumerable ones).
 */
function withClasses(o: unknown): never {
  if (typeof o === "object" && o !== null) Object.defineProperty(o, "classes", { value: V, enumerable: true, configurable: true });
  return o as never;
}

/** Each entry point as a call taking only the options (the TF.js ones return the loss as a number). */
const entryPoints: Array<[string, (options: unknown) => number]> = [
  ["crossEntropy", (o) => crossEntropy(logitsOf(), labels, withClasses(o)).loss as unknown as number],
  ["linearCrossEntropy", (o) => linearCrossEntropy(hiddenValues, weightVD, labels, withClasses(o)).loss as unknown as number],
  [
    "tfjs.softmaxCrossEntropy",
    (o) => tf.tidy(() => softmaxCrossEntropy(tf, labels, tf.tensor2d(logitsOf(), [N, V]), o as never).dataSync()[0]!),
  ],
  ["tfjs.crossEntropyLoss", (o) => tf.tidy(() => crossEntropyLoss(tf, o as never)(labels, tf.tensor2d(logitsOf(), [N, V])).dataSync()[0]!)],
  [
    "tfjs.linearSoftmaxCrossEntropy",
    (o) =>
      tf.tidy(
        () =>
          linearSoftmaxCrossEntropy(
            tf,
            tf.tensor2d(hiddenValues, [N, D]),
            tf.tensor2d(kernelDV, [D, V]),
            null,
            labels,
            o as never,
          ).dataSync()[0]!,
      ),
  ],
];

/** Options of the object-literal form, for the entry points that take classes themselves (the core) or not (TF.js). */
const plain = (o: Record<string, unknown>) => o;

describe("every cross-entropy entry point reads its options through the one table", () => {
  for (const [name, call] of entryPoints) {
    it(`${name}: unknown keys are refused with another library's spelling or the nearest key`, () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ labelSmoothing: 0.1 }, /unknown option 'labelSmoothing'; did you mean `smoothing`\?/],
        [{ label_smoothing: 0.1 }, /did you mean `smoothing`/],
        [{ ignore_index: 2 }, /did you mean `ignoreIndex`/],
        [{ smothing: 0.1 }, /unknown option 'smothing'; did you mean `smoothing`\?/],
        [{ zloss: 1e-4 }, /did you mean `zLoss`/],
        [{ qq: 1 }, /unknown option 'qq'; expected one of /],
      ];
      for (const [options, message] of cases) {
        expect(() => call(options), JSON.stringify(options)).toThrow(RangeError);
        expect(() => call(options), JSON.stringify(options)).toThrow(message);
      }
      expect(Number.isFinite(call({}))).toBe(true); // and keeps working
    });

    it(`${name}: null options are a softxent TypeError`, () => {
      if (name === "crossEntropy" || name === "linearCrossEntropy") {
        const f =
          name === "crossEntropy"
            ? () => crossEntropy(logitsOf(), labels, null as never)
            : () => linearCrossEntropy(hiddenValues, weightVD, labels, null as never);
        expect(f).toThrow(TypeError);
        expect(f).toThrow(/^softxent\.\w+: options must be an object like \{ classes: 10 \}; received null$/);
        return;
      }
      expect(() => call(null)).toThrow(TypeError);
      expect(() => call(null)).toThrow(/^softxent\.tfjs\.\w+: options must be an object like \{ smoothing: 0\.1 \}; received null$/);
    });

    it(`${name}: every shared option is forwarded (a non-default value changes the loss as the core's does)`, () => {
      const weights = new Float32Array([1, 2, 0.5, 1, 3]);
      const baseline = call({});
      const variants: Record<string, unknown>[] = [
        { smoothing: 0.2 },
        { smoothing: 0.2, smoothingMode: "others" },
        { reduction: "sum" },
        { ignoreIndex: 3 },
        { classWeights: weights },
        { classWeights: weights, classWeightMode: "target", smoothing: 0.2 },
        { zLoss: 0.5 },
      ];
      for (const v of variants) {
        const core = crossEntropy(logitsOf(), labels, { classes: V, ...v } as never).loss as unknown as number;
        const ours = call(v);
        expect(ours, JSON.stringify(v)).not.toBeCloseTo(baseline, 4);
        expect(ours, JSON.stringify(v)).toBeCloseTo(core, 4);
      }
    });

    it(`${name}: options in non-enumerable properties, class getters and prototypes are read, not ignored`, () => {
      const expected = call({ smoothing: 0.2, ignoreIndex: 3 });
      expect(expected).not.toBeCloseTo(call({}), 4);
      const hidden = Object.defineProperty(plain({}), "smoothing", { value: 0.2, enumerable: false });
      Object.defineProperty(hidden, "ignoreIndex", { value: 3, enumerable: false });
      class Settings {
        #eps = 0.2;
        get smoothing() {
          return this.#eps;
        }
        get ignoreIndex() {
          return 3;
        }
        describe() {
          return "a method is not an option";
        }
      }
      class More extends Settings {}
      const inherited = Object.create({ smoothing: 0.2, ignoreIndex: 3 }) as object;
      for (const options of [hidden, new Settings(), new More(), inherited]) {
        expect(call(options), options.constructor?.name ?? "null-prototype").toBeCloseTo(expected, 6);
      }
      // and an unknown key held the same ways is refused, not ignored
      class Typo {
        get labelSmoothing() {
          return 0.2;
        }
      }
      expect(() => call(new Typo())).toThrow(/unknown option 'labelSmoothing'; did you mean `smoothing`/);
      expect(() => call(Object.defineProperty({}, "smothing", { value: 0.2 }))).toThrow(/unknown option 'smothing'/);
    });
  }

  it("a getter is read once per call (the snapshot is what is checked and used)", () => {
    let reads = 0;
    class Counting {
      get smoothing() {
        reads++;
        return 0.1;
      }
    }
    crossEntropy(logitsOf(), labels, Object.assign(new Counting(), { classes: V }) as never);
    expect(reads).toBe(1);
  });

  it("the other functions read options the same way (checkOptions is shared)", () => {
    const z = logitsOf();
    const t2 = softmax(z, { classes: V, temperature: 2 });
    class SoftmaxOptions {
      get classes() {
        return V;
      }
      get temperature() {
        return 2;
      }
    }
    expect(softmax(z, new SoftmaxOptions() as never)).toEqual(t2);
    expect(() => sigmoidCrossEntropy(z, new Float32Array(z.length), { pos_weight: new Float32Array(V) } as never)).toThrow(
      /did you mean `posWeight`/,
    );
    expect(() => calibration(z, labels, Object.defineProperty({ classes: V }, "nbins", { value: 3 }) as never)).toThrow(
      /unknown option 'nbins'/,
    );
  });
});

describe("messages that point at the fix", () => {
  it("float labels: class indices must be an Int32Array (or pass probability targets of N·K)", () => {
    const floatLabels = new Float32Array([0, 3, 4, 1]);
    const f = () => crossEntropy(logitsOf(), floatLabels, { classes: V });
    expect(f).toThrow(RangeError);
    expect(f).toThrow(
      /received 4; one float per row looks like class indices.*class indices must be an Int32Array \(or pass probability targets of N·K\)$/,
    );
    expect(() => crossEntropy(logitsOf(), new Float32Array(7), { classes: V })).toThrow(
      /received 7; class indices must be an Int32Array \(or pass probability targets of N·K\)$/,
    );
    expect(() => crossEntropy(logitsOf(), [0, 3, 4, 1] as never, { classes: V })).toThrow(
      /class indices must be an Int32Array \(new Int32Array\(array\)\)/,
    );
    expect(() => linearCrossEntropy(hiddenValues, weightVD, floatLabels as never, { classes: V })).toThrow(
      /target must be an Int32Array .*received Float32Array\(4\); class indices must be an Int32Array/,
    );
  });

  it("a TF.js tensor given to the core names softxent/tfjs", () => {
    tf.tidy(() => {
      const z = tf.tensor2d(logitsOf(), [N, V]);
      const f = () => crossEntropy(z as never, labels, { classes: V });
      expect(f).toThrow(TypeError);
      expect(f).toThrow(/received a tf\.Tensor \(shape \[4,5\], dtype float32\); TF\.js tensors go to softxent\/tfjs/);
      expect(() => crossEntropy(logitsOf(), tf.tensor1d(labels, "int32") as never, { classes: V })).toThrow(/softxent\/tfjs/);
      expect(() => softmax(z as never, { classes: V })).toThrow(/softxent\/tfjs/);
    });
  });
});

describe("the table's compile-time check", () => {
  it("keysOf<T>() accepts exactly the keys of T (the type errors below are expected by tsc)", () => {
    interface Two {
      a?: number;
      b: string;
    }
    expect([...keysOf<Two>()(["a", "b"])]).toEqual(["a", "b"]);
    // @ts-expect-error: 'b' is missing
    keysOf<Two>()(["a"]);
    // @ts-expect-error: 'c' is not a key of Two
    keysOf<Two>()(["a", "b", "c"]);
  });
});
