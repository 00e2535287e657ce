/**
 * `skiff spec`: prints the OCI spec skiff would generate for a pod (or one container of
 * it) from crictl-style JSON files, without a running skiff. With `--explain`, it says
 * which option set which field. Useful to check a base_runtime_spec, a handler's
 * annotation patterns or a security context before any pod runs.
 *
 * Host facts that are cheap to read are read for real (cgroup driver, AppArmor, SELinux,
 * architecture, oom_score_adj, Localhost seccomp profiles, device nodes); what exists only
 * while a pod runs is a placeholder (see src/oci/spec-preview.ts).
 */
import * as fs from "node:fs";
import { fromJson } from "@bufbuild/protobuf";
import type { JsonValue } from "@bufbuild/protobuf";
import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../gen/runtime/v1/api_pb.ts";
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseImageConfig } from "../image/manifest.ts";
import { defaultLinuxSpec, parseBaseSpec } from "../oci/base-spec.ts";
import { deviceHostPaths } from "../oci/devices.ts";
import type { SpecHostFacts } from "../oci/host.ts";
import { previewSpec } from "../oci/spec-preview.ts";
import type { Explanation } from "../oci/spec-opts.ts";
import { detectHostFacts } from "../runtime/host-facts.ts";
import { readSeccompLocalhost, readSpecHostFacts, specHostFor, statDevices } from "../runtime/spec-host-reads.ts";
import { UsageError } from "./client-args.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  pod: { type: "string" as const, description: "PodSandboxConfig as JSON (crictl's pod config file)" },
  container: { type: "string" as const, description: "ContainerConfig as JSON (crictl's container config file); without it, the sandbox's spec" },
  "image-config": { type: "string" as const, description: "the image's OCI config JSON (env, user, cmd, volumes)" },
  base: { type: "string" as const, description: "base OCI spec JSON (default: the handler's base_runtime_spec, else built-in)" },
  handler: { type: "string" as const, description: "runtime handler whose config applies (default: the config's default_runtime)" },
  config: { type: "string" as const, description: "skiff config file (default: the one `skiff serve` would load)" },
  "cgroup-driver": { type: "string" as const, description: "systemd or cgroupfs (default: the config's, auto-detected)" },
  explain: { type: "boolean" as const, description: "print which option set which fields instead of the spec" },
  output: { type: "string" as const, alias: "o", description: "json or yaml for the spec; text or json for --explain" },
};

function readJson(path: string, flag: string): JsonValue {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`--${flag} "${path}": cannot read`, { cause: err });
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new InvalidArgumentError(`--${flag} "${path}"`, "is not valid JSON", { cause: err });
  }
}

/**
 * crictl's container files give env values as plain strings (CRI's KeyValue.value is a
 * string on the wire); skiff's generated type holds bytes, whose proto JSON is base64.
 * Plain strings are turned into that form so crictl's files work as they are.
 */
export function crictlEnvToProtoJson(doc: JsonValue): JsonValue {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return doc;
  const envs = doc.envs;
  if (!Array.isArray(envs)) return doc;
  const fixed = envs.map((kv) => {
    if (typeof kv !== "object" || kv === null || Array.isArray(kv) || typeof kv.value !== "string") return kv;
    return { ...kv, value: Buffer.from(kv.value, "utf8").toString("base64") };
  });
  return { ...doc, envs: fixed };
}

function parseMessage<T>(parse: () => T, path: string, flag: string): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`--${flag} "${path}"`, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

function formatExplain(explain: readonly Explanation[]): string {
  const width = Math.max(0, ...explain.map((e) => e.opt.length));
  return explain.map((e) => `${e.opt.padEnd(width)}  ${e.changed.length > 0 ? e.changed.join(", ") : "(no change)"}`).join("\n");
}

/** `skiff spec --pod pod.json [--container ctr.json] ...`: the OCI spec, generated offline. */
export const specCommand = defineCommand({
  meta: { name: "spec", description: "print the OCI spec skiff would generate for a pod or container (offline)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    if (!a.pod) throw new UsageError("missing --pod");
    const output = a.output ?? (a.explain ? "text" : "json");
    const allowed = a.explain ? ["text", "json"] : ["json", "yaml"];
    if (!allowed.includes(output)) throw new UsageError(`-o must be ${allowed.join(" or ")}${a.explain ? " with --explain" : ""}`);
    const driverFlag = a["cgroup-driver"];
    if (driverFlag !== undefined && driverFlag !== "systemd" && driverFlag !== "cgroupfs") {
      throw new UsageError("--cgroup-driver must be systemd or cgroupfs");
    }

    const { config, source } = await loadConfig({ path: a.config, env: process.env });
    const handlerName = a.handler || config.runtime.defaultRuntime;
    const handler = config.runtimes[handlerName];
    if (!handler) throw new InvalidArgumentError("--handler", `runtime handler "${handlerName}" is not in ${source}`);

    const podPath = a.pod;
    const pod = parseMessage(() => fromJson(PodSandboxConfigSchema, readJson(podPath, "pod")), podPath, "pod");
    let container: ContainerConfig | undefined;
    if (a.container) {
      const p = a.container;
      container = parseMessage(() => fromJson(ContainerConfigSchema, crictlEnvToProtoJson(readJson(p, "container"))), p, "container");
    }
    const imagePath = a["image-config"];
    const image = imagePath
      ? parseMessage(() => parseImageConfig(new TextEncoder().encode(JSON.stringify(readJson(imagePath, "image-config")))), imagePath, "image-config")
      : undefined;
    const basePath = a.base || handler.baseRuntimeSpec;
    const base = basePath ? parseBaseSpec(fs.readFileSync(basePath, "utf8"), basePath) : defaultLinuxSpec();

    const facts = detectHostFacts({
      cgroupDriver: driverFlag ?? config.linux.cgroupDriver,
      restrictOomScoreAdj: config.linux.restrictOomScoreAdj,
    });
    const host: SpecHostFacts = specHostFor(readSpecHostFacts(facts), container, handler.privilegedWithoutHostDevices);
    const sc = container ? container.linux?.securityContext : pod.linux?.securityContext;
    const seccompLocalhost = readSeccompLocalhost(sc, "config.linux.security_context");
    const deviceInfo = container ? statDevices(deviceHostPaths(container)) : undefined;

    const { spec, explain } = previewSpec({
      pod,
      container,
      image,
      base,
      handler,
      host,
      dirs: config.paths,
      seccompLocalhost,
      deviceInfo,
    });
    if (a.explain) console.log(output === "json" ? JSON.stringify(explain, null, 2) : formatExplain(explain));
    else console.log(output === "yaml" ? Bun.YAML.stringify(spec, null, 2).trimEnd() : JSON.stringify(spec, null, 2));
  },
});
