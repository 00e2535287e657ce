/**
 * citty parses flags with `strict: false`, so `skiff images --quite` would quietly mean
 * `skiff images`. The image verbs check the raw command line against their own flag
 * definitions first and treat an unknown flag, or a wrong number of operands, as a
 * usage error (exit code 2), as crictl (urfave/cli) does.
 */
import type { ArgsDef } from "citty";
import { UsageError } from "./client-args.ts";

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type FlagTable = { known: Set<string>; takesValue: Set<string> };

function flagTable(def: ArgsDef): FlagTable {
  const known = new Set<string>();
  const takesValue = new Set<string>();
  for (const [name, arg] of Object.entries(def)) {
    if (arg.type === "positional") continue;
    const aliases = "alias" in arg && arg.alias !== undefined ? [arg.alias].flat() : [];
    const names = [name, kebab(name), camel(name), ...aliases];
    for (const n of names) {
      known.add(n);
      if (arg.type === "string" || arg.type === "enum") takesValue.add(n);
      // citty turns --no-x into x=false for any flag; only booleans make sense negated
      else known.add(`no-${n}`);
    }
  }
  return { known, takesValue };
}

/** The operands (non-flag words) of a command line, and any flags `def` does not know. */
export function scanArgs(rawArgs: readonly string[], def: ArgsDef): { operands: string[]; unknown: string[] } {
  const { known, takesValue } = flagTable(def);
  const operands: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const word = rawArgs[i] as string;
    if (word === "--") {
      operands.push(...rawArgs.slice(i + 1));
      break;
    }
    if (word.startsWith("--")) {
      const [name = "", value] = word.slice(2).split(/=(.*)/s);
      if (!known.has(name)) unknown.push(`--${name}`);
      else if (takesValue.has(name) && value === undefined) i++;
      continue;
    }
    if (word.startsWith("-") && word.length > 1) {
      // a cluster of short flags (-qa); a value flag takes the rest of the word or the next one
      for (let j = 1; j < word.length; j++) {
        const c = word[j] as string;
        if (c === "=") break;
        if (!known.has(c)) {
          unknown.push(`-${c}`);
          break;
        }
        if (takesValue.has(c)) {
          if (j === word.length - 1) i++;
          break;
        }
      }
      continue;
    }
    operands.push(word);
  }
  return { operands, unknown };
}

/**
 * Throws a UsageError for unknown flags or a count of operands outside [min, max];
 * returns the operands. `what` names an operand in messages ("image").
 */
export function checkArgs(
  rawArgs: readonly string[],
  def: ArgsDef,
  opts: { min?: number; max?: number; what?: string } = {},
): string[] {
  const { operands, unknown } = scanArgs(rawArgs, def);
  if (unknown.length > 0) throw new UsageError(`unknown flag${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
  const what = opts.what ?? "argument";
  const { min = 0, max = Number.POSITIVE_INFINITY } = opts;
  if (operands.length < min) throw new UsageError(`missing ${what}`);
  if (operands.length > max) {
    throw new UsageError(max === 0 ? `unexpected argument "${operands[0]}"` : `too many arguments: expected at most ${max} ${what}${max > 1 ? "s" : ""}, got ${operands.length}`);
  }
  return operands;
}
