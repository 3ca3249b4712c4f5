/**
 * One training run: a model, Adam, seeded mini-batches, and softxent's crossEntropy for the loss and
 * its gradient. The batch's logits, labels and gradient live in wasm-resident buffers
 * (allocFloat32 / allocInt32): the model writes its logits straight into wasm memory, the kernel
 * writes the gradient there, and the backward pass reads it from there — a step copies nothing
 * through the facade.
 *
 * Runs are stepped an epoch at a time so that a caller can interleave several (the CLI trains ε = 0
 * and ε = 0.1 side by side) and report progress between batches.
 */
import { allocFloat32, allocInt32, crossEntropy, type FocalOptions, type WasmBuffer } from "softxent";
import type { Dataset, Split } from "./data.js";
import { Model, type ModelKind } from "./model.js";
import { Adam } from "./optim.js";
import { mulberry32, shuffle, subSeed, type Rng } from "./rng.js";
import { accuracy, calibration, fitTemperature, type CalibrationResult } from "./metrics.js";

export interface TrainConfig {
  model: ModelKind;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  smoothing: number;
  seed: number;
  /** Train with the focal loss instead of cross-entropy (docs/spec.md "focal"), e.g. { gamma: 3 }. */
  focal?: FocalOptions;
}

/** Adam learning rates that work for each model on these data (softmax regression wants a larger one). */
export const DEFAULT_LEARNING_RATE: Readonly<Record<ModelKind, number>> = { mlp: 1e-3, softmax: 3e-3 };

export const DEFAULTS: Readonly<TrainConfig> = {
  model: "mlp",
  hidden: 128,
  epochs: 10,
  batchSize: 32,
  learningRate: DEFAULT_LEARNING_RATE.mlp,
  smoothing: 0.1,
  seed: 42,
};

/** A point of the training-loss curve: mean loss of the batches since the previous point. */
export interface TracePoint {
  /** Epochs done, fractional (0.25 = a quarter of the first epoch). */
  epoch: number;
  loss: number;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss of the epoch (the loss that was minimised: smoothed, or focal). */
  trainLoss: number;
  /** Validation NLL (ε = 0) and accuracy after the epoch. */
  validationNll: number;
  validationAccuracy: number;
  seconds: number;
}

export interface Evaluation {
  /** Fitted on the validation split by fitTemperature. */
  temperature: number;
  atBound: boolean;
  /** Test-split metrics at T = 1 and at the fitted T. */
  test: CalibrationResult;
  testScaled: CalibrationResult;
}

export type Progress = (done: number, total: number, runningLoss: number) => void;

interface StepBuffers {
  logits: WasmBuffer<Float32Array>;
  labels: WasmBuffer<Int32Array>;
  grad: WasmBuffer<Float32Array>;
}

/** Number of trace points recorded per epoch. */
const TRACE_PER_EPOCH = 10;

export class TrainingRun {
  readonly config: TrainConfig;
  readonly model: Model;
  readonly history: EpochRecord[] = [];
  readonly trace: TracePoint[] = [];
  private readonly optimizer: Adam;
  private readonly batchRng: Rng;
  private readonly order: Int32Array;
  private readonly buffers = new Map<number, StepBuffers>();
  private readonly data: Split;

  constructor(data: Split, config: TrainConfig) {
    this.config = config;
    this.data = data;
    const { features, classes } = data.train;
    // The same init seed for every ε: the runs differ only in the loss.
    this.model = new Model({ kind: config.model, features, classes, hidden: config.hidden }, mulberry32(subSeed(config.seed, "init")));
    this.optimizer = new Adam(this.model.params, config.learningRate);
    this.batchRng = mulberry32(subSeed(config.seed, "batches"));
    this.order = Int32Array.from({ length: data.train.count }, (_, i) => i);
  }

  get epochsDone(): number {
    return this.history.length;
  }

  /** The resident buffers for a batch of `n` rows (the last batch of an epoch may be shorter). */
  private buffersFor(n: number): StepBuffers {
    let b = this.buffers.get(n);
    if (!b) {
      const k = this.data.train.classes;
      b = { logits: allocFloat32(n * k), labels: allocInt32(n), grad: allocFloat32(n * k) };
      this.buffers.set(n, b);
    }
    return b;
  }

  /** Trains one epoch over a fresh seeded permutation of the training split. */
  trainEpoch(progress?: Progress): EpochRecord {
    const t0 = performance.now();
    const train = this.data.train;
    const { classes } = train;
    const bs = this.config.batchSize;
    shuffle(this.order, this.batchRng);
    const batches = Math.ceil(train.count / bs);
    const traceEvery = Math.max(1, Math.round(batches / TRACE_PER_EPOCH));
    let epochSum = 0;
    let windowSum = 0;
    let windowCount = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * bs;
      const n = Math.min(bs, train.count - start);
      const rows = this.order.subarray(start, start + n);
      const buf = this.buffersFor(n);
      const labels = buf.labels.view;
      for (let r = 0; r < n; r++) labels[r] = train.labels[rows[r]!]!;
      const batch = { pixels: train.pixels, features: train.features, rows, count: n };
      this.model.forward(batch, buf.logits.view);
      const { loss } = crossEntropy(buf.logits, buf.labels, {
        classes,
        smoothing: this.config.smoothing,
        gradOut: buf.grad,
        ...(this.config.focal && { focal: this.config.focal }),
      });
      this.model.backward(batch, buf.grad.view);
      this.optimizer.step(this.model.grads);
      epochSum += loss;
      windowSum += loss;
      windowCount++;
      if ((b + 1) % traceEvery === 0 || b === batches - 1) {
        this.trace.push({ epoch: this.history.length + (b + 1) / batches, loss: windowSum / windowCount });
        windowSum = 0;
        windowCount = 0;
      }
      progress?.(b + 1, batches, epochSum / (b + 1));
    }
    const v = this.data.validation;
    const vLogits = this.model.predict(v.pixels, v.count);
    const record: EpochRecord = {
      epoch: this.history.length + 1,
      trainLoss: epochSum / batches,
      validationNll: nll(vLogits, v),
      validationAccuracy: accuracy(vLogits, v.labels, classes),
      seconds: (performance.now() - t0) / 1000,
    };
    this.history.push(record);
    return record;
  }

  /** Fits T on the validation split, then measures the test split at T = 1 and at T. */
  evaluate(bins = 15): Evaluation {
    const { validation: v, test } = this.data;
    const classes = test.classes;
    const fit = fitTemperature(this.model.predict(v.pixels, v.count), v.labels, { classes });
    const testLogits = this.model.predict(test.pixels, test.count);
    return {
      temperature: fit.temperature,
      atBound: fit.atBound,
      test: calibration(testLogits, test.labels, { classes, bins }),
      testScaled: calibration(testLogits, test.labels, { classes, bins, temperature: fit.temperature }),
    };
  }

  /** Returns the wasm buffers to softxent. */
  release(): void {
    for (const b of this.buffers.values()) {
      b.logits.release();
      b.labels.release();
      b.grad.release();
    }
    this.buffers.clear();
  }
}

/** Mean negative log-likelihood (crossEntropy at ε = 0, no gradient). */
export function nll(logits: Float32Array, data: Dataset): number {
  return crossEntropy(logits, data.labels, { classes: data.classes, grad: false }).loss;
}
