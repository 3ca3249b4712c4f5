// softmaxHead: the fused output layer for TF.js Layers models (docs/spec.md "TF.js adapter"). It takes
// the place of the last `tf.layers.dense({ units: V })` of a model, with the same weights (kernel
// [D, V], bias [V]), and `model.compile({ optimizer, loss: head.loss })` trains it through `fit` with
// softxent's linearCrossEntropy: the N×V logits never exist as a tensor during a training step.
//
//   const head = softmaxHead(tf, { units: V, smoothing: 0.1 });
//   const model = tf.sequential({ layers: [tf.layers.dense({ units: 128, inputShape: [D] }), head] });
//   model.compile({ optimizer: "adam", loss: head.loss, metrics: [head.accuracy] });
//
// How a `fit` step goes (tfjs-layers 4.22, engine/training.js makeTrainFunction): the model runs its
// layers with `training: true`, then calls loss(yTrue, yPred) on the outputs, all inside
// optimizer.minimize, which differentiates the total loss with respect to the trainable variables.
// - The head's training-mode call returns a placeholder of the logits' shape (zeros, one fill; fit's
//   target shape check is made against the layer's declared output shape [.., V], not this tensor) and
//   remembers, keyed by the placeholder's dataId, the tensors the loss needs: its input (hidden), its
//   kernel and its bias.
// - head.loss finds them and runs one tf.customGrad over hidden, kernel and bias whose forward is a
//   single linearCrossEntropy call (loss and all three gradients into a wasm-resident slot) and whose
//   backward scales them by TF.js's dy and uploads them. The gradients reach the optimizer through
//   TF.js's own tape; the placeholder takes no part in it.
// - Outside training (predict, evaluate, validation, apply without training: true) the head is a Dense
//   layer: it returns the real logits (or their softmax with output: 'probabilities'), and head.loss is
//   softxent's crossEntropy on them, with the same options.
// Metrics during fit: a metric handed the placeholder would compute garbage, so head.loss checks, when
// the gradient is taken, that nothing else read the placeholder, and throws if something did (a Keras
// metric such as 'accuracy'). head.accuracy works in both modes (in training it computes the logits
// with one forward product from the remembered tensors, only when it is asked for).

import type { Tensor } from "@tensorflow/tfjs-core";
import type * as TFCore from "@tensorflow/tfjs-core";
import { linearCrossEntropy } from "./linear_cross_entropy.js";
import { softmaxCrossEntropy, type TfCrossEntropyOptions } from "./tfjs.js";
import { TF_CROSS_ENTROPY_KEYS } from "./options.js";
import { resolveOptions, type ResolvedOptions } from "./tfjs/options.js";
import {
  acquireSlot,
  applyDy,
  copiesOnUpload,
  currentTape,
  freeSlot,
  holdSlot,
  hostValues,
  i32TargetView,
  slotView,
  type Slot,
} from "./tfjs/staging.js";
import { describe, fail, failType } from "./validate.js";

const FN = "tfjs.softmaxHead";

/** The part of the TF.js namespace the head uses: pass `tf` itself (from @tensorflow/tfjs or tfjs-node). */
export interface TfLayersNamespace {
  /** The Layers base class (its instance type is the head's type: no import of tfjs-layers' own types). */
  layers: { Layer: abstract new (...args: never[]) => object };
  serialization: {
    registerClass(cls: unknown): unknown;
    SerializationMap: { getMap(): { classNameMap: Record<string, [unknown, unknown] | undefined> } };
  };
  customGrad: typeof TFCore.customGrad;
  tensor: typeof TFCore.tensor;
  scalar: typeof TFCore.scalar;
  zeros: typeof TFCore.zeros;
  softmax: typeof TFCore.softmax;
  log: typeof TFCore.log;
  tidy: typeof TFCore.tidy;
  keep: typeof TFCore.keep;
  matMul: typeof TFCore.matMul;
  add: typeof TFCore.add;
  reshape: typeof TFCore.reshape;
  argMax: typeof TFCore.argMax;
  equal: typeof TFCore.equal;
  cast: typeof TFCore.cast;
  backend: typeof TFCore.backend;
  getBackend: typeof TFCore.getBackend;
  engine: typeof TFCore.engine;
}

