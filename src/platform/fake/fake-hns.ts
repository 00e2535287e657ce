/**
 * A fake Host Network Service answering the v1 HNSCall paths skiff uses: namespaces
 * (`/namespaces/`), made, read and deleted, with HNS's response envelope
 * `{"Success":..,"Error":..,"Output":..}`.
 */
import type { Hns } from "../windows-host.ts";
import type { FakeCallLog } from "./fake-call-log.ts";

export class FakeHns implements Hns {
  readonly namespaces = new Set<string>();
  #next = 1;

  constructor(private readonly log: FakeCallLog) {}

  leaks(): string[] {
    return [...this.namespaces].map((id) => `network namespace "${id}"`);
  }

  async call(method: "GET" | "POST" | "DELETE", path: string, request: string): Promise<string> {
    this.log.record("HNSCall", [method, path, request], path);
    const ok = (output: unknown) => JSON.stringify({ Success: true, Output: output });
    const notFound = JSON.stringify({ Success: false, Error: "Element not found." });
    const m = /^\/namespaces\/?([0-9a-fA-F-]*)$/.exec(path);
    if (!m) return JSON.stringify({ Success: false, Error: `the fake HNS does not know ${method} ${path}` });
    const id = m[1] ?? "";
    if (method === "POST" && id === "") {
      const created = `${String(this.#next++).padStart(8, "0")}-0000-4000-8000-000000000000`;
      this.namespaces.add(created);
      return ok({ ID: created });
    }
    if (!this.namespaces.has(id)) return notFound;
    if (method === "DELETE") {
      this.namespaces.delete(id);
      return ok({ ID: id });
    }
    return ok({ ID: id });
  }
}
