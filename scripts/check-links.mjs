// Checks every relative link and image in README.md and docs/*.md: the file must exist in the
// repository, and a #fragment must name a heading of the target Markdown file (GitHub's heading
// anchors). External links (http:, https:, mailto:) are not fetched. Exits 1 on any broken link.
// Run: node scripts/check-links.mjs [file.md …]
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** GitHub's anchor for a heading: lower case, formatting and punctuation dropped, spaces → hyphens. */
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images keep their text
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a Markdown file defines (headings outside code fences, duplicates numbered as GitHub does). */
function anchorsOf(text) {
  const seen = new Map();
  const anchors = new Set();
  let fence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Link targets outside code fences and inline code: [text](target) and ![alt](target). */
function linksOf(text) {
  const links = [];
  let fence = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) return;
    const plain = line.replace(/`[^`]*`/g, (code) => " ".repeat(code.length));
    for (const m of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: m[1], line: i + 1 });
  });
  return links;
}

const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((f) => resolve(f))
    : [
        join(root, "README.md"),
        ...readdirSync(join(root, "docs"))
          .filter((f) => f.endsWith(".md"))
          .map((f) => join(root, "docs", f)),
      ];

const anchorCache = new Map();
function anchorsIn(path) {
  if (!anchorCache.has(path)) anchorCache.set(path, anchorsOf(readFileSync(path, "utf8")));
  return anchorCache.get(path);
}

let broken = 0;
let checked = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  for (const { target, line } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // external
    checked++;
    const [pathPart, fragment] = target.split("#", 2);
    const dest = pathPart === "" ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    const where = `${relative(root, file)}:${line}`;
    if (!existsSync(dest)) {
      console.error(`${where}: ${target} — no such file`);
      broken++;
      continue;
    }
    if (fragment !== undefined && dest.endsWith(".md") && statSync(dest).isFile() && !anchorsIn(dest).has(fragment)) {
      console.error(`${where}: ${target} — ${relative(root, dest)} has no heading with anchor #${fragment}`);
      broken++;
    }
  }
}
console.log(`${checked} relative links in ${files.length} files, ${broken} broken`);
process.exit(broken === 0 ? 0 : 1);
