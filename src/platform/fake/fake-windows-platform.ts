/**
 * The Windows platform over the fake Windows host, for `skiff serve --platform
 * windows-fake` (a test mode: the real daemon, gRPC server and Windows pod code run on
 * Linux while every HCS, layer and HNS call goes to the fake). A test in another process
 * talks to the fake through files in `dir`:
 *
 * - `host.json` (read at start, optional): `{"osVersion": "10.0.20348.2340", "processorCount": 4}`;
 * - `calls.jsonl`: every call, one JSON object a line, in order (`{"call","args","failed"?}`);
 * - `inject.json`: failures to inject, `[{"call": "HcsStartComputeSystem", "nth": 1}]`,
 *   reloaded whenever the file changes (each rule fires once);
 * - `state.json`: rewritten after each call: `{"leaks": [...]}`, what is still held;
 * - `endpoints.log` (written by the test's CNI plugin): `ADD <namespace> <endpoint>` for
 *   an endpoint it attached, `DEL <namespace>` when it detached the namespace's ones.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Platform, StatFs } from "../types.ts";
import { linuxOnlyCalls } from "../windows/index.ts";
import type { FakeInjection } from "./fake-call-log.ts";
import { FakeWindowsHost, type FakeWindowsHostOptions } from "./fake-windows-host.ts";

/** The endpoints a CNI plugin left attached, replayed from its log. */
function syncEndpoints(host: FakeWindowsHost, file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return;
  }
  const live = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [op, ns, ep] = line.trim().split(/\s+/);
    if (op === "ADD" && ns && ep) live.set(ep, ns);
    if (op === "DEL" && ns) for (const [e, n] of live) if (n === ns) live.delete(e);
  }
  host.hns.setEndpoints([...live].map(([e, n]) => [n, e] as [string, string]));
}

/** Connects a fake host to the files in `dir` (created if missing). */
export function bridgeToFiles(host: FakeWindowsHost, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const callsFile = path.join(dir, "calls.jsonl");
  const injectFile = path.join(dir, "inject.json");
  const stateFile = path.join(dir, "state.json");
  fs.writeFileSync(callsFile, "");
  let seen = "";
  const endpointsFile = path.join(dir, "endpoints.log");
  host.log.beforeCall = () => {
    syncEndpoints(host, endpointsFile);
    let text: string;
    try {
      text = fs.readFileSync(injectFile, "utf8");
    } catch {
      return;
    }
    const stamp = `${fs.statSync(injectFile).mtimeMs}:${text}`;
    if (stamp === seen) return;
    seen = stamp;
    host.log.clearInjections();
    for (const rule of JSON.parse(text || "[]") as FakeInjection[]) host.log.inject(rule);
  };
  host.log.onCall = (c) => {
    fs.appendFileSync(callsFile, `${JSON.stringify(c)}\n`);
    // After the call has had its effect (the fake records a call, then acts on it).
    queueMicrotask(() => fs.writeFileSync(stateFile, JSON.stringify({ leaks: host.leaks() })));
  };
}

/** A Windows `Platform` whose host is a fake bridged to `dir`. */
export function createFakeWindowsPlatform(dir: string): Platform & { windows: FakeWindowsHost } {
  let opts: FakeWindowsHostOptions = {};
  try {
    opts = JSON.parse(fs.readFileSync(path.join(dir, "host.json"), "utf8")) as FakeWindowsHostOptions;
  } catch {
    // no host.json: the defaults
  }
  const host = new FakeWindowsHost(opts);
  bridgeToFiles(host, dir);
  return {
    os: "windows",
    windows: host,
    ...linuxOnlyCalls(),
    /** The disk's figures from the host it really runs on, as Windows reports them (bytes, no inodes). */
    statfs(p: string): StatFs {
      const st = fs.statfsSync(p);
      return { type: 0, blockSize: 1, blocks: st.blocks * st.bsize, bfree: st.bfree * st.bsize, bavail: st.bavail * st.bsize, files: 0, ffree: 0 };
    },
  };
}
