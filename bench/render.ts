// `npm run bench:report [-- path/to/results.json]` — regenerates the markdown table and the SVG chart
// beside a results JSON (default bench/results/latest.json) without re-running anything.

import { join } from "node:path";
import { readReport, renderFiles } from "./output.js";
import { repoRoot } from "./paths.js";

const path = process.argv[2] ?? join(repoRoot(), "bench", "results", "latest.json");
const files = renderFiles(readReport(path), path.replace(/\.json$/, ""));
console.log(`wrote ${files.join(", ")}`);