export interface SoftmaxHeadOptions extends TfCrossEntropyOptions {
  /** V, the number of classes (a Dense layer's `units`). Required. */
  units: number;
  /** Whether the layer has a bias [V]. Default true, as Dense. */
  useBias?: boolean;
  /** What predict / evaluate / apply return outside training: 'logits' (default) or 'probabilities' (their softmax). */
  output?: "logits" | "probabilities";
  /** Bytes of logits held at once inside the fused call (linearCrossEntropy's chunkBytes). */
  chunkBytes?: number;
  // Dense's layer arguments, with Dense's meaning and defaults:
  kernelInitializer?: unknown;
  biasInitializer?: unknown;
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  inputDim?: number;
  batchSize?: number;
  name?: string;
  trainable?: boolean;
  weights?: Tensor[];
  dtype?: "float32";
}

/**
 * A softmaxHead layer: an instance of the given `tf`'s `tf.layers.Layer` (typed from the namespace you
 * pass, so these declarations need no tfjs-layers types of their own) with the loss and metric that go
 * with it.
 */
export type SoftmaxHeadLayer<T extends TfLayersNamespace = TfLayersNamespace> = InstanceType<T["layers"]["Layer"]> & {
  readonly units: number;
  /** The loss for model.compile: `(yTrue, yPred) => tensor`, one-hot targets [.., V]. */
  readonly loss: (yTrue: Tensor, yPred: Tensor) => Tensor;
  /** Categorical accuracy against one-hot targets, for `metrics: [head.accuracy]` (works during fit). */
  readonly accuracy: (yTrue: Tensor, yPred: Tensor) => Tensor;
};

const LAYER_KEYS = [
  "units",
  "useBias",
  "output",
  "chunkBytes",
  "kernelInitializer",
  "biasInitializer",
  "kernelRegularizer",
  "biasRegularizer",
  "kernelConstraint",
  "biasConstraint",
  "inputShape",
  "batchInputShape",
  "inputDim",
  "batchSize",
  "name",
  "trainable",
  "weights",
  "dtype",
  // written by getConfig (Dense's and Layer's), accepted back by fromConfig
  "activation",
  "activityRegularizer",
  "inputDType",
  "customObjects", // added by tf.loadLayersModel's deserializer
] as const;
/** The loss options: the shared table's (src/options.ts), as softmaxCrossEntropy takes them. */
const LOSS_KEYS: readonly string[] = [...TF_CROSS_ENTROPY_KEYS];
const ALL_KEYS: readonly string[] = [...LAYER_KEYS, ...LOSS_KEYS];

const HINTS: Record<string, string> = {
  activation: "the head outputs logits; pass output: 'probabilities' for their softmax",
  labelsmoothing: "did you mean `smoothing`? (TF.js's name; softxent's option is `smoothing`)",
  label_smoothing: "did you mean `smoothing`?",
  ignore_index: "did you mean `ignoreIndex`?",
  classweight: "did you mean `classWeights` (one weight per class)? fit's per-example `classWeight` works too",
  class_weight: "did you mean `classWeights` (one weight per class)?",
  usebias: "did you mean `useBias`?",
  use_bias: "did you mean `useBias`?",
  classes: "did you mean `units` (the number of classes, as in tf.layers.dense)?",
  numclasses: "did you mean `units` (the number of classes, as in tf.layers.dense)?",
  fromlogits: "the head always works on logits (there is no `fromLogits`)",
  kernelsize: "did you mean `units`?",
  z_loss: "did you mean `zLoss`?",
};

