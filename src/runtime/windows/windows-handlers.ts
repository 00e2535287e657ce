/**
 * The `hcs` runtime handlers of the config, each with its base spec loaded once at start
 * (`base_runtime_spec`, else the built-in Windows one) and its HCS options.
 */
import type { Config, RuntimeHandlerConfig } from "../../config/index.ts";
import { InvalidArgumentError } from "../../errors.ts";
import type { Spec } from "../../oci/spec.ts";
import { defaultWindowsSpec } from "../../oci/windows.ts";
import { loadBaseSpec } from "../base-spec-file.ts";

export type WindowsHandler = {
  readonly name: string;
  readonly config: RuntimeHandlerConfig;
  /** Never mutated: specs start from a copy. */
  readonly baseSpec: Spec;
};

export class WindowsHandlers {
  private constructor(
    private readonly handlers: ReadonlyMap<string, WindowsHandler>,
    private readonly defaultName: string,
  ) {}

  static load(config: Config): WindowsHandlers {
    const map = new Map<string, WindowsHandler>();
    for (const [name, h] of Object.entries(config.runtimes)) {
      if (h.runtimeType !== "hcs") continue;
      map.set(name, { name, config: h, baseSpec: loadBaseSpec(name, h.baseRuntimeSpec, defaultWindowsSpec) });
    }
    return new WindowsHandlers(map, config.runtime.defaultRuntime);
  }

  /** The handler for a request's `runtime_handler` ("" = the default). @throws InvalidArgumentError */
  resolve(requested: string, field = "runtime_handler"): WindowsHandler {
    const h = this.get(requested);
    if (!h) {
      const name = requested === "" ? this.defaultName : requested;
      throw new InvalidArgumentError(field, `no hcs runtime handler "${name}" is configured (known: ${[...this.handlers.keys()].join(", ")})`);
    }
    return h;
  }

  get(name: string): WindowsHandler | undefined {
    return this.handlers.get(name === "" ? this.defaultName : name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}

/**
 * A handler with Hyper-V isolation marks every spec `windows.hyperv`, as hcsshim's shim
 * does for SandboxIsolation HYPERVISOR (so containerd need not): with schema 1.0 that makes
 * each container its own HCS utility VM (HvPartition); with 2.1 the pod's VM hosts them.
 */
export function withIsolation(spec: Spec, handler: WindowsHandler): Spec {
  if (handler.config.sandboxIsolation === "hyperv") spec.windows = { ...spec.windows, hyperv: spec.windows?.hyperv ?? {} };
  return spec;
}
