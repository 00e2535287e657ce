/**
 * Table-driven conformance cases. A case runs the same steps against skiff and against
 * containerd (at once) and returns what it saw; the two observations must be equal, and
 * `check` then holds skiff's to the contract (so the two cannot agree on a wrong answer
 * unnoticed). A case containerd 1.6 cannot serve as the reference for (a field or RPC it
 * lacks, a behaviour it gets wrong) has `skiffOnly` saying why, and runs against skiff
 * alone; its test name ends in "(skiff only)".
 */
import { describe, expect, test } from "bun:test";
import type { ServiceError } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { isRoot } from "../harness.ts";
import type { Runtime, Runtimes } from "./runtimes.ts";

export type Case<T = unknown> = {
  /** A sentence: what the runtime does. */
  desc: string;
  /** The steps; what they return is compared between the runtimes. */
  run: (rt: Runtime) => Promise<T>;
  /** Holds skiff's observation to the contract (after the comparison). */
  check?: (seen: T) => void;
  /** Why containerd 1.6 is not the reference here; then only skiff runs. */
  skiffOnly?: string;
  timeoutMs?: number;
};

/** The name of a gRPC status code, e.g. "NOT_FOUND". */
export type CodeName = keyof typeof GrpcStatus;

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: CodeName; message: string };

const codeName = (code: number): CodeName =>
  (Object.keys(GrpcStatus) as CodeName[]).find((k) => GrpcStatus[k] === code) ?? "UNKNOWN";

/** The answer of a call, success or gRPC error, as data to compare. */
export async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    const e = err as ServiceError;
    if (typeof e.code !== "number") throw err;
    return { ok: false, code: codeName(e.code), message: e.details };
  }
}

/** Just the code of a call's answer ("OK" on success). */
export async function codeOf(p: Promise<unknown>): Promise<CodeName> {
  const o = await outcome(p);
  return o.ok ? "OK" : o.code;
}

/**
 * How a call was refused: its code and the field or id its message names, e.g.
 * "INVALID_ARGUMENT config.metadata.name"; the whole message when it does not name `what`.
 */
export async function refusal(p: Promise<unknown>, what: string): Promise<string> {
  const o = await outcome(p);
  if (o.ok) return "OK";
  return o.message.includes(what) ? `${o.code} ${what}` : `${o.code} without "${what}": ${o.message}`;
}

/**
 * "OK" or "failed": for calls both runtimes must refuse where containerd 1.6 answers
 * with a vaguer code (it wraps most errors as Unknown); the case's `check` then asks
 * skiff for the precise code the CRI contract calls for.
 */
export async function okOrFailed(p: Promise<unknown>): Promise<"OK" | "failed"> {
  return (await outcome(p)).ok ? "OK" : "failed";
}

/** Fails with both answers when they differ. */
export function expectAgreement(desc: string, skiff: unknown, containerd: unknown): void {
  const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x), 2);
  if (Bun.deepEquals(skiff, containerd, true)) return;
  throw new Error(`skiff and containerd disagree: ${desc}\n--- skiff ---\n${show(skiff)}\n--- containerd ---\n${show(containerd)}`);
}

/** Registers one test per case, against the runtimes `rts` (started by useRuntimes). */
export function runCases(title: string, rts: Runtimes, cases: readonly Case<any>[]): void {
  describe.skipIf(!isRoot)(title, () => {
    for (const tc of cases) {
      const name = tc.skiffOnly ? `${tc.desc} (skiff only)` : tc.desc;
      test(
        name,
        async () => {
          if (tc.skiffOnly) {
            // CONFORMANCE_SHOW_CONTAINERD=1 prints what containerd does instead, to check the reasons.
            if (process.env.CONFORMANCE_SHOW_CONTAINERD === "1") {
              const theirs = await tc.run(rts.containerd).catch((err: Error) => `threw: ${err.message}`);
              console.log(`containerd on "${tc.desc}":`, JSON.stringify(theirs));
            }
            const seen = await tc.run(rts.skiff);
            tc.check?.(seen);
            return;
          }
          const [s, c] = await Promise.all([tc.run(rts.skiff), tc.run(rts.containerd)]);
          expectAgreement(tc.desc, s, c);
          tc.check?.(s);
        },
        tc.timeoutMs ?? 60_000,
      );
    }
  });
}

export { expect };
