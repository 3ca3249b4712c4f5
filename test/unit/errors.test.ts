/**
 * docs/spec.md "Errors" for the core functions: TypeError for a wrong type, RangeError for a wrong size,
 * length, value or option; the message says what was expected and what was received; after any
 * thrown error the next valid call returns the right answer.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, crossEntropy, logSoftmax, softmax, smoothTargets, allocFloat32, allocInt32 } from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS } from "../helpers/builds.js";
import { expectGrad, expectLoss } from "../helpers/compare.js";

const z = new Float32Array([1, 2, 3, 4, 5, 6]);
const y = new Int32Array([0, 2]);
const t = new Float32Array([1, 0, 0, 0, 0, 1]);

type Thrower = () => unknown;
const CASES: Array<[string, Thrower, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp]> = [
  [
    "logits not a Float32Array",
    () => crossEntropy([1, 2, 3] as never, y, { classes: 3 }),
    TypeError,
    /logits must be a Float32Array.*received Array\(3\)/,
  ],
  ["logits Float64Array", () => crossEntropy(new Float64Array(6) as never, y, { classes: 3 }), TypeError, /received Float64Array\(6\)/],
  ["options missing", () => crossEntropy(z, y, undefined as never), TypeError, /options must be an object.*received undefined/],
  ["classes missing", () => crossEntropy(z, y, {} as never), TypeError, /options.classes must be a number.*received undefined/],
  ["classes 0", () => crossEntropy(z, y, { classes: 0 }), RangeError, /classes must be an integer ≥ 1; received 0/],
  ["classes 2.5", () => crossEntropy(z, y, { classes: 2.5 }), RangeError, /received 2.5/],
  [
    "length not a multiple of K",
    () => crossEntropy(z, y, { classes: 4 }),
    RangeError,
    /logits.length = 6 is not a multiple of classes = 4/,
  ],
  ["labels wrong length", () => crossEntropy(z, new Int32Array(3), { classes: 3 }), RangeError, /labels.length must be 2.*received 3/],
  [
    "label out of range",
    () => crossEntropy(z, new Int32Array([0, 3]), { classes: 3 }),
    RangeError,
    /labels\[1\] = 3 is out of range for classes = 3/,
  ],
  ["negative label", () => crossEntropy(z, new Int32Array([-1, 0]), { classes: 3 }), RangeError, /labels\[0\] = -1 is out of range/],
  [
    "target of a wrong type",
    () => crossEntropy(z, [0, 2] as never, { classes: 3 }),
    TypeError,
    /target must be an Int32Array.*received Array\(2\)/,
  ],
  [
    "probability targets wrong length",
    () => crossEntropy(z, new Float32Array(5), { classes: 3 }),
    RangeError,
    /targets.length must be 6.*received 5/,
  ],
  ["smoothing > 1", () => crossEntropy(z, y, { classes: 3, smoothing: 1.5 }), RangeError, /smoothing must be in \[0, 1\]; received 1.5/],
  ["smoothing NaN", () => crossEntropy(z, y, { classes: 3, smoothing: NaN }), RangeError, /smoothing must be in \[0, 1\]; received NaN/],
  [
    "smoothing string",
    () => crossEntropy(z, y, { classes: 3, smoothing: "0.1" as never }),
    TypeError,
    /smoothing must be a number; received "0.1"/,
  ],
  [
    "reduction unknown",
    () => crossEntropy(z, y, { classes: 3, reduction: "avg" as never }),
    RangeError,
    /reduction must be one of 'mean', 'sum', 'none'; received 'avg'/,
  ],
  [
    "smoothingMode unknown",
    () => crossEntropy(z, y, { classes: 3, smoothingMode: "fair" as never }),
    RangeError,
    /smoothingMode must be one of/,
  ],
  [
    "classWeightMode unknown",
    () => crossEntropy(z, y, { classes: 3, classWeightMode: "tf" as never }),
    RangeError,
    /classWeightMode must be one of/,
  ],
  [
    "ignoreIndex not an integer",
    () => crossEntropy(z, y, { classes: 3, ignoreIndex: 1.5 }),
    RangeError,
    /ignoreIndex must be a 32-bit integer; received 1.5/,
  ],
  ["zLoss negative", () => crossEntropy(z, y, { classes: 3, zLoss: -1 }), RangeError, /zLoss must be in \[0/],
  ["grad not boolean", () => crossEntropy(z, y, { classes: 3, grad: 1 as never }), TypeError, /grad must be true or false; received 1/],
  ["unknown option", () => crossEntropy(z, y, { classes: 3, smoothng: 0.1 } as never), RangeError, /unknown option 'smoothng'/],
  [
    "classWeights wrong length",
    () => crossEntropy(z, y, { classes: 3, classWeights: new Float32Array(2) }),
    RangeError,
    /classWeights.length must be 3.*received 2/,
  ],
  [
    "classWeights negative",
    () => crossEntropy(z, y, { classes: 3, classWeights: new Float32Array([1, -1, 1]) }),
    RangeError,
    /classWeights\[1\] = -1; weights must be finite and ≥ 0/,
  ],
  [
    "classWeights NaN",
    () => crossEntropy(z, y, { classes: 3, classWeights: new Float32Array([1, NaN, 1]) }),
    RangeError,
    /classWeights\[1\] = NaN/,
  ],
  [
    "classWeights wrong type",
    () => crossEntropy(z, y, { classes: 3, classWeights: [1, 1, 1] as never }),
    TypeError,
    /classWeights must be a Float32Array/,
  ],
  [
    "gradOut wrong length",
    () => crossEntropy(z, y, { classes: 3, gradOut: new Float32Array(5) }),
    RangeError,
    /gradOut.length must be 6.*received 5/,
  ],
  [
    "gradOut with grad: false",
    () => crossEntropy(z, y, { classes: 3, grad: false, gradOut: new Float32Array(6) }),
    RangeError,
    /gradOut was given together with grad: false/,
  ],
  [
    "gradOut overlapping logits",
    () => crossEntropy(z, y, { classes: 3, gradOut: new Float32Array(z.buffer, 0, 6).subarray(0, 6) }),
    RangeError,
    /overlap/,
  ],
  [
    "ignoreIndex with probability targets",
    () => crossEntropy(z, t, { classes: 3, ignoreIndex: -100 }),
    RangeError,
    /ignoreIndex applies to index targets only/,
  ],
  [
    "'others' with probability targets",
    () => crossEntropy(z, t, { classes: 3, smoothingMode: "others" }),
    RangeError,
    /'others' applies to index targets only/,
  ],
  [
    "'target' weights with probability targets",
    () => crossEntropy(z, t, { classes: 3, classWeights: new Float32Array(3).fill(1), classWeightMode: "target" }),
    RangeError,
    /'target' applies to index targets only/,
  ],
  ["logSoftmax out wrong length", () => logSoftmax(z, { classes: 3, out: new Float32Array(2) }), RangeError, /out.length must be 6/],
  ["logSoftmax unknown option", () => logSoftmax(z, { classes: 3, temperature: 2 } as never), RangeError, /unknown option 'temperature'/],
  ["softmax temperature 0", () => softmax(z, { classes: 3, temperature: 0 }), RangeError, /temperature must be in \(0/],
  ["softmax temperature Infinity", () => softmax(z, { classes: 3, temperature: Infinity }), RangeError, /temperature must be in \(0/],
  ["smoothTargets smoothing missing", () => smoothTargets(y, { classes: 3 } as never), TypeError, /smoothing .* is required/],
  [
    "smoothTargets label out of range",
    () => smoothTargets(new Int32Array([5]), { classes: 3, smoothing: 0.1 }),
    RangeError,
    /labels\[0\] = 5 is out of range for classes = 3/,
  ],
  [
    "smoothTargets labels wrong type",
    () => smoothTargets(new Float32Array([1]) as never, { classes: 3, smoothing: 0.1 }),
    TypeError,
    /labels must be an Int32Array or a WasmBuffer from allocInt32\(\); received Float32Array\(1\)/,
  ],
  ["allocFloat32 negative", () => allocFloat32(-1), RangeError, /length must be an integer ≥ 0; received -1/],
  ["allocInt32 not a number", () => allocInt32("4" as never), TypeError, /length must be a number/],
];

describe.each(BUILDS)("errors — $name build", ({ simd }) => {
  beforeAll(() => initSync({ simd }));

  it.each(CASES)("%s", (_name, thrower, kind, message) => {
    const opts = { classes: 3, smoothing: 0.1, reduction: "sum" as const };
    const before = crossEntropy(z, y, opts);
    let caught: unknown;
    try {
      thrower();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(kind);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/^softxent\.\w+: /);
    // the next valid call is exactly right
    const after = crossEntropy(z, y, opts);
    expect(after.loss).toBe(before.loss);
    expect(after.grad).toEqual(before.grad);
    const want = ref.crossEntropy(z, y, opts);
    expectLoss(after.loss, want.loss as number);
    expectGrad(after.grad!, want.grad!, 1);
  });

  it("a bad label leaves in-place logits untouched", () => {
    const buf = allocFloat32(6);
    buf.view.set(z);
    expect(() => crossEntropy(buf, new Int32Array([1, 7]), { classes: 3, gradOut: buf })).toThrowError(RangeError);
    expect(buf.view).toEqual(z);
    const copy = z.slice();
    expect(() => crossEntropy(copy, new Int32Array([9, 0]), { classes: 3, gradOut: copy })).toThrowError(/labels\[0\] = 9/);
    expect(copy).toEqual(z);
    buf.release();
  });
});
