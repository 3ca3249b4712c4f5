// Which machine, runtime and versions produced a table: stamped into every results JSON and printed
// under every table, because the numbers mean nothing without them (a shared 2-core VM is not a
// quiet desktop).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, totalmem } from "node:os";
import { join } from "node:path";
import type { Machine } from "./types.js";

/** The machine now; call finishMachine() at the end of the run to record the load then. */
export function machineNow(): Machine {
  const cpuList = cpus();
  const load = loadavg()[0]!;
  return {
    cpu: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    arch: arch(),
    platform: platform(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAvg1m: [round2(load), round2(load)],
  };
}

export function finishMachine(m: Machine): Machine {
  return { ...m, loadAvg1m: [m.loadAvg1m[0], round2(loadavg()[0]!)] };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The version in `<dir>/node_modules/<name>/package.json`, or "not installed". */
export function installedVersion(dir: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

/**
 * The commit benchmarked, and whether the core's sources (assembly/, src/, build config) had
 * uncommitted changes; null outside a git checkout.
 */
export function gitState(root: string): { commit: string; dirty: boolean } | null {
  try {
    const run = (...args: string[]) =>
      execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const commit = run("rev-parse", "HEAD");
    const dirty = run("status", "--porcelain", "--", "assembly", "src", "scripts", "asconfig.json", "package.json") !== "";
    return { commit, dirty };
  } catch {
    return null;
  }
}
