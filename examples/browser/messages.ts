// What the page and its worker say to each other.
import type { ModelKind } from "../trainer/model.js";
import type { EpochRecord, Evaluation, TracePoint } from "../trainer/train.js";

export interface StartMessage {
  type: "start";
  dataUrl: string;
  model: ModelKind;
  epochs: number;
  smoothings: number[];
  /** γ of the focal runs (ε = 0), after the smoothing runs. */
  focals: Array<number | "flsd-53">;
  subset: number;
  seed: number;
}

export type WorkerMessage =
  | { type: "ready"; backend: string; split: { train: number; validation: number; test: number }; model: string }
  | { type: "progress"; run: number; epoch: number; done: number; total: number; loss: number; trace: TracePoint[] }
  | { type: "epoch"; run: number; record: EpochRecord; trace: TracePoint[] }
  | { type: "evaluating" }
  | { type: "evaluation"; run: number; evaluation: Evaluation }
  | { type: "done"; seconds: number }
  | { type: "error"; message: string };
