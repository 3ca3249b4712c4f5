// Parameter blocks (docs/architecture.md "Parameter blocks"): a call's parameters, written by the facade
// into one struct in linear memory, whose address is the only argument of the kernel's entry points
// (jobRun / jobPrepare / jobStepBlocks / jobBlock / jobFinish in assembly/jobs.ts).
//
// Every field has an 8-byte slot at the byte offset named here: f64 fields fill it, i32 / pointer
// fields (wasm32: 4 bytes) sit in its low half. These constants are the ONE source of the layout:
// assembly/index.ts exports them as globals, src/abi.ts mirrors them, and
// test/unit/threads-abi.test.ts compares the two on every build. Slots the kernel derives during
// prepare (scales, running sums) live in the same block, so the pool's threads read them from there
// and the facade never recomputes a kernel's set-up.

/** Which kernel the block is for (JOB_* below). */
export const P_JOB: usize = 0;

export const JOB_LINEAR: i32 = 1;
export const JOB_SIGMOID: i32 = 2;
export const JOB_DISTILL: i32 = 3;
export const JOB_FOCAL: i32 = 9;
export const JOB_CE: i32 = 10;
export const JOB_CALIBRATION: i32 = 4;
export const JOB_MOMENTS: i32 = 5;
export const JOB_SMOOTH: i32 = 6;

// ---- linearCrossEntropy (assembly/linear_cross_entropy.ts)
export const LCE_H: usize = 8;
export const LCE_W: usize = 16;
export const LCE_BIAS: usize = 24;
export const LCE_Y: usize = 32;
export const LCE_N: usize = 40;
export const LCE_D: usize = 48;
export const LCE_V: usize = 56;
export const LCE_LAYOUT: usize = 64;
/** f64 */
export const LCE_EPS: usize = 72;
export const LCE_OTHERS: usize = 80;
export const LCE_IGNORE: usize = 88;
export const LCE_CW: usize = 96;
export const LCE_W_MODE: usize = 104;
/** f64 */
export const LCE_LAMBDA: usize = 112;
export const LCE_REDUCTION: usize = 120;
export const LCE_CHUNK_ROWS: usize = 128;
/** linearScratchBytes(chunkRows, v, threads) bytes. */
export const LCE_SCRATCH: usize = 136;
export const LCE_GRAD: usize = 144;
export const LCE_GH: usize = 152;
export const LCE_GW: usize = 160;
export const LCE_GB: usize = 168;
export const LCE_ACC: usize = 176;
export const LCE_ROW_LOSS: usize = 184;
// derived by jobPrepare (the facade leaves them alone)
/** f64: 1/D under 'mean', else 1. */
export const LCE_S: usize = 192;
/** f64: 1/n under 'mean', else 1. */
export const LCE_ZS: usize = 200;
/** f64: weightSum of the class weights. */
export const LCE_WSUM: usize = 208;
/** f64: running Σ CE over the chunks' row blocks, in order. */
export const LCE_CE_SUM: usize = 216;
/** f64: running Σ lse² likewise. */
export const LCE_Z_SUM: usize = 224;
/** The class weights' mode after prepare (WEIGHT_NONE without weights). */
export const LCE_W_MODE_EFF: usize = 232;
/** Number of row chunks (0: nothing to run). */
export const LCE_CHUNKS: usize = 240;
// the focal option (assembly/focal.ts; docs/spec.md "focal"), set by the facade
/** 1: the loss step is the focal loss. */
export const LCE_FOCAL: usize = 256;
/** f64: γ (3 under FLSD-53). */
export const LCE_GAMMA: usize = 264;
/** FOCAL_GAMMA_FIXED or FOCAL_GAMMA_FLSD53. */
export const LCE_SCHEDULE: usize = 272;
/** f64: the scalar α. */
export const LCE_FALPHA: usize = 280;
/** V per-class α, or 0. */
export const LCE_FALPHA_V: usize = 288;
/** V floats for the focal coefficient row (α_j·w_j), or 0 without focal. */
export const LCE_FOCAL_CW: usize = 296;
// derived by jobPrepare
/** The coefficient row in use (LCE_FOCAL_CW), or 0 where c is the scalar α. */
export const LCE_FOCAL_CW_EFF: usize = 304;
/** Bytes of a linearCrossEntropy parameter block. */
export const LCE_PARAM_BYTES: usize = 312;

