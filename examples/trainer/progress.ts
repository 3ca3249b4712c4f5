/**
 * A plain-text progress bar for stdout. On a terminal it redraws one line in place (\r) while an epoch
 * runs and leaves the finished line behind; elsewhere (pipes, CI logs) it prints only finished lines.
 */
export interface ProgressLine {
  update(done: number, total: number, suffix: string): void;
  finish(suffix: string): void;
}

/** Where the CLI writes: process.stdout, or anything with write() (tests). */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 24;

export function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.round((done / total) * WIDTH) : 0;
  return `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${String(Math.round((100 * done) / Math.max(total, 1))).padStart(3)}%`;
}

export function progressLine(out: Output, prefix: string): ProgressLine {
  const live = out.isTTY === true;
  let last = 0;
  let total = 1;
  return {
    update(done, t, suffix) {
      total = t;
      if (!live) return;
      const now = Date.now();
      if (now - last < 50 && done < t) return; // redraw at most 20 times a second
      last = now;
      out.write(`\r${prefix} ${bar(done, t)}  ${suffix}\x1b[K`);
    },
    finish(suffix) {
      out.write(`${live ? "\r" : ""}${prefix} ${bar(total, total)}  ${suffix}${live ? "\x1b[K" : ""}\n`);
    },
  };
}
