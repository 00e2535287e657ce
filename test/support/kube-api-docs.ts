/**
 * What a fake API server answers kubectl before it execs, attaches or port-forwards into
 * pod `p` in `default`: the version, the discovery lists naming pods/exec, pods/attach and
 * pods/portforward, and the Pod itself, running.
 */
export const POD = { kind: "Pod", apiVersion: "v1", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox" }] }, status: { phase: "Running" } };

export const DISCOVERY: Record<string, unknown> = {
  "/version": { major: "1", minor: "32", gitVersion: "v1.32.0" },
  "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1" }] },
  "/apis": { kind: "APIGroupList", apiVersion: "v1", groups: [] },
  "/api/v1": {
    kind: "APIResourceList",
    groupVersion: "v1",
    resources: [
      { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["get", "list"], shortNames: ["po"] },
      { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "pods/attach", singularName: "", namespaced: true, kind: "PodAttachOptions", verbs: ["create", "get"] },
      { name: "pods/portforward", singularName: "", namespaced: true, kind: "PodPortForwardOptions", verbs: ["create", "get"] },
    ],
  },
  "/api/v1/namespaces/default/pods/p": POD,
};
