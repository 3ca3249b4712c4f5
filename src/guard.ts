// One softxent call at a time. Once a call has taken its options snapshot it runs no caller code of
// its own (operands are read through intrinsics, Proxies are refused), but the environment can still
// call back: a patched built-in (say %TypedArray%.prototype.slice) or a FinalizationRegistry callback
// could enter softxent while a call is between its copy-in and its delivery, and overwrite the scratch
// memory that call is using. Such a nested call fails with a clear Error instead; the outer call is
// unaffected. A call made from an option getter runs before the outer call starts and is allowed.

let active: string | null = null;

/** Marks `fn` as in progress; throws if another call is. Pair with leave() in a finally. */
export function enter(fn: string): void {
  if (active !== null) {
    throw new Error(
      `softxent.${fn}: called while softxent.${active} is in progress (a re-entrant call from a patched built-in or a callback); call it after that call returns`,
    );
  }
  active = fn;
}

export function leave(): void {
  active = null;
}
