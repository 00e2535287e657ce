// Pins the shape of the generated CRI stubs to k8s.io/cri-api v0.36.3: the RPC
// list (names, order, streaming kind, request/response types) and a few field
// facts that are easy to get wrong when the proto is touched by hand.

import { describe, expect, test } from "bun:test";
import { create, fromBinary, ScalarType, toBinary, type DescMessage } from "@bufbuild/protobuf";
import {
  AttachRequestSchema,
  ContainerConfigSchema,
  ContainerStatusSchema,
  ExecRequestSchema,
  file_runtime_v1_api,
  ImageService,
  ImageSpecSchema,
  KeyValueSchema,
  MountSchema,
  PodSandboxStatusResponseSchema,
  RuntimeService,
  StreamContainerStatsResponseSchema,
  StreamContainersResponseSchema,
  StreamImagesResponseSchema,
  StreamPodSandboxesResponseSchema,
  StreamPodSandboxMetricsResponseSchema,
  StreamPodSandboxStatsResponseSchema,
} from "../../../src/gen/runtime/v1/api_pb.ts";

type Kind = "unary" | "server_streaming";
/** [rpc name, kind, request type, response type]; types default to <Name>Request / <Name>Response. */
type Rpc = [name: string, kind: Kind, input?: string, output?: string];

const U: Kind = "unary";
const S: Kind = "server_streaming";

// In declaration order, as upstream.
const RUNTIME_RPCS: Rpc[] = [
  ["Version", U],
  ["RunPodSandbox", U],
  ["StopPodSandbox", U],
  ["RemovePodSandbox", U],
  ["PodSandboxStatus", U],
  ["ListPodSandbox", U],
  ["StreamPodSandboxes", S],
  ["CreateContainer", U],
  ["StartContainer", U],
  ["StopContainer", U],
  ["RemoveContainer", U],
  ["ListContainers", U],
  ["StreamContainers", S],
  ["ContainerStatus", U],
  ["UpdateContainerResources", U],
  ["ReopenContainerLog", U],
  ["ExecSync", U],
  ["Exec", U],
  ["Attach", U],
  ["PortForward", U],
  ["ContainerStats", U],
  ["ListContainerStats", U],
  ["StreamContainerStats", S],
  ["PodSandboxStats", U],
  ["ListPodSandboxStats", U],
  ["StreamPodSandboxStats", S],
  ["UpdateRuntimeConfig", U],
  ["Status", U],
  ["CheckpointContainer", U],
  ["GetContainerEvents", S, "GetEventsRequest", "ContainerEventResponse"],
  ["ListMetricDescriptors", U],
  ["ListPodSandboxMetrics", U],
  ["StreamPodSandboxMetrics", S],
  ["RuntimeConfig", U],
  ["UpdatePodSandboxResources", U],
];

const IMAGE_RPCS: Rpc[] = [
  ["ListImages", U],
  ["StreamImages", S],
  ["ImageStatus", U],
  ["PullImage", U],
  ["RemoveImage", U],
  ["ImageFsInfo", U],
];

const services = [
  { service: RuntimeService, typeName: "runtime.v1.RuntimeService", rpcs: RUNTIME_RPCS, count: 35 },
  { service: ImageService, typeName: "runtime.v1.ImageService", rpcs: IMAGE_RPCS, count: 6 },
];

describe("file", () => {
  test("package and go_package", () => {
    expect(file_runtime_v1_api.proto.package).toBe("runtime.v1");
    expect(file_runtime_v1_api.proto.syntax).toBe("proto3");
    expect(file_runtime_v1_api.proto.options?.goPackage).toBe("k8s.io/cri-api/pkg/apis/runtime/v1");
    expect(file_runtime_v1_api.proto.dependency).toEqual([]);
  });
});

describe.each(services)("$typeName", ({ service, typeName, rpcs, count }) => {
  test(`has ${count} methods, in upstream order`, () => {
    expect(service.typeName).toBe(typeName);
    expect(Object.keys(service.method)).toHaveLength(count);
    expect(service.methods.map((m) => m.name)).toEqual(rpcs.map(([name]) => name));
  });

  // Rows as objects: bun passes a `done` callback in place of missing tuple items.
  const rows = rpcs.map(([name, kind, input, output]) => ({
    name,
    kind,
    input: `runtime.v1.${input ?? `${name}Request`}`,
    output: `runtime.v1.${output ?? `${name}Response`}`,
  }));
  test.each(rows)("$name is $kind ($input -> $output)", ({ name, kind, input, output }) => {
    const method = service.methods.find((m) => m.name === name);
    expect(method).toBeDefined();
    expect(method!.methodKind).toBe(kind);
    expect(method!.input.typeName).toBe(input);
    expect(method!.output.typeName).toBe(output);
  });
});

