// The argument and option checks and their messages (docs/spec.md "Errors"): TypeError for a wrong
// type, RangeError for a wrong size, length, value or option, each saying what was expected and
// what was received, and where there is one, the fix. (Lifecycle and state errors are raised where the
// state lives: index.ts, loader.ts, memory.ts, guard.ts, pool.ts.) Nothing here writes wasm memory,
// so a throw leaves the library as it was.
//
// Inputs are read so that no caller code runs once a call has started using memory: options are
// read once, up front (`checkOptions` returns a snapshot), and typed arrays are inspected through the
// intrinsic %TypedArray%.prototype getters captured at load, which a subclass or a Proxy cannot
// override (a Proxy is not a typed array to them, and is refused).

import { bufferState, isWasmBuffer, type Heap } from "./memory.js";

const TA_PROTO = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsic(key: PropertyKey): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TA_PROTO, key)!.get! as (this: unknown) => unknown;
}
const taTag = intrinsic(Symbol.toStringTag) as (this: unknown) => string | undefined;
const taLength = intrinsic("length") as (this: unknown) => number;
const taBuffer = intrinsic("buffer") as (this: unknown) => ArrayBufferLike;
const taByteOffset = intrinsic("byteOffset") as (this: unknown) => number;
const TA_SET = (TA_PROTO as { set: (this: unknown, src: ArrayLike<number>) => void }).set;
const sabByteLength =
  typeof SharedArrayBuffer === "function"
    ? (Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength")!.get as (this: unknown) => number)
    : undefined;
/** Whether `b` is a SharedArrayBuffer (an intrinsic brand check: no prototype or toStringTag tricks). */
export function isShared(b: unknown): boolean {
  if (sabByteLength === undefined || b === null || typeof b !== "object") return false;
  try {
    sabByteLength.call(b);
    return true;
  } catch {
    return false;
  }
}
const abDetached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "detached")?.get as ((this: ArrayBuffer) => boolean) | undefined;

/** The typed-array kind of `x` ('Float32Array', …) if it is a genuine typed array, else undefined. */
export function typedArrayKind(x: unknown): string | undefined {
  return taTag.call(x);
}

/** The ArrayBuffer of a genuine typed array (intrinsic getter). */
export function bufferOf(x: unknown): ArrayBufferLike {
  return taBuffer.call(x);
}

/** Whether a (zero-length) array's buffer has been detached, e.g. transferred to a worker. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer) return false;
  if (abDetached) return abDetached.call(buffer as ArrayBuffer);
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Short description of a received value for messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (isWasmBuffer(x)) return `WasmBuffer<${x.kind}>(${x.length})${x.released ? " (released)" : ""}`;
  const tag = taTag.call(x);
  if (tag !== undefined) return `${tag}(${taLength.call(x)})`;
  if (ArrayBuffer.isView(x)) return `DataView(${x.byteLength})`;
  if (Array.isArray(x)) return `Array(${x.length})`;
  if (typeof x === "number") return String(x);
  if (typeof x === "string") return JSON.stringify(x);
  if (isTensorLike(x)) return `a tf.Tensor (shape ${JSON.stringify(x.shape)}, dtype ${String(x.dtype)})`;
  if (typeof x === "object") return x.constructor?.name ?? "Object";
  return typeof x;
}

/** Whether x looks like a TF.js tensor (duck-typed: TF.js is never imported by the core). */
function isTensorLike(x: unknown): x is { shape: unknown; dtype: unknown } {
  return typeof x === "object" && x !== null && "dataSync" in x && "shape" in x && "dtype" in x;
}

/** The fix for a TF.js tensor given to the core. */
const TENSOR_HINT =
  "; TF.js tensors go to softxent/tfjs (softmaxCrossEntropy, crossEntropyLoss, linearSoftmaxCrossEntropy), or pass await tensor.data()";

/**
 * What to do about a wrong input, by what was received: a tensor → softxent/tfjs; floats or a plain
 * array where class indices are expected → an Int32Array.
 */
export function inputHint(x: unknown, expected: typeof Float32Array | typeof Int32Array): string {
  if (isTensorLike(x)) return TENSOR_HINT;
  if (expected === Int32Array) {
    const tag = taTag.call(x);
    if (tag === "Float32Array" || tag === "Float64Array" || Array.isArray(x)) {
      return `; class indices must be an Int32Array (new Int32Array(${Array.isArray(x) ? "array" : "floatLabels"}))`;
    }
  } else if (Array.isArray(x)) {
    return "; wrap it: new Float32Array(array)";
  }
  return "";
}

