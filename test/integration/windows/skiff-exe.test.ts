/**
 * skiff.exe as built for windows-x64 (dist/skiff-windows-x64.exe, made by the test
 * command before the tests run). No Windows host exists here, and Debian's wine (8.0)
 * cannot load it: the loader stops at `bcryptprimitives.dll`, which Bun's runtime imports
 * and wine 8.0 does not ship (status c0000135; see README). So its PE headers are checked
 * instead, and that the Windows platform (HCS, layers, HNS, the call worker) is inside.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "../harness.ts";

const EXE = path.join(REPO, "dist", "skiff-windows-x64.exe");

function headers(b: Buffer) {
  const pe = b.readUInt32LE(0x3c);
  const opt = pe + 24;
  return {
    mz: b.toString("latin1", 0, 2),
    signature: b.toString("latin1", pe, pe + 4),
    machine: b.readUInt16LE(pe + 4),
    characteristics: b.readUInt16LE(pe + 22),
    magic: b.readUInt16LE(opt),
    subsystem: b.readUInt16LE(opt + 68),
  };
}

describe("skiff.exe", () => {
  const bytes = fs.existsSync(EXE) ? fs.readFileSync(EXE) : undefined;

  test("is built (run `bun scripts/build-binary.ts windows-x64`)", () => {
    expect(bytes, `${EXE} is missing`).toBeDefined();
  });

  test("is a 64-bit console executable for x64 Windows", () => {
    const h = headers(bytes!);
    expect(h.mz).toBe("MZ");
    expect(h.signature).toBe("PE\0\0");
    expect(h.machine).toBe(0x8664); // IMAGE_FILE_MACHINE_AMD64
    expect(h.magic).toBe(0x20b); // PE32+
    expect(h.subsystem).toBe(3); // IMAGE_SUBSYSTEM_WINDOWS_CUI: a console program (serve prints its log)
    expect(h.characteristics & 0x0002).toBe(0x0002); // IMAGE_FILE_EXECUTABLE_IMAGE
  });

  const inside = [
    { desc: "computecore.dll and its operation API", needles: ["computecore.dll", "HcsCreateOperation", "HcsWaitForOperationResult", "HcsCreateComputeSystem"] },
    { desc: "vmcompute.dll's layer calls and HNSCall", needles: ["vmcompute.dll", "ImportLayer", "ExpandSandboxSize", "GetLayerMountPath", "GrantVmAccess", "HNSCall"] },
    { desc: "computenetwork.dll's HCN queries", needles: ["computenetwork.dll", "HcnOpenNamespace", "HcnQueryEndpointProperties"] },
    { desc: "the utility VM's document", needles: ["bootmgfw.efi", "df6d0690-79e5-55b6-a5ec-c1e2f77f580a"] },
    { desc: "the call worker", needles: ["windows-call-worker"] },
    { desc: "the named pipe's DACL", needles: ["D:P(A;;GA;;;SY)(A;;GA;;;BA)"] },
  ];
  for (const tc of inside) {
    test(`embeds ${tc.desc}`, () => {
      for (const n of tc.needles) expect(bytes!.includes(Buffer.from(n)), n).toBe(true);
    });
  }
});
