import { describe, expect, test } from "bun:test";
import { bundleImagesName } from "../../../src/install/bundle-format.ts";
import { CRICTL_BACKUP_PATH, type InstallFacts, type InstallOptions, planInstall } from "../../../src/install/install-plan.ts";
import { type Step, describeStep } from "../../../src/install/steps.ts";
import { BUNDLE, freshHost } from "./install-fixtures.ts";

const START: InstallOptions = { force: false, start: true };
const summary = (steps: Step[]) => steps.map((s) => `${s.op} ${"path" in s ? s.path : "argv" in s ? s.argv.join(" ") : s.text}`);
const stepAt = (steps: Step[], path: string) => steps.find((s) => "path" in s && s.path === path) as Step;

describe("planInstall on a fresh host run by systemd", () => {
  const steps = planInstall(freshHost(), START);

  test("writes the binary, config, crictl.yaml, default network and unit, records them, then enables and restarts the unit", () => {
    expect(summary(steps)).toEqual([
      "write /usr/local/bin/skiff",
      "write /etc/skiff/config.toml",
      "write /etc/crictl.yaml",
      "write /etc/cni/net.d/10-skiff.conflist",
      "write /etc/systemd/system/skiff.service",
      "record /var/lib/skiff/install-manifest.json",
      "run systemctl daemon-reload",
      "run systemctl enable skiff.service",
      "run systemctl restart skiff.service",
    ]);
  });

  test("copies the running executable with mode 0755", () => {
    expect(stepAt(steps, "/usr/local/bin/skiff")).toMatchObject({ op: "write", mode: 0o755, role: "binary", source: { kind: "copy", from: "/home/op/skiff" } });
  });

  test("the config written is the default config text, parsed back to the defaults", () => {
    const s = stepAt(steps, "/etc/skiff/config.toml");
    expect(s.op === "write" && s.source.kind === "text" && s.source.text).toContain('socket = "/run/skiff/skiff.sock"');
  });

  test("crictl.yaml points both endpoints at the configured socket", () => {
    const s = stepAt(steps, "/etc/crictl.yaml");
    expect(s.op === "write" && s.source.kind === "text" && s.source.text).toContain("runtime-endpoint: unix:///run/skiff/skiff.sock\nimage-endpoint: unix:///run/skiff/skiff.sock\n");
  });

  test("every step can be described in one line", () => {
    for (const s of steps) expect(describeStep(s)).not.toContain("\n");
  });
});

type Case = { desc: string; facts: (f: InstallFacts) => void; opts?: Partial<InstallOptions>; want: (steps: Step[]) => void };

const cases: Case[] = [
  {
    desc: "an existing config is kept, never overwritten",
    facts: (f) => void (f.configExists = true),
    want: (steps) => expect(stepAt(steps, "/etc/skiff/config.toml")).toMatchObject({ op: "keep", why: expect.stringContaining("never overwrites") }),
  },
  {
    desc: "someone else's crictl.yaml is kept without --force",
    facts: (f) => void (f.crictl = "theirs"),
    want: (steps) => expect(stepAt(steps, "/etc/crictl.yaml")).toMatchObject({ op: "keep", why: expect.stringContaining("--force") }),
  },
  {
    desc: "with --force, someone else's crictl.yaml is replaced and kept as a backup",
    facts: (f) => void (f.crictl = "theirs"),
    opts: { force: true },
    want: (steps) => expect(stepAt(steps, "/etc/crictl.yaml")).toMatchObject({ op: "write", backup: CRICTL_BACKUP_PATH }),
  },
  {
    desc: "skiff's own crictl.yaml from an earlier install is rewritten without a backup",
    facts: (f) => void (f.crictl = "ours"),
    want: (steps) => expect(stepAt(steps, "/etc/crictl.yaml")).not.toHaveProperty("backup"),
  },
  {
    desc: "a conf dir that holds a network keeps it and writes no default",
    facts: (f) => void (f.cniConfFiles = ["10-calico.conflist"]),
    want: (steps) => {
      expect(stepAt(steps, "/etc/cni/net.d")).toMatchObject({ op: "keep", why: expect.stringContaining("10-calico.conflist") });
      expect(steps.some((s) => "path" in s && s.path.endsWith("10-skiff.conflist"))).toBe(false);
    },
  },
  {
    desc: "the default network follows cni.conf_dir and cni.default_subnet of the config in effect",
    facts: (f) => Object.assign(f.config.cni, { confDir: "/opt/cni/conf", defaultSubnet: "10.77.0.0/16" }),
    want: (steps) => {
      const s = stepAt(steps, "/opt/cni/conf/10-skiff.conflist");
      expect(s.op === "write" && s.source.kind === "text" && s.source.text).toContain('"subnet": "10.77.0.0/16"');
    },
  },
  {
    desc: "with --no-start the unit is enabled but not started",
    facts: () => {},
    opts: { start: false },
    want: (steps) => expect(summary(steps).filter((s) => s.startsWith("run"))).toEqual(["run systemctl daemon-reload", "run systemctl enable skiff.service"]),
  },
  {
    desc: "without systemd nothing is run and the note says how to start skiff",
    facts: (f) => void (f.systemd = false),
    want: (steps) => {
      expect(steps.some((s) => s.op === "run")).toBe(false);
      expect(steps.at(-1)).toEqual({ op: "note", text: "systemd does not run this host: start skiff with `/usr/local/bin/skiff serve`" });
    },
  },
  {
    desc: "into another root nothing is run",
    facts: (f) => Object.assign(f, { systemd: false, rootIsHost: false }),
    want: (steps) => {
      expect(steps.some((s) => s.op === "run")).toBe(false);
      expect(steps.at(-1)).toMatchObject({ op: "note", text: expect.stringContaining("another root") });
    },
  },
  {
    desc: "running the installed skiff itself keeps the binary in place",
    facts: (f) => void (f.source = { kind: "executable", path: "/usr/local/bin/skiff", version: "0.1.0" }),
    want: (steps) => expect(stepAt(steps, "/usr/local/bin/skiff")).toMatchObject({ op: "keep" }),
  },
  {
    desc: "a bundle's binary and images come from the bundle, the images into the import dir",
    facts: (f) => void (f.source = { kind: "bundle", file: "/media/skiff.bundle", manifest: BUNDLE }),
    want: (steps) => {
      expect(stepAt(steps, "/usr/local/bin/skiff")).toMatchObject({ op: "write", source: { kind: "bundle", entry: "skiff", sha256: "a".repeat(64), size: 100 } });
      const images = stepAt(steps, `/var/lib/skiff/import/${bundleImagesName("b".repeat(64))}`);
      expect(images).toMatchObject({ op: "write", role: "images", mode: 0o644, source: { kind: "bundle", entry: "images.tar", size: 2048 } });
      expect(describeStep(images)).toContain("registry.local/busybox:1, registry.local/pause:3.9");
    },
  },
  {
    desc: "the same bundle installed again leaves its images file alone (no second import)",
    facts: (f) => Object.assign(f, { source: { kind: "bundle", file: "/media/skiff.bundle", manifest: BUNDLE }, importDirFiles: [bundleImagesName("b".repeat(64))] }),
    want: (steps) => expect(stepAt(steps, `/var/lib/skiff/import/${bundleImagesName("b".repeat(64))}`)).toMatchObject({ op: "keep" }),
  },
];

describe("planInstall", () => {
  for (const tc of cases) {
    test(tc.desc, () => {
      const facts = freshHost();
      tc.facts(facts);
      tc.want(planInstall(facts, { ...START, ...tc.opts }));
    });
  }
});