function hintFor(key: string): string {
  const k = key.toLowerCase();
  if (HINTS[k] !== undefined) return HINTS[k]!;
  const near = ALL_KEYS.find(
    (a) => a.toLowerCase() === k || (k.length > 3 && (a.toLowerCase().startsWith(k) || k.startsWith(a.toLowerCase()))),
  );
  return near !== undefined ? `did you mean \`${near}\`?` : "";
}

interface HeadConfig {
  units: number;
  useBias: boolean;
  output: "logits" | "probabilities";
  chunkBytes: number | undefined;
  loss: ResolvedOptions;
  /** The loss options as given (minus defaults), for getConfig. */
  lossConfig: Record<string, unknown>;
  /** Dense's constructor arguments. */
  denseArgs: Record<string, unknown>;
}

function readOptions(options: unknown): HeadConfig {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    failType(FN, `options must be an object like { units: 32000, smoothing: 0.1 }; received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key in o) {
    if (!ALL_KEYS.includes(key)) {
      const hint = hintFor(key);
      fail(
        FN,
        `unknown option '${key}'${hint ? `; ${hint}` : ""}; expected units, Dense's layer arguments or one of ${LOSS_KEYS.join(", ")}`,
      );
    }
  }
  if (o.activation !== undefined && o.activation !== "linear" && o.activation !== null) {
    fail(FN, `options.activation must be left out (the head outputs logits); received ${describe(o.activation)}; ${HINTS.activation}`);
  }
  const units = o.units;
  if (typeof units !== "number" || !Number.isInteger(units) || units < 1) {
    fail(FN, `options.units must be a positive integer (the number of classes V); received ${describe(units)}`);
  }
  if (o.useBias !== undefined && typeof o.useBias !== "boolean")
    failType(FN, `options.useBias must be a boolean; received ${describe(o.useBias)}`);
  const output = o.output ?? "logits";
  if (output !== "logits" && output !== "probabilities")
    fail(FN, `options.output must be 'logits' or 'probabilities'; received ${describe(o.output)}`);
  const chunkBytes = o.chunkBytes;
  if (chunkBytes !== undefined && (typeof chunkBytes !== "number" || !Number.isInteger(chunkBytes) || chunkBytes < 1)) {
    fail(FN, `options.chunkBytes must be a positive integer; received ${describe(chunkBytes)}`);
  }
  const lossGiven: Record<string, unknown> = {};
  for (const k of LOSS_KEYS) if (o[k] !== undefined) lossGiven[k] = o[k];
  // The per-example form is the default: fit multiplies by classWeight per example, then averages.
  const loss = resolveOptions(FN, { reduction: "none", ...lossGiven });
  const lossConfig: Record<string, unknown> = { ...lossGiven, reduction: loss.reduction };
  if (loss.classWeights !== undefined) lossConfig.classWeights = Array.from(loss.classWeights);
  // a per-class focal α serialises as a plain array, as classWeights does
  if (loss.focal !== undefined) {
    const a = loss.focal.alpha;
    lossConfig.focal = { gamma: loss.focal.gamma, ...(a !== undefined && { alpha: typeof a === "number" ? a : Array.from(a) }) };
  }
  const denseArgs: Record<string, unknown> = {};
  for (const k of LAYER_KEYS) {
    if (k === "output" || k === "chunkBytes" || k === "activation" || k === "customObjects") continue;
    if (o[k] !== undefined) denseArgs[k] = o[k];
  }
  return {
    units,
    useBias: (o.useBias as boolean | undefined) ?? true,
    output,
    chunkBytes: chunkBytes as number | undefined,
    loss,
    lossConfig,
    denseArgs,
  };
}

interface Stash {
  hidden: Tensor;
  kernel: Tensor;
  bias: Tensor | null;
  /** The tape of the training call (see currentTape). */
  tape: object | null | undefined;
  released: boolean;
}

