// `npm run bench:peers` — softxent against every peer a JavaScript user could pick instead, each in
// its own process (peer-run.ts), softxent timed beside it in that process. Installs bench/peers on
// demand (npm ci there: onnxruntime alone is ~430 MB, so it never enters the package's own
// dependencies), then writes bench/results/peers.{json,md} and headline.md (the README's table).
//
// Flags:
//   --peers onnxruntime-node,jax-js   only these peers (default: all of PEER_NAMES)
//   --shapes 32x32000                 only these N×K shapes
//   --time MS                         time budget per task and round (default 400; 2 rounds)
//   --quick                           tiny budgets, one round (a smoke run; numbers mean nothing)
//   --no-install                      do not run npm ci in bench/peers (peers installed apart are then skipped if missing)
//   --out NAME                        write bench/results/NAME.{json,md} (+ NAME-headline.md)
// A --quick, --peers or --shapes run writes only results/peers.tmp.json unless --out is given.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "softxent";
import { parseShape, shapeId, type Shape } from "./data.js";
import { finishMachine, gitState, installedVersion, machineNow } from "./environment.js";
import type { Budget } from "./measure.js";
import { repoRoot } from "./paths.js";
import { INSTALLED_APART, NOT_INSTALLABLE_NOTE, PEER_NAMES, peersDir, type PeerName } from "./peers/peer.js";
import { renderHeadline, renderPeersMarkdown } from "./peers-report.js";
import type { RunConfig } from "./peer-compare.js";
import { PEERS_SCHEMA, type PeerRun, type PeersReport } from "./types.js";

export const PEER_SHAPES: readonly Shape[] = [
  { n: 128, k: 10 },
  { n: 256, k: 1000 },
  { n: 32, k: 32000 },
  { n: 8, k: 128000 },
];

interface PeersArgs {
  peers: PeerName[];
  shapes: Shape[] | null;
  timeMs: number | null;
  quick: boolean;
  install: boolean;
  out: string | null;
}

function parsePeersArgs(argv: readonly string[]): PeersArgs {
  const args: PeersArgs = { peers: [...PEER_NAMES], shapes: null, timeMs: null, quick: false, install: true, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = a.split("=")[0];
    const value = (): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${a} needs a value`);
      return v;
    };
    if (flag === "--quick") args.quick = true;
    else if (flag === "--no-install") args.install = false;
    else if (flag === "--shapes") args.shapes = value().split(",").filter(Boolean).map(parseShape);
    else if (flag === "--out") args.out = value();
    else if (flag === "--time") {
      const t = Number(value());
      if (!(t >= 0)) throw new RangeError("--time must be a number of ms ≥ 0");
      args.timeMs = t;
    } else if (flag === "--peers") {
      const names = value().split(",").filter(Boolean);
      for (const n of names)
        if (!(PEER_NAMES as readonly string[]).includes(n)) throw new RangeError(`unknown peer '${n}' (known: ${PEER_NAMES.join(", ")})`);
      args.peers = names as PeerName[];
    } else throw new RangeError(`unknown flag ${a} (flags: --peers, --shapes, --time, --quick, --no-install, --out)`);
  }
  return args;
}

/**
 * Installs bench/peers with `npm ci` when its node_modules is missing or older than its lock.
 * onnxruntime-node's install script would fetch GPU binaries from a non-registry host: skipped
 * (ONNXRUNTIME_NODE_INSTALL=skip, and bench/peers/.npmrc); its CPU binaries ship in the tarball.
 * Returns null when installed, else why not.
 */
function ensurePeersInstalled(install: boolean): string | null {
  const dir = peersDir();
  const marker = join(dir, "node_modules", ".package-lock.json");
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(join(dir, "package-lock.json")).mtimeMs;
  if (fresh) return null;
  if (!install) return "bench/peers is not installed (--no-install)";
  console.log(`installing the peers in ${dir} (npm ci; ~460 MB, onnxruntime's binaries)…`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
  });
  if (r.status === 0) return null;
  return `npm ci in bench/peers failed (${r.error?.message ?? `exit code ${r.status}`})`;
}

function runPeer(config: RunConfig): PeerRun {
  const script = fileURLToPath(new URL("./peer-run.js", import.meta.url));
  const r = spawnSync(process.execPath, ["--expose-gc", script, JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit"] });
  try {
    return JSON.parse(readFileSync(config.out, "utf8")) as PeerRun;
  } catch {
    return {
      peer: config.peer,
      label: config.peer,
      describe: "",
      versions: {},
      status: "failed",
      rows: [],
      notes: [],
      error: `its process ended without a result (${r.error?.message ?? `exit code ${r.status}, signal ${r.signal}`})`,
    };
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = parsePeersArgs(process.argv.slice(2));
  const root = repoRoot();
  const machine = machineNow();
  const shapes = args.shapes ?? PEER_SHAPES;
  const budget: Budget = args.quick
    ? { timeMs: 20, minIterations: 1, slowCapMs: 200 }
    : { timeMs: args.timeMs ?? 400, minIterations: 8, slowCapMs: 2000 };
  const rounds = args.quick ? 1 : 2;
  const notes: string[] = [];
  const installError = args.peers.some((p) => INSTALLED_APART.has(p)) ? ensurePeersInstalled(args.install) : null;
  if (installError) notes.push(installError);
  const tmp = mkdtempSync(join(tmpdir(), "softxent-peers-"));
  const peers: PeerRun[] = [];
  try {
    for (const peer of args.peers) {
      if (installError && INSTALLED_APART.has(peer)) {
        peers.push({ peer, label: peer, describe: "", versions: {}, status: "not installed", error: installError, rows: [], notes: [] });
        continue;
      }
      console.log(`${peer} (own process)`);
      peers.push(runPeer({ peer, shapes: [...shapes], smoothing: 0.1, budget, rounds, out: join(tmp, `${peer}.json`) }));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  notes.push(NOT_INSTALLABLE_NOTE);
  const report: PeersReport = {
    schema: PEERS_SCHEMA,
    date: new Date().toISOString(),
    machine: finishMachine(machine),
    runtime: { node: process.version, v8: process.versions.v8 },
    versions: {
      softxent: VERSION,
      tinybench: installedVersion(root, "tinybench"),
      assemblyscript: installedVersion(root, "assemblyscript"),
    },
    git: gitState(root),
    settings: {
      smoothing: 0.1,
      shapes: shapes.map(shapeId),
      timeMsPerTask: budget.timeMs,
      rounds,
      quick: args.quick,
      softxentBuild: "simd",
      durationSec: Math.round((performance.now() - started) / 100) / 10,
    },
    peers,
    notes,
  };
  const markdown = renderPeersMarkdown(report);
  console.log("\n" + markdown);
  const dir = join(root, "bench", "results");
  const partial = args.quick || args.shapes !== null || args.peers.length !== PEER_NAMES.length;
  if (args.out !== null || !partial) {
    const base = resolve(dir, args.out ?? "peers");
    writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
    writeFileSync(`${base}.md`, markdown);
    const headline = args.out === null ? join(dir, "headline.md") : `${base}-headline.md`;
    writeFileSync(headline, renderHeadline(report));
    console.log(`wrote ${base}.json, ${base}.md, ${headline}`);
  } else {
    const path = join(dir, "peers.tmp.json");
    writeFileSync(path, JSON.stringify(report, null, 2) + "\n");
    console.log(`partial run: wrote ${path} only (use --out NAME to keep its tables)`);
  }
  if (peers.some((p) => p.status !== "ok")) process.exitCode = 1;
}

await main();
