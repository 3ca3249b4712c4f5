// One peer against softxent, in the calling process: loads the peer and softxent's SIMD build, and
// for each shape checks both answers against the f64 reference, then times, alternating round by
// round, softxent through the copying API with a reused gradOut, softxent on resident buffers, and
// the peer. peer-run.ts calls this in a process of its own per peer (see there why).

import { allocFloat32, allocInt32, crossEntropy, initSync } from "softxent";
import * as reference from "softxent/reference";
import { checkAgainst, passes, TOLERANCE, type Check } from "./check.js";
import { makeData, shapeId, type Shape } from "./data.js";
import { measure, pool, type Budget, type Timing } from "./measure.js";
import { loadPeer } from "./peers/load.js";
import type { PeerName, PeerTask } from "./peers/peer.js";
import type { PeerRow, PeerRun } from "./types.js";

export interface RunConfig {
  peer: PeerName;
  shapes: Shape[];
  smoothing: number;
  budget: Budget;
  rounds: number;
  out: string;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs one peer's comparison; a peer that cannot load gives status 'failed' with the reason. */
export async function comparePeer(config: Omit<RunConfig, "out">): Promise<PeerRun> {
  const result: PeerRun = {
    peer: config.peer,
    label: config.peer,
    describe: "",
    versions: {},
    status: "ok",
    error: null,
    rows: [],
    notes: [],
  };
  initSync({ simd: true, relaxedSimd: false });
  let peer: Awaited<ReturnType<typeof loadPeer>>;
  try {
    peer = await loadPeer(config.peer);
  } catch (err) {
    return { ...result, status: "failed", error: `could not load: ${errorText(err)}` };
  }
  Object.assign(result, { label: peer.label, describe: peer.describe, versions: peer.versions });
  result.notes.push(...peer.notes);
  const eps = config.smoothing;

  for (const s of config.shapes) {
    const { n, k } = s;
    const shape = shapeId(s);
    const d = makeData(s);
    const r = reference.crossEntropy(d.logits, d.labels, { classes: k, smoothing: eps });
    const ref = { loss: r.loss as number, grad: r.grad! };
    let task: PeerTask;
    let peerCheck: Check;
    try {
      task = await peer.prepare(d.logits, d.labels, k, eps);
      const first = await task.run();
      peerCheck = checkAgainst(first.loss, first.grad, ref);
    } catch (err) {
      result.notes.push(`${shape}: the peer failed: ${errorText(err)}`);
      continue;
    }
    // softxent beside it: plain arrays with a reused gradOut (what a user of plain arrays writes), and resident.
    const gradOut = new Float32Array(n * k);
    const copyOpts = { classes: k, smoothing: eps, gradOut };
    const z = allocFloat32(n * k),
      y = allocInt32(n),
      g = allocFloat32(n * k);
    z.view.set(d.logits);
    y.view.set(d.labels);
    const resOpts = { classes: k, smoothing: eps, gradOut: g };
    const tasks: { impl: PeerRow["impl"]; label: string; fn: () => unknown; check: Check; timings: Timing[] }[] = [];
    const copy = crossEntropy(d.logits, d.labels, copyOpts);
    const res = crossEntropy(z, y, resOpts);
    tasks.push(
      {
        impl: "softxent-copyout",
        label: "softxent SIMD, copying API, gradOut array",
        fn: () => crossEntropy(d.logits, d.labels, copyOpts),
        check: checkAgainst(copy.loss as number, copy.grad!, ref),
        timings: [],
      },
      {
        impl: "softxent-resident",
        label: "softxent SIMD, resident buffers",
        fn: () => crossEntropy(z, y, resOpts),
        check: checkAgainst(res.loss as number, res.grad!, ref),
        timings: [],
      },
    );
    if (passes(peerCheck, TOLERANCE.peer)) {
      tasks.push({ impl: "peer", label: peer.label, fn: () => task.run(), check: peerCheck, timings: [] });
      if (!passes(peerCheck, TOLERANCE.softxent)) {
        result.notes.push(
          `${shape}: less accurate than softxent's bound of 1e-4 (loss rel. err ${peerCheck.lossRelErr?.toExponential(1)}, ` +
            `max |Δgrad| ÷ max |grad| ${peerCheck.gradRelErr.toExponential(1)}); timed all the same`,
        );
      }
    } else {
      result.notes.push(
        `${shape}: ${peer.label} disagrees with the reference (loss rel. err ${peerCheck.lossRelErr?.toExponential(1)}, ` +
          `max |Δgrad| ÷ max |grad| ${peerCheck.gradRelErr.toExponential(1)}): not timed`,
      );
    }
    for (const t of tasks) {
      if (t.impl !== "peer" && !passes(t.check, TOLERANCE.softxent)) result.notes.push(`${shape}: ${t.label} disagrees with the reference`);
    }
    try {
      // Alternate: each round times every implementation once, starting with a different one, so
      // that a burst of load from elsewhere on the machine does not land on one implementation only.
      for (let round = 0; round < config.rounds; round++) {
        for (let i = 0; i < tasks.length; i++) {
          const t = tasks[(i + round) % tasks.length]!;
          t.timings.push(await measure(`${config.peer} ${t.impl} ${shape}`, t.fn, config.budget));
        }
      }
      for (const t of tasks) {
        const time = pool(t.timings);
        result.rows.push({ impl: t.impl, label: t.label, shape, n, k, time, mlogitsPerSec: (n * k) / (time.meanMs * 1e3), check: t.check });
        console.log(
          `  ${config.peer.padEnd(17)} ${shape.padStart(9)}  ${t.label.padEnd(44)} mean ${time.meanMs.toPrecision(3).padStart(8)} ms  p50 ${time.p50Ms.toPrecision(3)}  p99 ${time.p99Ms.toPrecision(3)}`,
        );
      }
      const leak = task.leak?.();
      if (leak) result.notes.push(`${shape}: ${peer.label}: ${leak}`);
    } finally {
      await task.dispose();
      z.release();
      y.release();
      g.release();
    }
  }
  return result;
}