/** Training-mode placeholders (by dataId) → what the loss needs. Entries go when the placeholder does. */
const stashes = new WeakMap<object, Stash>();
/**
 * Stashes whose tensors are still held. The layer keeps clones (tf.keep) of hidden, kernel and bias:
 * model.apply runs the graph inside a tidy that disposes hidden before the loss sees it. A stash is
 * released by its loss's backward pass (after the metrics, which run between loss and backward), or by
 * the next training call under another tape (a loss that was never differentiated).
 */
const live: Stash[] = [];

function release(st: Stash): void {
  if (st.released) return;
  st.released = true;
  st.hidden.dispose();
  st.kernel.dispose();
  st.bias?.dispose();
  const i = live.indexOf(st);
  if (i >= 0) live.splice(i, 1);
}

/** A batch of one-hot rows → class indices; an all-zero row is ignored (ignoreIndex). */
function indicesFromOneHot(t: ArrayLike<number>, n: number, v: number, ignoreIndex: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const base = i * v;
    let at = -1;
    for (let j = 0; j < v; j++) {
      const x = t[base + j]!;
      if (x !== 0) {
        if (x !== 1 || at >= 0) {
          fail(
            `${FN} loss`,
            `targets must be one-hot rows (a single 1, or all zeros for a row to ignore); row ${i} has ${x} at class ${j}` +
              `${at >= 0 && x === 1 ? ` besides the 1 at class ${at}` : ""}. For soft targets use a Dense layer with crossEntropyLoss`,
          );
        }
        at = j;
      }
    }
    out[i] = at < 0 ? ignoreIndex : at;
  }
}

function checkTargets(yTrue: Tensor, shape: readonly number[]): void {
  const s = yTrue.shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    fail(
      `${FN} loss`,
      `targets must be one-hot, shaped as the head's output [${shape.join(", ")}]; received [${s.join(", ")}]` +
        (s.length === shape.length - 1 || s[s.length - 1] === 1
          ? " (index labels: model.fit checks targets against the output shape for a custom loss, so it cannot take them; use tf.oneHot)"
          : ""),
    );
  }
}

/** The per-class factors of a per-row dy when they depend on the label only (fit's classWeight), else null. */
function classFactors(dy: ArrayLike<number>, labels: Int32Array, v: number, ignoreIndex: number): Float32Array | null {
  const f = new Float32Array(v);
  const seen = new Uint8Array(v);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === ignoreIndex) continue;
    if (seen[y] && f[y] !== dy[i]) return null;
    seen[y] = 1;
    f[y] = dy[i]!;
  }
  return f;
}

/** Whether a node of the active tape other than `self` took `dataId` as an input. */
function readByOthers(tf: TfLayersNamespace, dataId: object): boolean {
  const tape = (tf.engine() as unknown as { state?: { activeTape?: Array<{ inputs?: Record<string, Tensor | undefined> }> | null } }).state
    ?.activeTape;
  if (!Array.isArray(tape)) return false;
  for (const node of tape) {
    for (const t of Object.values(node.inputs ?? {})) if (t && t.dataId === dataId) return true;
  }
  return false;
}

