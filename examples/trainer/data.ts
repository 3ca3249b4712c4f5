/**
 * The data set as the trainer sees it: images as bytes (0–255, one row of `features` per sample),
 * labels as class indices, and a fixed-seed train / validation / test split.
 *
 * The MNIST digits of the `mnist` package come as 10 JSON files, one per digit, pixel values
 * k/255 written to 3 decimals; `round(v·255)` recovers the byte exactly. The canonical order is
 * the package's: all 0s, then all 1s, … — the split shuffles it with a seeded generator, so the same
 * seed gives the same split in Node (examples/trainer/mnist-node.ts) and in the browser page (which
 * loads the same bytes from a binary file written at build time).
 */
import { mulberry32, shuffle, subSeed } from "./rng.js";

export interface Dataset {
  /** `count × features` bytes, row-major. */
  pixels: Uint8Array;
  /** `count` class indices in [0, classes). */
  labels: Int32Array;
  count: number;
  features: number;
  classes: number;
}

export interface Split {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  seed: number;
}

export interface SplitOptions {
  seed: number;
  /** Use only this many samples (after the seeded shuffle), e.g. for a quick run. Default: all. */
  subset?: number;
  /** Fractions of the (sub)set for validation and test; the rest trains. Defaults 0.1 and 0.2. */
  validationFraction?: number;
  testFraction?: number;
}

/** The rows `order[from..to)` of `data`, copied into a new Dataset. */
export function take(data: Dataset, order: ArrayLike<number>, from: number, to: number): Dataset {
  const n = to - from;
  const d = data.features;
  const pixels = new Uint8Array(n * d);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const src = order[from + r]!;
    pixels.set(data.pixels.subarray(src * d, (src + 1) * d), r * d);
    labels[r] = data.labels[src]!;
  }
  return { pixels, labels, count: n, features: d, classes: data.classes };
}

/** A reproducible train / validation / test split: shuffle once with the seed, then cut. */
export function split(data: Dataset, options: SplitOptions): Split {
  const total = Math.min(options.subset ?? data.count, data.count);
  if (!Number.isInteger(total) || total < 10) throw new RangeError(`subset must be an integer ≥ 10; received ${options.subset}`);
  const order = shuffle(
    Int32Array.from({ length: data.count }, (_, i) => i),
    mulberry32(subSeed(options.seed, "split")),
  );
  const nVal = Math.round(total * (options.validationFraction ?? 0.1));
  const nTest = Math.round(total * (options.testFraction ?? 0.2));
  const nTrain = total - nVal - nTest;
  return {
    train: take(data, order, 0, nTrain),
    validation: take(data, order, nTrain, nTrain + nVal),
    test: take(data, order, nTrain + nVal, total),
    seed: options.seed,
  };
}

/** Serialises a dataset compactly: a 16-byte header ("SXMN", count, features, classes), labels as bytes, pixels. */
export function encodeDataset(data: Dataset): Uint8Array {
  const out = new Uint8Array(16 + data.count + data.pixels.length);
  const header = new DataView(out.buffer);
  out.set([0x53, 0x58, 0x4d, 0x4e]); // "SXMN"
  header.setUint32(4, data.count, true);
  header.setUint32(8, data.features, true);
  header.setUint32(12, data.classes, true);
  for (let i = 0; i < data.count; i++) out[16 + i] = data.labels[i]!;
  out.set(data.pixels, 16 + data.count);
  return out;
}

/** Reads what encodeDataset wrote. */
export function decodeDataset(bytes: Uint8Array): Dataset {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || view.getUint32(0, false) !== 0x53584d4e) throw new Error("not a softxent MNIST data file (bad magic)");
  const count = view.getUint32(4, true);
  const features = view.getUint32(8, true);
  const classes = view.getUint32(12, true);
  if (bytes.length !== 16 + count + count * features) {
    throw new Error(`softxent MNIST data file: expected ${16 + count + count * features} bytes, received ${bytes.length}`);
  }
  const labels = Int32Array.from(bytes.subarray(16, 16 + count));
  const pixels = bytes.slice(16 + count);
  return { pixels, labels, count, features, classes };
}
