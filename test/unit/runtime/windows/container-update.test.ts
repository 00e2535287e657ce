import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { WindowsContainerResourcesSchema } from "../../../../src/gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from "../../../../src/errors.ts";
import type { Spec } from "../../../../src/oci/spec.ts";
import { planWindowsUpdate } from "../../../../src/runtime/windows/container-update.ts";

const MiB = 2n ** 20n;
const spec = (resources: NonNullable<Spec["windows"]>["resources"]): Spec => ({ ociVersion: "1.1.0", windows: { resources } });
const res = (r: Parameters<typeof create<typeof WindowsContainerResourcesSchema>>[1]) => create(WindowsContainerResourcesSchema, r);
const running = { id: "c1", state: "running", processors: 4, build: 20348 };

describe("planWindowsUpdate (containerd's merge, hcsshim's requests)", () => {
  test("a running container gets its memory in even MB, then its one CPU control, the count lowered to the processors", () => {
    const plan = planWindowsUpdate(spec({ cpu: { count: 2 }, memory: { limit: 256 * 2 ** 20 } }), res({ cpuCount: 8n, memoryLimitInBytes: 511n * MiB }), running);
    expect(plan.spec.windows?.resources).toEqual({ cpu: { count: 8 }, memory: { limit: 511 * 2 ** 20 } });
    expect(plan.requests.map((r) => JSON.stringify(r))).toEqual([
      '{"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":512}',
      '{"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":4}}',
    ]);
  });

  test("zeros keep what the container had: a memory-only update still sends the merged CPU (hcsshim sends what the spec holds)", () => {
    const plan = planWindowsUpdate(spec({ cpu: { maximum: 5000 } }), res({ memoryLimitInBytes: 64n * MiB }), running);
    expect(plan.requests.map((r) => r.ResourcePath + JSON.stringify(r.Settings))).toEqual(["Container/Memory/SizeInMB64", 'Container/Processor{"Maximum":5000}']);
  });

  test("shares are the weight", () => {
    const plan = planWindowsUpdate(spec({}), res({ cpuShares: 300n }), running);
    expect(plan.requests.map((r) => JSON.stringify(r.Settings))).toEqual(['{"Weight":300}']);
  });

  test("a container not running only has its spec changed", () => {
    const plan = planWindowsUpdate(spec({}), res({ cpuCount: 1n }), { ...running, state: "created" });
    expect([plan.requests, plan.spec.windows?.resources?.cpu]).toEqual([[], { count: 1 }]);
  });

  const refused = [
    { desc: "no windows part is InvalidArgument naming it", current: spec({}), update: undefined, at: running, type: InvalidArgumentError, message: /^windows: / },
    {
      desc: "a second CPU control on top of the one the container has is InvalidArgument (they are mutually exclusive)",
      current: spec({ cpu: { count: 2 } }),
      update: res({ cpuMaximum: 5000n }),
      at: running,
      type: InvalidArgumentError,
      message: /mutually exclusive/,
    },
    { desc: "CPU affinity is Unimplemented (it is the job object's, not HCS's)", current: spec({}), update: res({ affinityCpus: [{ cpuMask: 3n, cpuGroup: 0 }] }), at: running, type: NotSupportedError, message: /affinity/ },
    { desc: "a CPU change before 20H2 is Unimplemented, as hcsshim says", current: spec({}), update: res({ cpuCount: 1n }), at: { ...running, build: 17763 }, type: NotSupportedError, message: /19042/ },
    { desc: "an exited container is FailedPrecondition", current: spec({}), update: res({ cpuCount: 1n }), at: { ...running, state: "exited" }, type: FailedPreconditionError, message: /"c1" is exited/ },
  ];
  for (const tc of refused) {
    test(tc.desc, () => {
      expect(() => planWindowsUpdate(tc.current, tc.update, tc.at)).toThrow(tc.type);
      expect(() => planWindowsUpdate(tc.current, tc.update, tc.at)).toThrow(tc.message);
    });
  }

  test("the current spec is left as it was", () => {
    const current = spec({ cpu: { count: 2 } });
    planWindowsUpdate(current, res({ cpuCount: 3n }), running);
    expect(current.windows?.resources).toEqual({ cpu: { count: 2 } });
  });
});
