// Reading a parameter block's fields (assembly/params.ts names the offsets), for every kernel that
// takes one. Inlined: the same code as a load at each use. (Not in params.ts, whose exports
// assembly/index.ts re-exports as constants.)

/** An i32 field. */
// @ts-ignore: decorator
@inline export function pI32(p: usize, o: usize): i32 { return load<i32>(p + o); }
/** A pointer field (wasm32: the slot's low 4 bytes). */
// @ts-ignore: decorator
@inline export function pPtr(p: usize, o: usize): usize { return <usize>load<u32>(p + o); }
/** An f64 field. */
// @ts-ignore: decorator
@inline export function pF64(p: usize, o: usize): f64 { return load<f64>(p + o); }

