/**
 * Pod network namespaces through HNS's v1 API (HNSCall, as hcsshim's internal/hns does):
 * `POST /namespaces/` with `{}` makes one and answers its ID; `DELETE /namespaces/<id>`
 * removes it. Every answer is wrapped as `{"Success":..,"Error":..,"Output":..}`.
 */
import type { Hns } from "../../platform/windows-host.ts";

type HnsResponse = { Success?: boolean; Error?: string; Output?: { ID?: string } };

function parse(call: string, text: string): HnsResponse {
  try {
    return JSON.parse(text) as HnsResponse;
  } catch {
    throw new Error(`HNS ${call}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Creates a namespace for a pod; returns its GUID. */
export async function createNamespace(hns: Hns): Promise<string> {
  const r = parse("POST /namespaces/", await hns.call("POST", "/namespaces/", "{}"));
  if (!r.Success) throw new Error(`HNS POST /namespaces/ failed: ${r.Error ?? "no error given"}`);
  if (!r.Output?.ID) throw new Error("HNS POST /namespaces/ answered no namespace ID");
  return r.Output.ID;
}

/** Removes a namespace; one that is already gone is not an error. */
export async function removeNamespace(hns: Hns, id: string): Promise<void> {
  const path = `/namespaces/${id}`;
  const r = parse(`DELETE ${path}`, await hns.call("DELETE", path, ""));
  if (r.Success || (r.Error ?? "").includes("Element not found")) return;
  throw new Error(`HNS DELETE ${path} failed: ${r.Error ?? "no error given"}`);
}