function fusedLoss(tf: TfLayersNamespace, cfg: HeadConfig, st: Stash, yTrue: Tensor, placeholderId: object): Tensor {
  const o = cfg.loss;
  const [d, v] = st.kernel.shape as [number, number];
  const hShape = st.hidden.shape.slice();
  const batchShape = hShape.slice(0, -1);
  const n = st.hidden.size / d;
  checkTargets(yTrue, [...batchShape, v]);
  const gh = n * d,
    gw = d * v,
    gb = st.bias !== null ? v : 0;
  const total = gh + gw + gb;
  const base = {
    classes: v,
    weightLayout: "dv" as const,
    smoothing: o.smoothing,
    smoothingMode: o.smoothingMode,
    ignoreIndex: o.ignoreIndex,
    zLoss: o.zLoss,
    ...(o.focal !== undefined && { focal: o.focal }),
    ...(cfg.chunkBytes !== undefined && { chunkBytes: cfg.chunkBytes }),
  };
  /** One fused call into the slot's gradient views (or loss only without a slot). */
  const run = (slot: Slot | null, h: Tensor, k: Tensor, b: Tensor | null, labels: Int32Array, extra: Record<string, unknown>) => {
    const g = slot !== null ? slotView(slot, total) : null;
    return linearCrossEntropy(hostValues(tf, h) as Float32Array, hostValues(tf, k) as Float32Array, labels, {
      ...base,
      ...(b !== null && { bias: hostValues(tf, b) as Float32Array }),
      grad: g !== null,
      ...(g !== null && {
        gradHidden: g.subarray(0, gh),
        gradWeight: g.subarray(gh, gh + gw),
        ...(b !== null && { gradBias: g.subarray(gh + gw, total) }),
      }),
      ...extra,
    });
  };
  const op = tf.customGrad((...inputs: Array<Tensor | TFCore.GradSaveFunc>) => {
    const h = inputs[0] as Tensor,
      k = inputs[1] as Tensor;
    const b = st.bias !== null ? (inputs[2] as Tensor) : null;
    const save = inputs[inputs.length - 1] as TFCore.GradSaveFunc;
    const tape = currentTape(tf);
    const wantGrad = tape !== null; // no tape: evaluate-like use, the loss only
    const slot: Slot | null = wantGrad ? acquireSlot(total, tape) : null;
    const labels = i32TargetView(n); // after the slot: an allocation would detach an earlier view
    indicesFromOneHot(hostValues(tf, yTrue), n, v, o.ignoreIndex, labels);
    // A per-row dy (fit's classWeight) needs a second pass in the backward: keep its labels (now: the
    // fused call may grow wasm memory, which detaches this view) and inputs.
    const labelsKept = wantGrad && o.reduction === "none" ? labels.slice() : null;
    const r = run(slot, h, k, b, labels, {
      reduction: o.reduction,
      ...(o.classWeights !== undefined && { classWeights: o.classWeights, classWeightMode: o.classWeightMode }),
    });
    const value = typeof r.loss === "number" ? tf.scalar(r.loss) : tf.tensor(r.loss, batchShape, "float32");
    if (slot !== null) {
      holdSlot(slot, tape);
      if (labelsKept !== null) save(b !== null ? [h, k, b] : [h, k]);
    }
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        if (slot === null || !slot.pending) {
          throw new Error(`softxent.${FN}: the gradient of this step is no longer held (its tape ended); this is a bug, please report it`);
        }
        try {
          if (readByOthers(tf, placeholderId)) {
            fail(
              FN,
              "during fit the head outputs a placeholder, not logits, and something other than head.loss read it " +
                "(a metric such as 'accuracy' or 'crossentropy'?). Use metrics: [head.accuracy], which works in training; " +
                "Keras metrics on the head's output work in evaluate and predict",
            );
          }
          const dv = hostValues(tf, dy);
          let c = dv.length === 0 ? 1 : dv[0]!;
          let uniform = true;
          for (let i = 1; i < dv.length; i++)
            if (dv[i] !== c) {
              uniform = false;
              break;
            }
          if (!uniform) {
            // Per-example weights (fit's classWeight: sampleWeight_i / N per row). They are a function of
            // the label, so the same fused call with per-class weights in 'target' mode (w_y scales the
            // whole row) and reduction 'sum' gives the gradient of Σ dy_i·L_i directly.
            const f = classFactors(dv, labelsKept!, v, o.ignoreIndex);
            if (f === null) {
              fail(FN, "per-example weights that differ between examples of one class are not supported (fit's classWeight is)");
            }
            if (o.zLoss > 0) fail(FN, "fit's classWeight cannot be combined with zLoss (the z-loss term is never weighted)");
            if (o.classWeights !== undefined) {
              if (o.classWeightMode === "pytorch" && o.smoothing > 0) {
                fail(
                  FN,
                  "fit's classWeight cannot be combined with classWeights in 'pytorch' mode under smoothing; pass classWeightMode: 'target'",
                );
              }
              for (let j = 0; j < v; j++) f[j] = f[j]! * o.classWeights[j]!;
            }
            const labels2 = i32TargetView(n);
            labels2.set(labelsKept!);
            run(slot, saved[0]!, saved[1]!, st.bias !== null ? saved[2]! : null, labels2, {
              reduction: "sum",
              classWeights: f,
              classWeightMode: "target",
            });
            c = 1;
          }
          const g = slotView(slot, total);
          if (c !== 1) applyDy(g, 1, total, [c]);
          const copies = copiesOnUpload(tf);
          const out = (at: number, len: number, shape: number[]) => {
            const view = g.subarray(at, at + len);
            return tf.tensor(copies ? view : view.slice(), shape, "float32");
          };
          const grads = [out(0, gh, hShape), out(gh, gw, [d, v])];
          if (st.bias !== null) grads.push(out(gh + gw, gb, st.bias.shape));
          return grads;
        } finally {
          freeSlot(slot);
          release(st);
        }
      },
    };
  });
  return st.bias !== null ? op(st.hidden, st.kernel, st.bias) : op(st.hidden, st.kernel);
}