/** "a Float32Array", "an Int32Array". */
function article(name: string): string {
  return (/^[AEIOU]/.test(name) ? "an " : "a ") + name;
}

export function fail(fn: string, msg: string): never {
  throw new RangeError(`softxent.${fn}: ${msg}`);
}

export function failType(fn: string, msg: string): never {
  throw new TypeError(`softxent.${fn}: ${msg}`);
}

/**
 * Other libraries' spellings of our options (TF.js, Keras, PyTorch), mapped to ours or to advice when
 * there is no equivalent. Keys are lower case. Used only for an option the function does not have.
 */
const SPELLINGS: Readonly<Record<string, string>> = {
  labelsmoothing: "did you mean `smoothing`? (TF.js's name; softxent's option is `smoothing`)",
  label_smoothing: "did you mean `smoothing`? (Keras / PyTorch's name; softxent's option is `smoothing`)",
  ignore_index: "did you mean `ignoreIndex`?",
  classweight: "did you mean `classWeights` (a Float32Array or number[] of K weights)?",
  class_weight: "did you mean `classWeights` (a Float32Array or number[] of K weights)?",
  weight: "did you mean `classWeights` (PyTorch's `weight`: one weight per class)?",
  weights:
    "per-example weights have no option here: use `reduction: 'none'` and multiply the per-row losses " +
    "(or `classWeights` for one weight per class)",
  z_loss: "did you mean `zLoss`?",
  pos_weight: "did you mean `posWeight`?",
  fromlogits: "softxent always takes logits (there is no `fromLogits`)",
  from_logits: "softxent always takes logits (there is no `from_logits`)",
  classes: "`classes` is taken from the tensors' shapes (the logits' last axis, the kernel's V); leave it out",
};

/** Levenshtein distance, for "did you mean" on typos (`smothing`, `ignoreindex`). Short strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** A hint for an unknown option key: another library's spelling, else the nearest allowed key (edit distance ≤ 2). */
function spellingHint(key: string, allowed: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  if ((lower === "gamma" || lower === "alpha") && allowed.has("focal")) return "the focal loss is `focal: { gamma, alpha }`";
  const known = SPELLINGS[lower];
  if (known !== undefined && !(lower === "classes" && allowed.has("classes"))) return known;
  let best: string | null = null;
  let bestD = 3;
  for (const k of allowed) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null ? `did you mean \`${best}\`?` : "";
}

/** The RangeError for an option key the function does not have. */
export function unknownOption(fn: string, key: string, allowed: ReadonlySet<string>): never {
  const hint = spellingHint(key, allowed);
  return fail(fn, `unknown option '${key}'${hint ? `; ${hint}` : ""}; expected one of ${[...allowed].join(", ")}`);
}

const OBJECT_PROTO: unknown = Object.prototype;

/**
 * Options must be an object with known keys only (a typo must not be silently ignored). Returns a
 * snapshot: each option read exactly once, here, before anything else of the call happens — so a
 * getter cannot change what was validated (say, class weights) after it was validated.
 *
 * What counts as an option is what `const { smoothing } = options` would read: own properties,
 * enumerable or not, and — for an object with a prototype of its own (a class instance,
 * Object.create(…)) — the properties it inherits, accessors (class getters) included, up to but not
 * including Object.prototype. Each is read once with `options` as the receiver. Methods on a
 * prototype (function-valued inherited data properties, e.g. a class's methods) are not options and
 * are skipped; any other key the function does not know is refused.
 */
