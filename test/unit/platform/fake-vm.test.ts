import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FakeVm } from "../../../src/platform/fake/fake-vm.ts";
import { FakeWindowsHost } from "../../../src/platform/fake/fake-windows-host.ts";
import * as req from "../../../src/runtime/windows/uvm-requests.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-fakevm-"));
const vhd = path.join(dir, "a.vhdx");
fs.writeFileSync(vhd, "");
const vmDoc = { VirtualMachine: { Devices: { Scsi: { [req.SCSI_CONTROLLER_0]: { Attachments: { "0": { Path: vhd } } } } } } };

/** The fake refuses what HCS or the guest would, so tests that pass against it say something. */
describe("the fake utility VM refuses what HCS would", () => {
  const cases: { desc: string; steps: req.ModifyRequest[]; message: RegExp }[] = [
    { desc: "LUN 0 is the VM's own scratch", steps: [req.scsiAttach(0, vhd)], message: /in use/ },
    { desc: "a LUN taken twice", steps: [req.scsiAttach(1, vhd), req.scsiAttach(1, vhd)], message: /in use/ },
    { desc: "a VHD that does not exist", steps: [req.scsiAttach(1, path.join(dir, "none.vhdx"))], message: /does not exist/ },
    { desc: "a guest mount of a LUN nothing is attached at", steps: [req.mappedDisk("Add", "c:\\m", 3)], message: /no disk at LUN 3/ },
    { desc: "layers combined onto a path that is not mounted", steps: [req.combineLayers("c:\\m", [])], message: /not a mounted disk/ },
    {
      desc: "layers combined from a path that is no share",
      steps: [req.scsiAttach(1, vhd), req.mappedDisk("Add", "c:\\m", 1), req.combineLayers("c:\\m", [{ Id: "x", Path: `${req.VSMB_SHARE_PREFIX}s9` }])],
      message: /is no VSMB share/,
    },
    { desc: "a NIC added without its pre-add", steps: [req.nicAdd("a1", "e1", "")], message: /not pre-added/ },
    { desc: "a share removed that was never added", steps: [req.vsmbRemove("s1")], message: /no VSMB share/ },
    { desc: "a resource path HCS does not have", steps: [{ ResourcePath: "VirtualMachine/Devices/Floppy", RequestType: "Add" }], message: /unknown resource path/ },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const vm = new FakeVm(vmDoc);
      expect(() => {
        for (const s of tc.steps) vm.modify(JSON.parse(JSON.stringify(s)));
      }).toThrow(tc.message);
    });
  }

  test("a container may be hosted only on a root with combined layers from the VM's shares", async () => {
    const host = new FakeWindowsHost();
    const sys = await host.hcs.createComputeSystem("p@vm", JSON.stringify(vmDoc));
    await host.hcs.startComputeSystem(sys);
    const hosted = (root: string) =>
      JSON.stringify({ HostingSystemId: "p@vm", HostedSystem: { Container: { Storage: { Path: root, Layers: [{ Path: `${req.VSMB_SHARE_PREFIX}s1` }] } } } });
    await expect(host.hcs.createComputeSystem("c1", hosted("c:\\mounts\\scsi\\m0"))).rejects.toThrow(/holds no combined layers/);
    for (const r of [req.vsmbAdd("s1", dir, {}), req.scsiAttach(1, vhd), req.mappedDisk("Add", "c:\\mounts\\scsi\\m0", 1), req.combineLayers("c:\\mounts\\scsi\\m0", [{ Id: "x", Path: `${req.VSMB_SHARE_PREFIX}s1` }])]) {
      await host.hcs.modifyComputeSystem(sys, JSON.stringify(r));
    }
    expect((await host.hcs.createComputeSystem("c1", hosted("c:\\mounts\\scsi\\m0"))).id).toBe("c1");
  });
});