/** The loss outside training: softxent's crossEntropy on the real logits, with the head's options. */
function plainLoss(tf: TfLayersNamespace, cfg: HeadConfig, yTrue: Tensor, yPred: Tensor): Tensor {
  const shape = yPred.shape.slice();
  checkTargets(yTrue, shape);
  const v = shape[shape.length - 1]!;
  const n = yPred.size / v;
  const labels = new Int32Array(n);
  indicesFromOneHot(hostValues(tf, yTrue), n, v, cfg.loss.ignoreIndex, labels);
  const o = cfg.loss;
  const options: TfCrossEntropyOptions = {
    smoothing: o.smoothing,
    smoothingMode: o.smoothingMode,
    reduction: o.reduction,
    ignoreIndex: o.ignoreIndex,
    zLoss: o.zLoss,
    ...(o.classWeights !== undefined && { classWeights: o.classWeights, classWeightMode: o.classWeightMode }),
  };
  if (cfg.output === "probabilities") {
    // log p is a logit vector with the same softmax (a class of probability 0 becomes a masked class).
    return tf.tidy(() => softmaxCrossEntropy(tf as never, labels, tf.log(yPred), options));
  }
  return softmaxCrossEntropy(tf as never, labels, yPred, options);
}

interface LayerVariableLike {
  read(): Tensor;
}

interface DenseLike {
  units: number;
  kernel: LayerVariableLike | null;
  bias: LayerVariableLike | null;
  call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
  getConfig(): Record<string, unknown>;
}

type DenseCtor = new (args: Record<string, unknown>) => DenseLike;

const classes = new WeakMap<object, new (options: SoftmaxHeadOptions) => SoftmaxHeadLayer>();

/**
 * The SoftmaxHead layer class for this `tf`, registered with tf.serialization (so that
 * tf.loadLayersModel can rebuild a saved model). softmaxHead() calls it; call it yourself before
 * loading a saved model in a process that has not built a head yet.
 */