export function checkOptions(fn: string, options: unknown, allowed: ReadonlySet<string>, required: boolean): Record<string, unknown> {
  if (options === undefined && !required) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    const like = allowed.has("classes") ? " like { classes: 10 }" : allowed.has("smoothing") ? " like { smoothing: 0.1 }" : "";
    failType(fn, `options must be an object${like}; received ${describe(options)}`);
  }
  // Own enumerable properties in one spread (each getter runs once; the fastest copy V8 has).
  const snapshot: Record<string, unknown> = { ...options };
  let count = 0;
  for (const key in snapshot) {
    if (!allowed.has(key)) unknownOption(fn, key, allowed);
    count++;
  }
  const proto: unknown = Object.getPrototypeOf(options);
  if (proto === OBJECT_PROTO || proto === null) {
    // A plain object: only a non-enumerable own property (Object.defineProperty) can be left.
    const names = Object.getOwnPropertyNames(options);
    if (names.length !== count) readRest(fn, options, options, names, snapshot, allowed);
    return snapshot;
  }
  for (let o: object | null = options; o !== null && o !== OBJECT_PROTO; o = Object.getPrototypeOf(o) as object | null) {
    readRest(fn, options, o, Object.getOwnPropertyNames(o), snapshot, allowed);
  }
  return snapshot;
}

/** Reads into `snapshot` the keys of `names` (own names of `holder`, on the chain of `options`) not read yet. */
function readRest(
  fn: string,
  options: object,
  holder: object,
  names: readonly string[],
  snapshot: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): void {
  for (const key of names) {
    if (Object.hasOwn(snapshot, key)) continue; // read already (own, or shadowed by a nearer holder)
    if (holder !== options) {
      if (key === "constructor") continue;
      const d = Object.getOwnPropertyDescriptor(holder, key);
      if (d !== undefined && "value" in d && typeof d.value === "function") continue; // a method
    }
    if (!allowed.has(key)) unknownOption(fn, key, allowed);
    snapshot[key] = (options as Record<string, unknown>)[key];
  }
}

export function classesOf(fn: string, value: unknown): number {
  if (typeof value !== "number") failType(fn, `options.classes must be a number (the class count K); received ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) fail(fn, `options.classes must be an integer ≥ 1; received ${value}`);
  return value;
}

export function numberIn(fn: string, name: string, value: unknown, lo: number, hi: number, dflt: number, loOpen = false): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number") failType(fn, `options.${name} must be a number; received ${describe(value)}`);
  if (!(loOpen ? value > lo : value >= lo) || !(value <= hi)) {
    fail(fn, `options.${name} must be in ${loOpen ? "(" : "["}${lo}, ${hi === Infinity ? "∞)" : hi + "]"}; received ${value}`);
  }
  return value;
}

export function integer(fn: string, name: string, value: unknown, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number") failType(fn, `options.${name} must be an integer; received ${describe(value)}`);
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
    fail(fn, `options.${name} must be a 32-bit integer; received ${value}`);
  return value;
}

export function oneOf<T extends string>(fn: string, name: string, value: unknown, choices: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value !== "string")
    failType(fn, `options.${name} must be one of ${choices.map((c) => `'${c}'`).join(", ")}; received ${describe(value)}`);
  if (!(choices as readonly string[]).includes(value))
    fail(fn, `options.${name} must be one of ${choices.map((c) => `'${c}'`).join(", ")}; received '${value}'`);
  return value as T;
}

export function bool(fn: string, name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== "boolean") failType(fn, `options.${name} must be true or false; received ${describe(value)}`);
  return value;
}

/**
 * A typed input resolved to wasm memory: `ptr` is known for resident data (WasmBuffer, or a view
 * inside one); `copy` is the plain array to stage into scratch otherwise.
 */
export interface Operand<T extends Float32Array | Int32Array> {
  ptr: number;
  /** Element count, read through the intrinsic getter (never the object's own `length`). */
  length: number;
  copy: T | null;
  /** Whether the elements are f32 (else i32). */
  f32: boolean;
  /** For a copied operand: its ArrayBuffer and byte offset, read through the intrinsic getters. */
  buffer: ArrayBufferLike | null;
  byteOffset: number;
  /** The object the caller passed (for in-place identity checks). */
  source: unknown;
}

function resolve<T extends Float32Array | Int32Array>(
  fn: string,
  name: string,
  x: unknown,
  h: Heap,
  ctor: typeof Float32Array | typeof Int32Array,
  allocName: string,
): Operand<T> {
  if (isWasmBuffer(x)) {
    const s = bufferState(x);
    if (s.heap === null) failType(fn, `${name} is a WasmBuffer that has been released (or belonged to an instance replaced by init())`);
    if (s.heap !== h) failType(fn, `${name} is a WasmBuffer of another softxent instance`);
    if (s.ctor !== ctor) failType(fn, `${name} must be ${article(ctor.name)} or a WasmBuffer from ${allocName}(); received ${describe(x)}`);
    return { ptr: s.ptr, length: s.length, copy: null, f32: ctor === Float32Array, buffer: null, byteOffset: 0, source: x };
  }
  if (taTag.call(x) === ctor.name) {
    const buffer = taBuffer.call(x),
      byteOffset = taByteOffset.call(x),
      length = taLength.call(x);
    if (buffer === h.memory.buffer) {
      if (h.ownerOf(byteOffset, length * 4) === null) {
        failType(fn, `${name} is a view into softxent's wasm memory outside any live WasmBuffer (a view of a released buffer?)`);
      }
      return { ptr: byteOffset, length, copy: null, f32: ctor === Float32Array, buffer: null, byteOffset: 0, source: x };
    }
    if (h.isDetachedMemory(buffer)) {
      if (isShared(buffer)) {
        // a shared memory is never detached: the old view still reaches the bytes, it just cannot be trusted
        failType(
          fn,
          `${name} is a view of softxent's shared wasm memory taken before the memory grew (its SharedArrayBuffer has been replaced; the view is stale, though it still reaches the same bytes); read buf.view again after allocating`,
        );
      }
      failType(
        fn,
        `${name} is a view of softxent's wasm memory taken before the memory grew or a buffer was released (now detached, length 0); read buf.view again after allocating`,
      );
    }
    if (length === 0 && isDetached(buffer))
      failType(fn, `${name} is ${article(ctor.name)} whose ArrayBuffer has been detached (transferred)`);
    return { ptr: -1, length, copy: x as T, f32: ctor === Float32Array, buffer, byteOffset, source: x };
  }
  return failType(
    fn,
    `${name} must be ${article(ctor.name)} or a WasmBuffer from ${allocName}(); received ${describe(x)}${inputHint(x, ctor)}`,
  );
}

