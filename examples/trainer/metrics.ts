/**
 * Metrics of the trainer: accuracy here; calibration (ECE, MCE, Brier, NLL, reliability bins) and
 * temperature scaling come from softxent's public `calibration` and `fitTemperature`.
 */
export { calibration, fitTemperature } from "softxent";
export type { CalibrationResult, FitTemperatureResult } from "softxent";

/** The fraction of rows whose largest logit (first on ties) is at the label. */
export function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    const o = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[o + c]! > logits[o + best]!) best = c;
    if (best === labels[r]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}
