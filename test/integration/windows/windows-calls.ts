/** Shorthand for the fake host's calls, so a test can write out the sequence it expects. */
import * as path from "node:path";
import type { FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";

export type Call = unknown[];

/** A pod config as the kubelet sends one for a Windows pod. */
export function podConfig(dir: string, name = "iis") {
  return { metadata: { name, namespace: "web", uid: `uid-${name}`, attempt: 0 }, hostname: "iis-host", log_directory: path.join(dir, "logs") };
}

/**
 * `[call, ...args]` with the root dir written `<root>`, the pod and container ids `<pod>`
 * and `<ctr>`, a staged import folder `<staged>`, JSON documents parsed, and process
 * handles (pids, which vary) left out.
 */
export function shape(c: FakeWindowsCall, root: string, ids: { pod: string; ctr: string }): Call {
  const swap = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(swap);
    if (typeof v !== "string") return v;
    if (/\/tmp-[^/]+\/fs$/.test(v)) return "<staged>";
    let s = v.replaceAll(root, "<root>");
    if (ids.pod) s = s.replaceAll(ids.pod, "<pod>");
    if (ids.ctr) s = s.replaceAll(ids.ctr, "<ctr>");
    if (s.startsWith("{") && (c.call === "HcsCreateComputeSystem" || c.call === "HcsCreateProcess")) return JSON.parse(v);
    return s;
  };
  const args = c.call.startsWith("Hcs") && /Process/.test(c.call) && c.call !== "HcsCreateProcess" ? c.args.filter((a, i) => i !== 1) : c.args;
  return [c.call, ...args.map(swap)];
}
