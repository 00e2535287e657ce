/**
 * The steps `skiff install` and `skiff uninstall` take, as data: the plans
 * (install-plan.ts, uninstall-plan.ts) make them without touching anything,
 * `--dry-run` prints them with `describeStep`, and apply-steps.ts carries them out.
 * Every path is the host's; the applier puts it under `--root`.
 */
import type { FileRole } from "./install-manifest.ts";

/** Where a written file's bytes come from. */
export type FileSource =
  | { kind: "text"; text: string }
  | { kind: "copy"; from: string }
  /** An entry of a `skiff bundle` archive, checked against the bundle's manifest as it is read. */
  | { kind: "bundle"; file: string; entry: string; sha256: string; size: number };

export type Step =
  /** Write a file (to a temp file, then renamed over the target). `backup`: move what is there now to this path first. */
  | { op: "write"; path: string; mode: number; source: FileSource; role: FileRole; what: string; backup?: string }
  /** Leave a file as it is, and say why. */
  | { op: "keep"; path: string; why: string }
  | { op: "remove"; path: string; what: string }
  /** Move `from` back to `path` (a backup made by install). */
  | { op: "restore"; path: string; from: string }
  /** Remove a directory install made, if it is empty. */
  | { op: "rmdir"; path: string }
  /** Remove a directory tree (`uninstall --purge` only). */
  | { op: "purge"; path: string; what: string }
  /** Write the install manifest: what this install wrote, merged with what earlier ones did. */
  | { op: "record"; path: string }
  | { op: "run"; argv: string[] }
  | { op: "note"; text: string };

const octal = (mode: number) => `0${mode.toString(8)}`;

/** One line saying what a step does (or would do, under --dry-run). */
export function describeStep(step: Step): string {
  switch (step.op) {
    case "write":
      return `write   ${step.path} (${octal(step.mode)}): ${step.what}${step.backup ? `; the file there now is kept as ${step.backup}` : ""}`;
    case "keep":
      return `keep    ${step.path}: ${step.why}`;
    case "remove":
      return `remove  ${step.path}: ${step.what}`;
    case "restore":
      return `restore ${step.path} from ${step.from}`;
    case "rmdir":
      return `rmdir   ${step.path} (if empty)`;
    case "purge":
      return `purge   ${step.path}: ${step.what}`;
    case "record":
      return `write   ${step.path}: the record of what was installed, for skiff uninstall`;
    case "run":
      return `run     ${step.argv.join(" ")}`;
    case "note":
      return `note    ${step.text}`;
  }
}
