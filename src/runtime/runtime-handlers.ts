/**
 * The configured runtime handlers (`[runtimes.<name>]`), each with its base spec loaded
 * once at start (a bad or missing base spec file fails the start, naming the file) and
 * its OCI runtime driver.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type HandlerFeatures, handlerFeatures, readMountOptions } from "./runtime-features.ts";
import type { Config, RuntimeHandlerConfig } from "../config/index.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { defaultLinuxSpec } from "../oci/base-spec.ts";
import { loadBaseSpec } from "./base-spec-file.ts";
import type { Spec } from "../oci/spec.ts";
import type { CgroupDriver } from "./host-facts.ts";
import { createOciRuntime } from "./linux/oci-runtime.ts";
import type { OciRuntime } from "./linux/oci-runtime.ts";

export type RuntimeHandler = {
  readonly name: string;
  readonly config: RuntimeHandlerConfig;
  /** Never mutated: specs start from `baseFor(baseSpec)`. */
  readonly baseSpec: Spec;
  readonly runtime: OciRuntime;
  /** Optional CRI features this handler offers on this host (reported in Status). */
  readonly features: HandlerFeatures;
};

type Log = { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };

export class RuntimeHandlers {
  private constructor(
    private readonly handlers: ReadonlyMap<string, RuntimeHandler>,
    private readonly defaultName: string,
  ) {}

  /** Handlers built elsewhere (tests give fake runtimes). */
  static of(handlers: readonly RuntimeHandler[], defaultName: string): RuntimeHandlers {
    return new RuntimeHandlers(new Map(handlers.map((h) => [h.name, h])), defaultName);
  }

  /** Loads every `oci` handler of `config`; other types are not for this OS. */
  /** `observe` hears how long each runtime call of each handler took (for metrics). */
  static load(config: Config, cgroupDriver: CgroupDriver, log?: Log, observe?: (handler: string, verb: string, seconds: number) => void): RuntimeHandlers {
    const map = new Map<string, RuntimeHandler>();
    const exitDir = path.join(config.paths.state, "exits");
    for (const [name, h] of Object.entries(config.runtimes)) {
      if (h.runtimeType !== "oci") continue;
      const baseSpec = loadBaseSpec(name, h.baseRuntimeSpec, defaultLinuxSpec);
      const runtime = createOciRuntime({
        handler: name,
        runtimePath: h.runtimePath,
        runtimeRoot: h.runtimeRoot,
        conmonPath: config.linux.conmonPath,
        systemdCgroup: cgroupDriver === "systemd",
        exitDir,
        // conmon's attach sockets: keep this short, unix socket paths stop at 108 bytes.
        socketDir: path.join(config.paths.state, "sock"),
        // runc's own state layout; other runtimes are started with `<runtime> start`.
        execFifoStart: path.basename(h.runtimePath) === "runc",
        log,
        observe: observe && ((verb, seconds) => observe(name, verb, seconds)),
      });
      const features = handlerFeatures(readMountOptions(h.runtimePath), os.release());
      map.set(name, { name, config: h, baseSpec, runtime, features });
    }
    return new RuntimeHandlers(map, config.runtime.defaultRuntime);
  }

  /**
   * The handler for a request's `runtime_handler` ("" = the default).
   * @throws InvalidArgumentError naming `field` for a handler that is not configured
   * @throws FailedPreconditionError when its runtime binary is not installed
   */
  resolve(requested: string, field = "runtime_handler"): RuntimeHandler {
    const name = requested === "" ? this.defaultName : requested;
    const h = this.handlers.get(name);
    if (!h) {
      const known = [...this.handlers.keys()].join(", ");
      throw new InvalidArgumentError(field, `no runtime handler "${name}" is configured (known: ${known})`);
    }
    if (!fs.existsSync(h.config.runtimePath)) {
      throw new FailedPreconditionError(`runtime handler "${name}": "${h.config.runtimePath}" is not installed`);
    }
    return h;
  }

  /** The handler a stored sandbox was created with, even if its binary is gone now. */
  get(name: string): RuntimeHandler | undefined {
    return this.handlers.get(name === "" ? this.defaultName : name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