export function registerSoftmaxHead<T extends TfLayersNamespace>(tf: T): new (options: SoftmaxHeadOptions) => SoftmaxHeadLayer<T> {
  if (typeof tf !== "object" || tf === null || typeof tf.layers?.Layer !== "function" || typeof tf.serialization !== "object") {
    failType(FN, `tf must be the TF.js namespace with Layers (import * as tf from "@tensorflow/tfjs"); received ${describe(tf)}`);
  }
  const key = tf.layers.Layer as object;
  const known = classes.get(key);
  if (known !== undefined) return known;
  const dense = tf.serialization.SerializationMap.getMap().classNameMap.Dense;
  if (dense === undefined) failType(FN, "this TF.js has no Dense layer registered (is @tensorflow/tfjs-layers loaded?)");
  const Dense = dense[0] as DenseCtor;

  // A Dense layer (same build, weights, initializers, regularizers, constraints, output shape) whose
  // training-mode call defers the product to the loss.
  class SoftmaxHead extends Dense {
    static className = "SoftmaxHead";
    private readonly cfg: HeadConfig;
    readonly loss: (yTrue: Tensor, yPred: Tensor) => Tensor;
    readonly accuracy: (yTrue: Tensor, yPred: Tensor) => Tensor;

    constructor(options: SoftmaxHeadOptions) {
      const cfg = readOptions(options);
      super({ ...cfg.denseArgs, units: cfg.units, useBias: cfg.useBias });
      this.cfg = cfg;
      this.loss = (yTrue, yPred) => {
        const st = stashes.get(yPred.dataId);
        if (st?.released)
          throw new Error(
            `softxent.${FN}: this training output's loss was already differentiated (or a later training call replaced it); call the model again`,
          );
        return st !== undefined ? fusedLoss(tf, cfg, st, yTrue, yPred.dataId) : plainLoss(tf, cfg, yTrue, yPred);
      };
      // Named 'acc' as Keras's 'accuracy' is in fit's logs.
      const acc = (yTrue: Tensor, yPred: Tensor): Tensor =>
        tf.tidy(() => {
          const st = stashes.get(yPred.dataId);
          let logits = yPred;
          if (st !== undefined) {
            const [d, v] = st.kernel.shape as [number, number];
            const z = tf.matMul(tf.reshape(st.hidden, [-1, d]), st.kernel);
            logits = tf.reshape(st.bias !== null ? tf.add(z, st.bias) : z, [...st.hidden.shape.slice(0, -1), v]);
          }
          return tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(logits, -1)), "float32");
        });
      this.accuracy = acc;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[] {
      if (kwargs?.training !== true) {
        const z = super.call(inputs, kwargs) as Tensor;
        if (this.cfg.output !== "probabilities") return z;
        const p = tf.softmax(z);
        z.dispose();
        return p;
      }
      const tape = currentTape(tf);
      for (const old of live.slice()) if (old.tape === undefined || old.tape !== tape) release(old);
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      // Clones (the gradient passes through them to x and the variables), kept past model.apply's tidy.
      const hidden = tf.keep(x.clone());
      const kernel = tf.keep(this.kernel!.read().clone());
      const bias = this.bias !== null ? tf.keep(this.bias.read().clone()) : null;
      const placeholder = tf.zeros([...x.shape.slice(0, -1), this.units]);
      const st: Stash = { hidden, kernel, bias, tape, released: false };
      stashes.set(placeholder.dataId, st);
      live.push(st);
      return placeholder;
    }

    override getConfig(): Record<string, unknown> {
      const config = super.getConfig();
      delete config.activation; // always linear
      return {
        ...config,
        output: this.cfg.output,
        ...(this.cfg.chunkBytes !== undefined && { chunkBytes: this.cfg.chunkBytes }),
        ...this.cfg.lossConfig,
      };
    }
  }
  tf.serialization.registerClass(SoftmaxHead);
  const cls = SoftmaxHead as unknown as new (options: SoftmaxHeadOptions) => SoftmaxHeadLayer;
  classes.set(key, cls);
  return cls;
}

/**
 * A TF.js Layers layer that takes the place of a model's last `tf.layers.dense({ units: V })` (same
 * kernel [D, V] and bias [V]) and trains through model.fit with softxent's fused head:
 * `model.compile({ optimizer, loss: head.loss })`, one-hot targets. Options: `units`, Dense's layer
 * arguments, `output` ('logits' | 'probabilities', outside training), and every index-target option of
 * softmaxCrossEntropy (reduction defaults to 'none', the per-example form fit's classWeight needs).
 * Requires `await init()` from "softxent" before training.
 */
export function softmaxHead<T extends TfLayersNamespace>(tf: T, options: SoftmaxHeadOptions): SoftmaxHeadLayer<T> {
  const Head = registerSoftmaxHead(tf);
  return new Head(options);
}
