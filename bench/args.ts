// Command-line flags of `npm run bench` (see run.ts).

import { parseShape, type Shape } from "./data.js";

export interface Args {
  quick: boolean;
  shapes: Shape[] | null;
  timeMs: number | null;
  tfjs: boolean;
  out: string | null;
  help: boolean;
}

export const USAGE = "npm run bench -- [--quick] [--shapes 32x32000,8x128000] [--time MS] [--no-tfjs] [--out NAME]";

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, shapes: null, timeMs: null, tfjs: true, out: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${a} needs a value`);
      return v;
    };
    const flag = a.split("=")[0];
    if (flag === "--quick") args.quick = true;
    else if (flag === "--no-tfjs") args.tfjs = false;
    else if (flag === "--shapes") args.shapes = value().split(",").filter(Boolean).map(parseShape);
    else if (flag === "--time") {
      const t = Number(value());
      if (!(t >= 0)) throw new RangeError(`--time must be a number of ms ≥ 0`);
      args.timeMs = t;
    } else if (flag === "--out") args.out = value();
    else if (flag === "--help" || flag === "-h") args.help = true;
    else throw new RangeError(`unknown flag ${a} (try --help)`);
  }
  return args;
}
