/**
 * Turns runc/crun stderr into a short message. runc writes its fatal error either as plain
 * text (`load container x: container does not exist`) or as a logrus line
 * (`time="..." level=error msg="runc create failed: ..."`); crun and `--log-format json`
 * write JSON objects with a `msg` field. Pure, so every shape is unit-tested.
 */

/** The messages in a runtime's stderr, one per line, empty lines and debug noise dropped. */
export function runtimeErrorMessages(stderr: string): string[] {
  const out: string[] = [];
  for (const raw of stderr.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const json = fromJson(line);
    if (json !== undefined) {
      if (json.level === "debug" || json.level === "info") continue;
      if (json.msg) out.push(json.msg);
      continue;
    }
    const logrus = fromLogrus(line);
    if (logrus !== undefined) {
      if (logrus.level === "debug" || logrus.level === "info") continue;
      if (logrus.msg) out.push(logrus.msg);
      continue;
    }
    out.push(line);
  }
  return out;
}

/** One line for an error message: the messages joined, or a fallback when stderr said nothing. */
export function runtimeErrorMessage(stderr: string, fallback: string): string {
  const msgs = runtimeErrorMessages(stderr);
  return msgs.length ? [...new Set(msgs)].join("; ") : fallback;
}

/** runc/crun saying the container is unknown (delete/kill/state of a removed container). */
export function isNotExistMessage(msg: string): boolean {
  return /does not exist|not found|no such file or directory/i.test(msg);
}

/** runc/crun saying there is no process left to signal. */
export function isNotRunningMessage(msg: string): boolean {
  return /container not running|process already finished|no such process|is not running/i.test(msg);
}

function fromJson(line: string): { level?: string; msg?: string } | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    return {
      level: typeof o.level === "string" ? o.level : undefined,
      msg: typeof o.msg === "string" ? o.msg : typeof o.message === "string" ? o.message : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Parses logrus text lines: key=value pairs, values bare or double-quoted with escapes. */
function fromLogrus(line: string): { level?: string; msg?: string } | undefined {
  if (!/^time=/.test(line) && !/^level=/.test(line)) return undefined;
  const fields: Record<string, string> = {};
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of line.matchAll(re)) {
    const key = m[1] ?? "";
    const val = m[2] ?? "";
    fields[key] = val.startsWith('"') ? unquote(val) : val;
  }
  if (!("level" in fields) && !("msg" in fields)) return undefined;
  return { level: fields.level, msg: fields.msg };
}

function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1).replace(/\\(.)/g, "$1");
  }
}
