// What every peer of the separate-process comparison (bench/peer-run.ts) provides, and where the
// peers installed apart (bench/peers/package.json: onnxruntime, jax-js, onnx-proto) are loaded from.
// They are required at run time through bench/peers' own node_modules, never imported statically,
// so that the bench compiles and `npm run bench` runs on a clone where they are not installed.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { installedVersion } from "../environment.js";
import { repoRoot } from "../paths.js";

export interface PeerAnswer {
  loss: number;
  grad: ArrayLike<number>;
}

/** One shape, prepared: `run` is the timed call (sync or async), `dispose` frees what prepare made. */
export interface PeerTask {
  run(): PeerAnswer | Promise<PeerAnswer>;
  dispose(): void | Promise<void>;
  /** A leak the timed calls left behind (live tensors, arrays), or null. */
  leak?(): string | null;
}

export interface Peer {
  id: PeerName;
  /** Table label, with the version. */
  label: string;
  versions: Record<string, string>;
  /** What one timed call does, for the notes under the table. */
  describe: string;
  /** Facts worth a line under the table (backend details, SIMD). */
  notes: string[];
  prepare(logits: Float32Array, labels: Int32Array, classes: number, smoothing: number): Promise<PeerTask>;
}

/** Every peer, in table order; each runs in its own process (see peer-run.ts). */
export const PEER_NAMES = ["plain-js", "tfjs-wasm", "tfjs-cpu", "onnxruntime-node", "onnxruntime-web", "jax-js"] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** Peers that need `bench/peers` installed (npm ci there; npm run bench:peers does it on demand). */
export const INSTALLED_APART: ReadonlySet<PeerName> = new Set(["onnxruntime-node", "onnxruntime-web", "jax-js"]);

/** Why a peer package cannot be installed here: stated under the table rather than left out silently. */
export const NOT_INSTALLABLE_NOTE =
  "@tensorflow/tfjs-node 4.22 (TF.js's native backend) is not compared: its install script downloads libtensorflow " +
  "from storage.googleapis.com, not from the npm registry, which this bench's machine cannot reach (and a fresh clone may not either).";

export function peersDir(): string {
  return join(repoRoot(), "bench", "peers");
}

/** `require` rooted in bench/peers (its node_modules); throws a clear error when not installed. */
export function peersRequire(): NodeJS.Require {
  const dir = peersDir();
  if (!existsSync(join(dir, "node_modules"))) {
    throw new Error(`bench/peers is not installed (run npm run bench:peers, or npm ci in ${dir})`);
  }
  return createRequire(join(dir, "package.json"));
}

/** A package's version as installed in bench/peers (read from disk: not every package exports its package.json). */
export function peerVersion(name: string): string {
  return installedVersion(peersDir(), name);
}
