// Writes the Brown corpus, tokenised with the page's vocabulary, as one gzip'd file for the browser page
// (dist-examples/lm-data/brown-<V>.bin.gz, copied by Vite as a public asset): the page needs no network.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { loadBrown } from "./corpus.js";
import { encodeCorpus } from "./model.js";

export const PAGE_VOCAB = 20002;
const dir = fileURLToPath(new URL("../lm-data/", import.meta.url));
mkdirSync(dir, { recursive: true });
const { vocab, ids } = loadBrown(PAGE_VOCAB);
const bytes = gzipSync(encodeCorpus(vocab, ids), { level: 9 });
writeFileSync(`${dir}brown-${PAGE_VOCAB}.bin.gz`, bytes);
console.log(`wrote ${dir}brown-${PAGE_VOCAB}.bin.gz (${(bytes.length / 1e6).toFixed(2)} MB, ${ids.length} tokens)`);