export function f32Operand(fn: string, name: string, x: unknown, h: Heap): Operand<Float32Array> {
  return resolve<Float32Array>(fn, name, x, h, Float32Array, "allocFloat32");
}

export function i32Operand(fn: string, name: string, x: unknown, h: Heap): Operand<Int32Array> {
  return resolve<Int32Array>(fn, name, x, h, Int32Array, "allocInt32");
}

/** Logits length must be a multiple of K; returns N. */
export function rowsOf(fn: string, name: string, length: number, k: number): number {
  if (length % k !== 0) fail(fn, `${name}.length = ${length} is not a multiple of classes = ${k}`);
  return length / k;
}

export function expectLength(fn: string, name: string, length: number, expected: number, what: string, hint = ""): void {
  if (length !== expected) fail(fn, `${name}.length must be ${expected} (${what}); received ${length}${hint}`);
}

/**
 * The hint for a Float32Array target whose length is not N·K: most often class indices in a
 * Float32Array, read as probabilities.
 */
export function floatTargetsHint(length: number, n: number): string {
  const why = length === n ? "; one float per row looks like class indices, and a Float32Array target is read as probabilities" : "";
  return `${why}; class indices must be an Int32Array (or pass probability targets of N·K)`;
}

export function badLabel(fn: string, name: string, row: number, value: number, k: number, ignoreIndex: number): never {
  return fail(fn, `${name}[${row}] = ${value} is out of range for classes = ${k} (and is not ignoreIndex = ${ignoreIndex})`);
}

/**
 * Class weights / pos weights: finite and ≥ 0. Called after the options snapshot and the intrinsic
 * operand checks, so no caller code runs between this check and the copy. Memory that another thread
 * can write — a SharedArrayBuffer behind the caller's array, or a threaded instance's shared wasm
 * memory behind a resident buffer — is read exactly once: copied here into a private array, which is
 * then both checked and used (the operand becomes that copy, staged like any plain array). Checking
 * it in place and copying it later let a concurrent write of NaN or −5 through between the two reads.
 * Reads only (no wasm memory written).
 */
