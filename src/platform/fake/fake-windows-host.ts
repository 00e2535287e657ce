/**
 * A `WindowsHost` for tests and for `skiff serve --platform windows-fake`: fake HCS,
 * layer and HNS calls sharing one call log and one set of injected failures, plus the
 * list of what is still held (`leaks`), so a test can check that a failed operation gave
 * back everything it took.
 */
import type { WindowsHost } from "../windows-host.ts";
import { FakeCallLog } from "./fake-call-log.ts";
import { FakeHcs } from "./fake-hcs.ts";
import { FakeHns } from "./fake-hns.ts";
import { FakeLayers } from "./fake-layers.ts";

export type FakeWindowsHostOptions = {
  /** `major.minor.build.revision`; default Windows Server 2022 (10.0.20348.1). */
  osVersion?: string;
  processorCount?: number;
};

export class FakeWindowsHost implements WindowsHost {
  readonly log = new FakeCallLog();
  readonly hcs = new FakeHcs(this.log);
  readonly layers = new FakeLayers(this.log);
  readonly hns = new FakeHns(this.log);
  readonly hcn = this.hns;
  /** Pipes `restrictPipe` was asked to lock down, with the SDDL. */
  readonly restrictedPipes: { path: string; sddl: string }[] = [];

  constructor(private readonly opts: FakeWindowsHostOptions = {}) {}

  osVersion(): string {
    return this.opts.osVersion ?? "10.0.20348.1";
  }

  processorCount(): number {
    return this.opts.processorCount ?? 4;
  }

  restrictPipe(path: string, sddl: string): void {
    this.restrictedPipes.push({ path, sddl });
  }

  /**
   * What is still held that a finished teardown must have given back: compute systems,
   * open handles, scratch layers, activated or prepared layers, network namespaces, and
   * what was hot-added to a utility VM that is still there.
   */
  leaks(): string[] {
    return [
      ...[...this.hcs.systems.values()].flatMap((s) => [`compute system "${s.id}" (${s.state})`, ...(s.vm?.leaks(s.id) ?? [])]),
      ...this.hcs.openHandles(),
      ...this.layers.leaks(),
      ...this.hns.leaks(),
    ];
  }
}
