// `npm run bench:report [-- path/to/latest.json]` — regenerates the markdown tables and the SVG chart
// beside a results JSON (default bench/results/latest.json) without re-running anything; also
// peers.md and headline.md from bench/results/peers.json when that exists.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readReport, renderFiles } from "./output.js";
import { repoRoot } from "./paths.js";
import { renderHeadline, renderPeersMarkdown } from "./peers-report.js";
import { PEERS_SCHEMA, type PeersReport } from "./types.js";

const dir = join(repoRoot(), "bench", "results");
const path = process.argv[2] ?? join(dir, "latest.json");
const files = renderFiles(readReport(path), path.replace(/\.json$/, ""));
const peersPath = join(dir, "peers.json");
if (process.argv[2] === undefined && existsSync(peersPath)) {
  const peers = JSON.parse(readFileSync(peersPath, "utf8")) as PeersReport;
  if (peers.schema !== PEERS_SCHEMA) throw new Error(`${peersPath}: schema '${String(peers.schema)}', expected '${PEERS_SCHEMA}'`);
  writeFileSync(join(dir, "peers.md"), renderPeersMarkdown(peers));
  writeFileSync(join(dir, "headline.md"), renderHeadline(peers));
  files.push(join(dir, "peers.md"), join(dir, "headline.md"));
}
console.log(`wrote ${files.join(", ")}`);