// ---- sigmoidCrossEntropy (assembly/sigmoid.ts)
export const SIG_X: usize = 8;
export const SIG_T: usize = 16;
export const SIG_COUNT: usize = 24;
export const SIG_K: usize = 32;
export const SIG_PW: usize = 40;
/** f64 */
export const SIG_EPS: usize = 48;
export const SIG_REDUCTION: usize = 56;
export const SIG_G: usize = 64;
export const SIG_GRAD: usize = 72;
/** count floats for reduction 'none', else 0. */
export const SIG_OUT: usize = 80;
/** 8 bytes per element block: 8·min(65535, max(1, count)) bytes are always enough. */
export const SIG_SLOTS: usize = 88;
// derived by jobPrepare
/** Elements per block (a multiple of K with posWeight, of 4 without). */
export const SIG_BLOCK_LEN: usize = 96;
export const SIG_BLOCKS: usize = 104;
/** f64: 1/count under 'mean', else 1. */
export const SIG_S: usize = 112;
// the focal option (assembly/sigmoid_focal.ts; docs/spec.md "focal"), set by the facade
/** 1: the focal loss. */
export const SIG_FOCAL: usize = 120;
/** f64: γ. */
export const SIG_GAMMA: usize = 128;
/** f64: α of α-balancing. */
export const SIG_FALPHA: usize = 136;
/** 1: α-balancing applies (α was given). */
export const SIG_BALANCE: usize = 144;
export const SIG_PARAM_BYTES: usize = 152;

// ---- distillation (assembly/distillation.ts)
export const DST_S: usize = 8;
export const DST_T: usize = 16;
export const DST_Y: usize = 24;
export const DST_N: usize = 32;
export const DST_K: usize = 40;
/** f64 */
export const DST_TEMPERATURE: usize = 48;
/** f64 */
export const DST_ALPHA: usize = 56;
/** f64 */
export const DST_EPS: usize = 64;
export const DST_OTHERS: usize = 72;
export const DST_IGNORE: usize = 80;
export const DST_REDUCTION: usize = 88;
export const DST_G: usize = 96;
export const DST_GRAD: usize = 104;
export const DST_ROW_LOSS: usize = 112;
/** Per thread, distillScratchBytes(k) bytes: thread t's at DST_SCRATCH + t·distillScratchBytes(k). */
export const DST_SCRATCH: usize = 120;
/** 8 bytes per row block: 8·min(65535, max(1, n)) bytes are always enough. */
export const DST_SLOTS: usize = 128;
// derived by jobPrepare
/** f64: 1/(rows counted) under 'mean', else 1. */
export const DST_SC: usize = 136;
export const DST_BLOCK_ROWS: usize = 144;
export const DST_BLOCKS: usize = 152;
export const DST_PARAM_BYTES: usize = 160;

// ---- crossEntropy's focal option (assembly/focal.ts)
export const FOC_Z: usize = 8;
/** N labels (index targets) or N×K probabilities. */
export const FOC_T: usize = 16;
export const FOC_N: usize = 24;
export const FOC_K: usize = 32;
/** 1: index targets. */
export const FOC_INDEX: usize = 40;
/** K class weights, or 0. */
export const FOC_W: usize = 48;
export const FOC_W_MODE: usize = 56;
/** K per-class α, or 0. */
export const FOC_ALPHA_V: usize = 64;
/** f64: the scalar α. */
export const FOC_ALPHA: usize = 72;
/** f64: γ (3 under FLSD-53). */
export const FOC_GAMMA: usize = 80;
export const FOC_SCHEDULE: usize = 88;
/** f64 */
export const FOC_EPS: usize = 96;
export const FOC_OTHERS: usize = 104;
export const FOC_IGNORE: usize = 112;
/** f64 */
export const FOC_LAMBDA: usize = 120;
export const FOC_REDUCTION: usize = 128;
export const FOC_G: usize = 136;
export const FOC_GRAD: usize = 144;
/** N floats for reduction 'none', else 0. */
export const FOC_ROW_LOSS: usize = 152;
/** K floats: the coefficient row (α_j·w_j), filled by jobPrepare where it is used. */
export const FOC_CW: usize = 160;
/** Per thread, focalScratchBytes(k): thread t's at FOC_SCRATCH + t·focalScratchBytes(k). */
export const FOC_SCRATCH: usize = 168;
/** 16 bytes per row block: 16·ceBlocks(N, K) bytes. */
export const FOC_SLOTS: usize = 176;
// derived by jobPrepare
/** f64: 1/D under 'mean', else 1. */
export const FOC_S: usize = 184;
/** f64: 1/(rows counted) under 'mean', else 1. */
export const FOC_ZS: usize = 192;
/** The class weights' mode after prepare (WEIGHT_NONE without weights). */
export const FOC_W_MODE_EFF: usize = 200;
/** The coefficient row in use (FOC_CW), or 0 where c is the scalar α. */
export const FOC_CW_EFF: usize = 208;
export const FOC_BLOCKS: usize = 216;
export const FOC_PARAM_BYTES: usize = 224;
// ---- calibration's per-row pass (assembly/calibration.ts)
export const CAL_Z: usize = 8;
export const CAL_Y: usize = 16;
export const CAL_N: usize = 24;
export const CAL_K: usize = 32;
/** f64 */
export const CAL_TEMPERATURE: usize = 40;
/** 1: the rows are probabilities (used as they are), 0: logits. */
export const CAL_FROM_PROB: usize = 48;
export const CAL_IGNORE: usize = 56;
/** N f64: the confidence of each row not ignored, in row order (compacted). */
export const CAL_CONF: usize = 64;
/** N i32: 1 where that row's prediction is its label. */
export const CAL_CORRECT: usize = 72;
/** Per thread 16·K bytes (2·K f64): thread t's at CAL_SCRATCH + 16·K·t. */
export const CAL_SCRATCH: usize = 80;
/** CAL_SLOT_BYTES per row block: CAL_SLOT_BYTES·min(65535, max(1, n)) bytes are always enough. */
export const CAL_SLOTS: usize = 88;
// derived by jobPrepare
export const CAL_BLOCK_ROWS: usize = 96;
export const CAL_BLOCKS: usize = 104;
/** f64: rows not ignored. */
export const CAL_COUNT: usize = 112;
export const CAL_PARAM_BYTES: usize = 120;
/**
 * A row block's slot: its first output index (i32, written by jobPrepare: the rows not ignored before
 * the block), then f64 Σ brier, Σ nll, Σ confidence, correct count.
 */