type FieldFact = {
  message: DescMessage;
  field: string;
  number: number;
  /** "bytes", "string", "enum:<type>", "message:<type>", "list:<type>" */
  type: string;
};

function describeType(desc: DescMessage, name: string): string {
  const field = desc.fields.find((f) => f.name === name);
  if (!field) return "<missing>";
  switch (field.fieldKind) {
    case "scalar":
      return ScalarType[field.scalar].toLowerCase();
    case "enum":
      return `enum:${field.enum.typeName}`;
    case "message":
      return `message:${field.message.typeName}`;
    case "list":
      return field.listKind === "message" ? `list:${field.message.typeName}` : `list:${field.listKind}`;
    case "map":
      return "map";
  }
}

const FIELD_FACTS: FieldFact[] = [
  // bytes since v0.36.3 (kubernetes#139192), so non-UTF-8 env values survive.
  { message: KeyValueSchema, field: "value", number: 2, type: "bytes" },
  { message: KeyValueSchema, field: "key", number: 1, type: "string" },
  // Each stream response carries a batch (a repeated field), not one item.
  { message: StreamPodSandboxesResponseSchema, field: "pod_sandboxes", number: 1, type: "list:runtime.v1.PodSandbox" },
  { message: StreamContainersResponseSchema, field: "containers", number: 1, type: "list:runtime.v1.Container" },
  { message: StreamContainerStatsResponseSchema, field: "container_stats", number: 1, type: "list:runtime.v1.ContainerStats" },
  { message: StreamPodSandboxStatsResponseSchema, field: "pod_sandbox_stats", number: 1, type: "list:runtime.v1.PodSandboxStats" },
  { message: StreamPodSandboxMetricsResponseSchema, field: "pod_sandbox_metrics", number: 1, type: "list:runtime.v1.PodSandboxMetrics" },
  { message: StreamImagesResponseSchema, field: "images", number: 1, type: "list:runtime.v1.Image" },
  { message: ImageSpecSchema, field: "user_specified_image", number: 18, type: "string" },
  { message: ImageSpecSchema, field: "runtime_handler", number: 19, type: "string" },
  { message: ImageSpecSchema, field: "image_ref", number: 20, type: "string" },
  { message: MountSchema, field: "image", number: 9, type: "message:runtime.v1.ImageSpec" },
  { message: MountSchema, field: "image_sub_path", number: 10, type: "string" },
  { message: ContainerConfigSchema, field: "stop_signal", number: 18, type: "enum:runtime.v1.Signal" },
  { message: ContainerStatusSchema, field: "stop_signal", number: 19, type: "enum:runtime.v1.Signal" },
  { message: PodSandboxStatusResponseSchema, field: "containers_statuses", number: 3, type: "list:runtime.v1.ContainerStatus" },
];

describe("field facts", () => {
  const rows = FIELD_FACTS.map((fact) => ({ ...fact, label: `${fact.message.name}.${fact.field}` }));
  test.each(rows)("$label = $number ($type)", ({ message, field, number, type }) => {
    expect(describeType(message, field)).toBe(type);
    expect(message.fields.find((f) => f.name === field)?.number).toBe(number);
  });

  // Fields that only arrive in v0.37; their absence pins the proto to v0.36.
  test.each([
    { message: ExecRequestSchema, field: "audit_request_id" },
    { message: AttachRequestSchema, field: "audit_request_id" },
    { message: MountSchema, field: "mount_options" },
  ])("$message.name has no $field (added after 1.36)", ({ message, field }) => {
    expect(message.fields.map((f) => f.name)).not.toContain(field);
  });

  test("KeyValue carries non-UTF-8 values through the wire", () => {
    const value = new Uint8Array([0x66, 0xff, 0xfe, 0x00, 0x80]);
    const decoded = fromBinary(KeyValueSchema, toBinary(KeyValueSchema, create(KeyValueSchema, { key: "K", value })));
    expect(decoded.key).toBe("K");
    expect(decoded.value).toEqual(value);
  });
});
