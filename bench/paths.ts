// Where the repository is, from a bench file (run from bench/ by vitest or from build/bench/ by node).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Directory holding the repository's package.json (walks up from this file, built or not). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "softxent") return dir;
    } catch {
      // not here; go up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("bench: cannot find softxent's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}
