/**
 * linearCrossEntropy's bad input: a RangeError (wrong size, length, value or option) or TypeError
 * (wrong type) that names the argument, thrown before anything is written, and the next valid call
 * still gives the right answer.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, linearCrossEntropy, allocFloat32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";

const N = 4,
  D = 3,
  V = 5;
const hidden = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i));
const weight = Float32Array.from({ length: V * D }, (_, i) => Math.cos(i));
const labels = Int32Array.from([0, 4, 2, -100]);

function expectRight(): void {
  const got = linearCrossEntropy(hidden, weight, labels, { classes: V });
  const want = ref.linearCrossEntropy(hidden, weight, labels, { classes: V });
  expect(Math.abs((got.loss as number) - (want.loss as number))).toBeLessThan(1e-6);
}

type Call = [string, () => unknown, typeof RangeError | typeof TypeError, RegExp];

const cases: Call[] = [
  [
    "weight length not a multiple of classes",
    () => linearCrossEntropy(hidden, weight.subarray(1), labels, { classes: V }),
    RangeError,
    /weight\.length = 14 .*classes = 5/,
  ],
  ["empty weight", () => linearCrossEntropy(hidden, new Float32Array(0), labels, { classes: V }), RangeError, /weight\.length = 0/],
  [
    "hidden length not a multiple of D",
    () => linearCrossEntropy(hidden.subarray(1), weight, labels, { classes: V }),
    RangeError,
    /hidden\.length = 11 is not a multiple of D .* 3/,
  ],
  [
    "labels of the wrong length",
    () => linearCrossEntropy(hidden, weight, labels.subarray(1), { classes: V }),
    RangeError,
    /target\.length must be 4/,
  ],
  [
    "a label out of range",
    () => linearCrossEntropy(hidden, weight, Int32Array.from([0, 5, 1, 1]), { classes: V }),
    RangeError,
    /target\[1\] = 5 is out of range for classes = 5/,
  ],
  [
    "a negative label",
    () => linearCrossEntropy(hidden, weight, Int32Array.from([0, 1, -1, 1]), { classes: V }),
    RangeError,
    /target\[2\] = -1/,
  ],
  [
    "a wrong layout",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, weightLayout: "kv" as never }),
    RangeError,
    /weightLayout must be one of 'vd', 'dv'/,
  ],
  [
    "bias of the wrong length",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, bias: new Float32Array(4) }),
    RangeError,
    /bias\.length must be 5/,
  ],
  [
    "classWeights of the wrong length",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, classWeights: new Float32Array(6) }),
    RangeError,
    /classWeights\.length must be 5/,
  ],
  [
    "a negative class weight",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, classWeights: Float32Array.from([1, 1, -1, 1, 1]) }),
    RangeError,
    /classWeights\[2\] = -1/,
  ],
  [
    "gradHidden of the wrong length",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, gradHidden: new Float32Array(11) }),
    RangeError,
    /gradHidden\.length must be 12/,
  ],
  [
    "gradWeight of the wrong length",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, gradWeight: new Float32Array(16) }),
    RangeError,
    /gradWeight\.length must be 15/,
  ],
  [
    "gradBias without a bias",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, gradBias: new Float32Array(5) }),
    RangeError,
    /gradBias needs options\.bias/,
  ],
  [
    "accumulate without gradWeight",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, accumulate: true }),
    RangeError,
    /accumulate needs options\.gradWeight/,
  ],
  [
    "accumulate with a bias but no gradBias",
    () =>
      linearCrossEntropy(hidden, weight, labels, {
        classes: V,
        bias: new Float32Array(5),
        gradWeight: new Float32Array(15),
        accumulate: true,
      }),
    RangeError,
    /accumulate with a bias needs options\.gradBias/,
  ],
  [
    "an output with grad: false",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, grad: false, gradWeight: new Float32Array(15) }),
    RangeError,
    /gradWeight was given together with grad: false/,
  ],
  [
    "an output over an input",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, gradWeight: weight }),
    RangeError,
    /gradWeight and weight overlap/,
  ],
  [
    "two outputs over each other",
    () => {
      const buf = new Float32Array(40);
      return linearCrossEntropy(hidden, weight, labels, { classes: V, gradHidden: buf.subarray(0, 12), gradWeight: buf.subarray(10, 25) });
    },
    RangeError,
    /gradWeight and gradHidden overlap/,
  ],
  [
    "chunkBytes of 0",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, chunkBytes: 0 }),
    RangeError,
    /chunkBytes must be an integer ≥ 1/,
  ],
  [
    "an unknown option",
    () => linearCrossEntropy(hidden, weight, labels, { classes: V, labelSmoothing: 0.1 } as never),
    RangeError,
    /unknown option 'labelSmoothing'/,
  ],
  [
    "probability targets",
    () => linearCrossEntropy(hidden, weight, new Float32Array(4) as never, { classes: V }),
    TypeError,
    /target must be an Int32Array/,
  ],
  [
    "hidden of the wrong type",
    () => linearCrossEntropy(Array.from(hidden) as never, weight, labels, { classes: V }),
    TypeError,
    /hidden must be a Float32Array/,
  ],
  ["classes missing", () => linearCrossEntropy(hidden, weight, labels, {} as never), TypeError, /options\.classes must be a number/],
];

describe("linearCrossEntropy errors", () => {
  beforeAll(() => initSync());

  it.each(cases)("%s", (_what, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expectRight();
  });

  it("a bad label writes nothing into the given outputs", () => {
    const gw = new Float32Array(15).fill(3),
      gh = allocFloat32(12);
    gh.view.fill(9);
    try {
      expect(() =>
        linearCrossEntropy(hidden, weight, Int32Array.from([0, 1, 2, 7]), { classes: V, gradWeight: gw, gradHidden: gh }),
      ).toThrow(/target\[3\] = 7/);
      expect(gw.every((x) => x === 3)).toBe(true);
      expect(gh.view.every((x) => x === 9)).toBe(true);
    } finally {
      gh.release();
    }
    expectRight();
  });
});
