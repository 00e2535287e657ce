/**
 * The JS signature of each symbol of a `bun:ffi` symbol table, as `dlopen` types it but
 * without bun's brand, so a fake DLL written in TypeScript must take and return exactly
 * what the real symbols do (and the type checker says so when a table changes).
 */
import type { FFIFunction, FFITypeOrString, FFITypeToArgsType, FFITypeToReturnsType, FFITypeStringToType, FFIType } from "bun:ffi";

type ToFFIType<T extends FFITypeOrString> = T extends FFIType ? T : T extends keyof FFITypeStringToType ? FFITypeStringToType[T] : never;

/** `{ HcsCloseOperation: (op) => undefined, ... }` for a table of `{ args, returns }`. */
export type Callable<S extends Record<string, FFIFunction>> = {
  [K in keyof S]: (
    ...args: S[K]["args"] extends infer A extends readonly FFITypeOrString[] ? { [L in keyof A]: FFITypeToArgsType[ToFFIType<A[L]>] } : []
  ) => S[K]["returns"] extends FFITypeOrString ? FFITypeToReturnsType[ToFFIType<S[K]["returns"]>] : undefined;
};