export function checkWeights(fn: string, name: string, w: Operand<Float32Array>, f32: Float32Array): void {
  if (w.copy !== null ? isShared(w.buffer) : isShared(f32.buffer)) {
    const own = new Float32Array(w.length);
    // one read: the intrinsic set copies the source's elements (a typed array's own methods never run)
    TA_SET.call(own, w.copy ?? f32.subarray(w.ptr >>> 2, (w.ptr >>> 2) + w.length));
    w.copy = own;
    w.ptr = -1;
  }
  checkWeightValues(fn, name, w.copy ?? f32, w.copy === null ? w.ptr >>> 2 : 0, w.length);
}

/** The weights check of checkWeights over `length` values of `src` from index `at` (a private copy). */
export function checkWeightValues(fn: string, name: string, src: Float32Array, at = 0, length = src.length): void {
  for (let j = 0; j < length; j++) {
    const v = src[at + j]!;
    if (!(v >= 0 && v < Infinity)) fail(fn, `${name}[${j}] = ${v}; weights must be finite and ≥ 0`);
    if (v > MAX_WEIGHT_F32) {
      fail(fn, `${name}[${j}] = ${v}; weights must be ≤ ${MAX_WEIGHT} (a weighted row loss is an f32: beyond that it overflows)`);
    }
  }
}

/**
 * The largest class weight / pos weight accepted. Weighted per-row terms are f32 products; with
 * weights near the f32 maximum (3.4e38) they overflow where the f64 answer is finite. Any realistic
 * weighting (ratios of counts) is far below 1e30.
 */
export const MAX_WEIGHT = 1e30;
/** MAX_WEIGHT as the f32 the caller's 1e30 becomes (so that 1e30 itself is accepted). */
const MAX_WEIGHT_F32 = Math.fround(MAX_WEIGHT);

/**
 * A temperature option: a number in (0, ∞) (the message every function shares), then within
 * [lo, hi] where the f32 kernels compute it exactly (docs/non-finite.md "Temperatures").
 */
export function temperatureIn(fn: string, value: unknown, lo: number, hi: number): number {
  const T = numberIn(fn, "temperature", value, 0, Number.MAX_VALUE, 1, true);
  if (T < lo || T > hi) {
    const upper = hi === Number.MAX_VALUE ? "∞)" : `${hi.toExponential().replace("e+", "e")}]`;
    fail(fn, `options.temperature must be in [${lo}, ${upper} (the range computed in f32 without overflow); received ${T}`);
  }
  return T;
}

/** Distinct operands must not overlap unless the API allows it (gradOut over logits). */
export function checkNoOverlap(
  fn: string,
  a: Operand<Float32Array | Int32Array>,
  an: string,
  b: Operand<Float32Array | Int32Array>,
  bn: string,
): void {
  if (a.ptr < 0 || b.ptr < 0) {
    if (a.buffer !== null && a.buffer === b.buffer) {
      const a0 = a.byteOffset,
        a1 = a0 + a.length * 4,
        b0 = b.byteOffset,
        b1 = b0 + b.length * 4;
      if (a0 < b1 && b0 < a1) fail(fn, `${an} and ${bn} overlap in memory; they must be distinct`);
    }
    return;
  }
  if (a.ptr < b.ptr + b.length * 4 && b.ptr < a.ptr + a.length * 4) fail(fn, `${an} and ${bn} overlap in memory; they must be distinct`);
}

/** An integer option in [min, max] (counts such as bins). */
export function countIn(fn: string, name: string, value: unknown, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number") failType(fn, `options.${name} must be an integer ≥ ${min}; received ${describe(value)}`);
  if (!Number.isInteger(value) || value < min) fail(fn, `options.${name} must be an integer ≥ ${min}; received ${value}`);
  if (value > max) fail(fn, `options.${name} must be an integer in [${min}, ${max}]; received ${value}`);
  return value;
}

/** An option value that is only valid as `expected` in this context (`why` says which context). */
export function mustBe(fn: string, name: string, value: unknown, expected: string, why: string): never {
  return fail(fn, `options.${name} must be ${expected} ${why}; received ${describe(value)}`);
}

/** Option `a` was given without the option `b` it needs. */
export function needs(fn: string, a: string, b: string, why: string): never {
  return fail(fn, `options.${a} needs options.${b} (${why}); received no ${b}`);
}

/** Options `a` and `b` were given together but exclude each other. */
export function notWith(fn: string, a: string, b: string, why: string): never {
  return fail(fn, `options.${a} cannot be combined with ${b} (${why})`);
}
