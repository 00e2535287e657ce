import { beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FailedPreconditionError, NotSupportedError } from "../../../../src/errors.ts";
import type { Spec } from "../../../../src/oci/spec.ts";
import { FakeWindowsHost } from "../../../../src/platform/fake/fake-windows-host.ts";
import { createHcsContainer, type HcsCreateDeps, HcsCreateError, releaseResources } from "../../../../src/runtime/windows/hcs-create.ts";

let host: FakeWindowsHost;
let dir: string;
let deps: HcsCreateDeps;
let base: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-hcscreate-"));
  host = new FakeWindowsHost();
  // An imported base layer to build scratches on.
  base = path.join(dir, "base");
  fs.mkdirSync(path.join(base, "Files"), { recursive: true });
  await host.layers.processBaseImage(base);
  host.log.calls.length = 0;
  deps = { host, hostBuild: 20348, hostProcessorCount: 4, executable: "C:\\k\\skiff.exe", newId: () => "generated-id" };
});

const spec = (over: Partial<Spec> = {}): Spec => ({
  ociVersion: "1.1.0",
  process: { user: { uid: 0, gid: 0 }, cwd: "C:\\", args: ["cmd"] },
  windows: { network: {} },
  annotations: { "io.kubernetes.cri.container-type": "sandbox" },
  ...over,
});
const storage = () => ({ scratch: path.join(dir, "scratch"), layers: [base], sizeBytes: 0 });
const names = () => host.log.calls.map((c) => c.call);

describe("createHcsContainer (seed hcsoci/create.go)", () => {
  test("the id and owner default to a new GUID and the executable's name", async () => {
    const r = await createHcsContainer(deps, { spec: spec(), storage: storage() });
    expect(r.system.id).toBe("generated-id");
    expect(JSON.parse(r.document).Owner).toBe("skiff.exe");
  });

  test("a sandbox with no namespace given gets one made, with the spec's endpoints added", async () => {
    const r = await createHcsContainer(deps, { spec: spec({ windows: { network: { endpointList: ["ep-1"] } } }), storage: storage() });
    expect(r.resources).toEqual({ networkNamespace: expect.any(String), createdNamespace: true, scratch: storage().scratch });
    expect(host.log.of("HNSCall").map((c) => c.args.slice(0, 2))).toEqual([
      ["POST", "/namespaces/"],
      ["POST", `/namespaces/${r.resources.networkNamespace}/addresource`],
    ]);
    expect(JSON.parse(r.document).Container.Networking).toEqual({ Namespace: r.resources.networkNamespace });
  });

  test("a namespace given is joined, not made", async () => {
    const r = await createHcsContainer(deps, { spec: spec(), networkNamespace: "given-ns", storage: storage() });
    expect(host.log.of("HNSCall")).toEqual([]);
    expect(r.resources.createdNamespace).toBeUndefined();
    expect(JSON.parse(r.document).Container.Networking.Namespace).toBe("given-ns");
  });

  test("schema 1.0 makes no namespace (HNS namespaces are a 2.1 thing)", async () => {
    const r = await createHcsContainer({ ...deps, hostBuild: 17134 }, { spec: spec(), storage: storage() });
    expect(host.log.of("HNSCall")).toEqual([]);
    expect(JSON.parse(r.document).SystemType).toBe("Container");
  });

  test("a failure releases what came before it, in reverse: the scratch, then the namespace made", async () => {
    host.log.inject({ call: "HcsCreateComputeSystem" });
    const err = await createHcsContainer(deps, { spec: spec(), storage: storage() }).catch((e) => e);
    expect(err).toBeInstanceOf(HcsCreateError);
    expect(err.kept).toBe(false);
    expect(names().slice(names().indexOf("HcsCreateComputeSystem") + 1)).toEqual(["HNSCall", "UnprepareLayer", "DeactivateLayer", "DestroyLayer"]);
    expect(host.leaks()).toEqual([]);
  });

  test("with the debug option, a failure keeps everything for hcsdiag, and says so", async () => {
    host.log.inject({ call: "HcsCreateComputeSystem" });
    const err = await createHcsContainer(deps, { spec: spec(), storage: storage(), keepResourcesOnFailure: true }).catch((e) => e);
    expect(err.kept).toBe(true);
    expect(host.leaks()).toHaveLength(2); // the scratch and the namespace
    await releaseResources(host, err.resources);
    expect(host.leaks()).toEqual([]);
  });

  test("a credential spec is refused when gMSA is disabled by annotation, before anything is made", async () => {
    const s = spec({ windows: { credentialSpec: "{}" }, annotations: { "io.microsoft.container.wcow.gmsa.disable": "true" } });
    const err = await createHcsContainer(deps, { spec: s, storage: storage() }).catch((e) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect(err.message).toContain("gMSA credentials are disabled");
    expect(host.log.calls).toEqual([]);
  });

  test("an annotation that does not parse as a bool does not disable gMSA (as hcsshim reads it)", async () => {
    const s = spec({ windows: { credentialSpec: "{}" }, annotations: { "io.microsoft.container.wcow.gmsa.disable": "yes" } });
    const r = await createHcsContainer({ ...deps, hostBuild: 17134 }, { spec: s, storage: storage() });
    expect(JSON.parse(r.document).Credentials).toBe("{}");
  });

  const lcow = [
    { desc: "LCOW with schema 1.0 is refused as hcsshim refuses it", build: 17134, message: "LCOW v1 not supported" },
    { desc: "LCOW with schema 2.1 is refused: it is not built", build: 20348, message: "Linux containers on Windows (LCOW) are not built" },
  ];
  for (const tc of lcow) {
    test(tc.desc, async () => {
      const err = await createHcsContainer({ ...deps, hostBuild: tc.build }, { spec: spec({ linux: {} }), storage: storage() }).catch((e) => e);
      expect(err).toBeInstanceOf(NotSupportedError);
      expect(err.message).toContain(tc.message);
    });
  }

  test("a forced schema 2.1 on an old build falls back to 1.0 with a warning", async () => {
    const warnings: string[] = [];
    const r = await createHcsContainer({ ...deps, hostBuild: 17134, warn: (m) => warnings.push(m) }, { spec: spec(), storage: storage(), schemaVersion: "2.1" });
    expect(r.schema).toEqual({ Major: 1, Minor: 0 });
    expect(warnings[0]).toContain("needs Windows build 17763");
  });
});
