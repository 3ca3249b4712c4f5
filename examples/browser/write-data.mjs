// Writes the 10,000 MNIST digits of the mnist package as one compact gzip'd binary for the browser
// page (header, labels as bytes, pixels as bytes: see encodeDataset in examples/trainer/data.ts).
// The page splits it with the same seeded code as the CLI. Run after `npm run build:examples`.
import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { loadMnist } from "../../dist-examples/trainer/mnist-node.js";
import { encodeDataset } from "../../dist-examples/trainer/data.js";

const dir = fileURLToPath(new URL("../../dist-examples/browser-data/", import.meta.url));
mkdirSync(dir, { recursive: true });
const bytes = gzipSync(encodeDataset(loadMnist()), { level: 9 });
writeFileSync(`${dir}mnist-digits.bin.gz`, bytes);
console.log(`wrote ${dir}mnist-digits.bin.gz (${(bytes.length / 1e6).toFixed(2)} MB)`);