export const CAL_SLOT_BYTES: usize = 40;

// ---- temperatureMoments, fitTemperature's evaluation (assembly/calibration.ts)
export const MOM_Z: usize = 8;
export const MOM_Y: usize = 16;
export const MOM_N: usize = 24;
export const MOM_K: usize = 32;
export const MOM_IGNORE: usize = 40;
/** f64: β = 1/T (used as f32). */
export const MOM_BETA: usize = 48;
/** MOM_SLOT_BYTES per row block: MOM_SLOT_BYTES·min(65535, max(1, n)) bytes are always enough. */
export const MOM_SLOTS: usize = 56;
/**
 * 1: also find the largest finite |z| over every row, ignored ones included (RESULT_MAX_ABS), which
 * the facade asks for at its first evaluation (src/temperature.ts: beyond 1e12 it evaluates in f64).
 */
export const MOM_SCAN: usize = 64;
// derived by jobPrepare
export const MOM_BLOCK_ROWS: usize = 72;
export const MOM_BLOCKS: usize = 80;
/** f64: rows not ignored. */
export const MOM_COUNT: usize = 88;
export const MOM_PARAM_BYTES: usize = 96;
/** A row block's slot: f64 Σ f, Σ f', Σ f'', then (MOM_SCAN) the block's largest finite |z|. */
export const MOM_SLOT_BYTES: usize = 32;

// ---- smoothTargets (assembly/smooth.ts)
export const SMT_Y: usize = 8;
export const SMT_N: usize = 16;
export const SMT_K: usize = 24;
/** f64 */
export const SMT_EPS: usize = 32;
export const SMT_OTHERS: usize = 40;
export const SMT_IGNORE: usize = 48;
/** N×K f32. */
export const SMT_OUT: usize = 56;
// derived by jobPrepare
export const SMT_BLOCK_ROWS: usize = 64;
export const SMT_BLOCKS: usize = 72;
export const SMT_PARAM_BYTES: usize = 80;

// ---- crossEntropy (both target kinds), logSoftmax and softmax (assembly/ce_job.ts)
export const CE_Z: usize = 8;
/** N labels (index targets) or N×K probabilities; unused by logSoftmax / softmax. */
export const CE_T: usize = 16;
export const CE_N: usize = 24;
export const CE_K: usize = 32;
/** CE_KIND_* of assembly/ce_job.ts. */
export const CE_KIND: usize = 40;
/** f64 */
export const CE_EPS: usize = 48;
export const CE_OTHERS: usize = 56;
export const CE_IGNORE: usize = 64;
/** K class weights, or 0. */
export const CE_W: usize = 72;
export const CE_W_MODE: usize = 80;
/** f64 */
export const CE_LAMBDA: usize = 88;
export const CE_REDUCTION: usize = 96;
/** The gradient (N×K) with grad, else one K-float scratch row per thread; logSoftmax / softmax: the output. */
export const CE_G: usize = 104;
export const CE_GRAD: usize = 112;
/** N floats for reduction 'none', else 0. */
export const CE_ROW_LOSS: usize = 120;
/** f64: softmax's 1/T. */
export const CE_INV_T: usize = 128;
/** 16 bytes per row block (crossEntropy): 16·ceBlocks(N, K) bytes. */
export const CE_SLOTS: usize = 136;
// derived by jobPrepare
/** f64: 1/D under 'mean', else 1. */
export const CE_S: usize = 144;
/** f64: 1/(rows counted) under 'mean', else 1. */
export const CE_ZS: usize = 152;
/** f64: the class weights' sum (weightSum / probWeightSum). */
export const CE_WSUM: usize = 160;
/** The class weights' mode after prepare (WEIGHT_NONE without weights). */
export const CE_W_MODE_EFF: usize = 168;
export const CE_BLOCKS: usize = 176;
export const CE_PARAM_BYTES: usize = 184;

/** Largest parameter block of any job (the facade allocates this much once). */
export const PARAM_BYTES: usize = 312;
