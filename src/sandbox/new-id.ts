import { randomBytes } from "node:crypto";

/** A new sandbox or container id: 64 random hex digits, like other CRI runtimes use. */
export function newId(): string {
  return randomBytes(32).toString("hex");
}
