/**
 * A fake Host Network Service: the v1 HNSCall paths skiff uses, with HNS's response
 * envelope `{"Success":..,"Error":..,"Output":..}` (namespaces made, read and deleted;
 * endpoint statistics), and the HCN v2 queries of a namespace and an endpoint.
 *
 * Endpoints are made by the CNI plugin, not by skiff: tests say which namespace holds
 * which endpoints with `setEndpoints` (the file bridge reads what the test's plugin
 * wrote), as win-bridge attaches the endpoint it makes to the pod's namespace.
 */
import type { Hcn, Hns } from "../windows-host.ts";
import type { FakeCallLog } from "./fake-call-log.ts";

const HCN_E_NOT_FOUND = 0x803b0001 | 0;

/** A stable made-up MAC for an endpoint id. */
const macOf = (id: string) => `00-15-5D-${id.slice(0, 2)}-${id.slice(2, 4)}-${id.slice(4, 6)}`.toUpperCase();

export class FakeHns implements Hns, Hcn {
  readonly namespaces = new Set<string>();
  /** Endpoint id → the namespace it is attached to. */
  readonly endpoints = new Map<string, string>();
  #next = 1;

  constructor(private readonly log: FakeCallLog) {}

  leaks(): string[] {
    return [...this.namespaces].map((id) => `network namespace "${id}"`);
  }

  /** The endpoints the CNI plugin attached, as `[namespace, endpoint]` pairs (replacing what was known). */
  setEndpoints(pairs: readonly [string, string][]): void {
    this.endpoints.clear();
    for (const [ns, ep] of pairs) this.endpoints.set(ep, ns);
  }

  #endpointsOf(ns: string): string[] {
    return [...this.endpoints].filter(([, n]) => n === ns).map(([e]) => e);
  }

  async call(method: "GET" | "POST" | "DELETE", path: string, request: string): Promise<string> {
    this.log.record("HNSCall", [method, path, request], path);
    const ok = (output: unknown) => JSON.stringify({ Success: true, Output: output });
    const notFound = JSON.stringify({ Success: false, Error: "Element not found." });
    const stats = /^\/endpointstats\/([0-9a-fA-F-]+)$/.exec(path);
    if (stats && method === "GET") {
      const id = stats[1]!;
      if (!this.endpoints.has(id)) return notFound;
      // Made-up but steady counters.
      return ok({ EndpointId: id, BytesReceived: 4096, BytesSent: 2048, PacketsReceived: 40, PacketsSent: 20, DroppedPacketsIncoming: 1, DroppedPacketsOutgoing: 2 });
    }
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
    return ok({ ID: id, ResourceList: this.#endpointsOf(id).map((e) => ({ Type: "Endpoint", Data: { Id: e } })) });
  }

  async queryNamespace(id: string): Promise<string> {
    this.#hcn("HcnQueryNamespaceProperties", id, this.namespaces.has(id));
    const resources = this.#endpointsOf(id).map((e) => ({ Type: "Endpoint", Data: { ID: e } }));
    return JSON.stringify({ ID: id, NamespaceId: Number.parseInt(id.slice(0, 8), 10), Type: "HostDefault", Resources: resources, SchemaVersion: { Major: 2, Minor: 0 } });
  }

  async queryEndpoint(id: string): Promise<string> {
    this.#hcn("HcnQueryEndpointProperties", id, this.endpoints.has(id));
    return JSON.stringify({
      ID: id,
      Name: `${id.slice(0, 8)}_eth0`,
      HostComputeNamespace: this.endpoints.get(id),
      MacAddress: macOf(id),
      IpConfigurations: [{ IpAddress: "10.99.0.5", PrefixLength: 24 }],
      SchemaVersion: { Major: 2, Minor: 0 },
    });
  }

  #hcn(call: "HcnQueryNamespaceProperties" | "HcnQueryEndpointProperties", id: string, known: boolean): void {
    if (!known) this.log.fail(call, [id], HCN_E_NOT_FOUND, id, "Element not found.");
    this.log.record(call, [id], id);
  }
}
