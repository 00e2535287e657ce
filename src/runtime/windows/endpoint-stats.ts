/**
 * A Windows pod's network traffic, as containerd reads it for WindowsPodSandboxStats: the
 * endpoints of the pod's namespace (its HCN document's `Endpoint` resources), then each
 * endpoint's counters from HNS (`GET /endpointstats/<id>` through HNSCall). An endpoint
 * whose counters cannot be read is left out, as containerd leaves it out.
 */
import type { WindowsHost } from "../../platform/windows-host.ts";
import type { EndpointUsage } from "../../sandbox/pod-usage.ts";

type Namespace = { Resources?: { Type?: string; Data?: { ID?: string } }[] };
type Counters = {
  Success?: boolean;
  Output?: { BytesReceived?: number; BytesSent?: number; DroppedPacketsIncoming?: number; DroppedPacketsOutgoing?: number };
};

/** The endpoint ids of a namespace, from its HCN document. */
export async function namespaceEndpoints(hcn: WindowsHost["hcn"], namespace: string): Promise<string[]> {
  const doc = JSON.parse(await hcn.queryNamespace(namespace)) as Namespace;
  return (doc.Resources ?? []).filter((r) => r.Type === "Endpoint" && r.Data?.ID).map((r) => r.Data!.ID!);
}

export async function endpointUsage(host: Pick<WindowsHost, "hcn" | "hns">, namespace: string): Promise<EndpointUsage[]> {
  const out: EndpointUsage[] = [];
  for (const id of await namespaceEndpoints(host.hcn, namespace)) {
    const r = await host.hns
      .call("GET", `/endpointstats/${id}`, "")
      .then((t) => JSON.parse(t) as Counters)
      .catch(() => undefined);
    const o = r?.Success ? r.Output : undefined;
    if (!o) continue;
    const n = (v: number | undefined) => BigInt(v ?? 0);
    out.push({ name: id, rxBytes: n(o.BytesReceived), rxDropped: n(o.DroppedPacketsIncoming), txBytes: n(o.BytesSent), txDropped: n(o.DroppedPacketsOutgoing) });
  }
  return out;
}
