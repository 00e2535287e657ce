/**
 * The two runtimes every conformance file drives side by side: the compiled skiff and
 * Debian's containerd 1.6 (test/support/containerd-pods.ts), each with a CNI bridge and
 * subnet of its own (fenced off from the world), both pulling from one plain-HTTP test
 * registry on 127.0.0.1 that holds the images of conformance-images.ts. Each gets a
 * @grpc/grpc-js client built from proto/ (harness.ts), as a kubelet's grpc-go would talk.
 *
 * One pair per test file: `useRuntimes()` starts them in beforeAll and stops them (pods,
 * daemons, networks, temp dirs) in afterAll.
 */
import { afterAll, beforeAll } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startContainerdForPods } from "../../support/containerd-pods.ts";
import { startSkiffForPods } from "../../support/skiff-pods.ts";
import { type TestRegistry, startRegistry } from "../../support/registry.ts";
import { type GrpcClient, grpcClient, isRoot } from "../harness.ts";
import { type ConformanceImages, pushConformanceImages } from "./conformance-images.ts";

export type RuntimeName = "skiff" | "containerd";

export type Runtime = {
  name: RuntimeName;
  runtime: GrpcClient;
  image: GrpcClient;
  /** The pod subnet, e.g. "10.213.7.0/24". */
  subnet: string;
  /** A dir of this runtime's own for pod log directories and host paths. */
  work: string;
  /** Removes every pod, stops the daemon and undoes its network. */
  stop(): Promise<void>;
};

export type Runtimes = {
  skiff: Runtime;
  containerd: Runtime;
  both: readonly [Runtime, Runtime];
  images: ConformanceImages;
  registry: TestRegistry;
};

async function startSkiff(registryHost: string): Promise<Runtime> {
  const s = await startSkiffForPods({ registryHost });
  return { name: "skiff", runtime: s.daemon.runtime, image: s.daemon.image, subnet: s.network.subnet, work: s.work, stop: s.stop };
}

async function startContainerd(registryHost: string, sandboxImage: string): Promise<Runtime> {
  const c = await startContainerdForPods({ registryHost, sandboxImage });
  const socket = c.endpoint.replace(/^unix:\/\//, "");
  const runtime = grpcClient(socket, "RuntimeService");
  const image = grpcClient(socket, "ImageService");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ctrd-conf-"));
  return {
    name: "containerd",
    runtime,
    image,
    subnet: c.network.subnet,
    work,
    async stop() {
      runtime.close();
      image.close();
      await c.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Registers beforeAll/afterAll that start and stop the registry and both runtimes, with
 * `pull` already pulled into each. The returned object is filled in by beforeAll.
 */
export function useRuntimes(opts: { pull?: (images: ConformanceImages) => string[] } = {}): Runtimes {
  const r = {} as { -readonly [K in keyof Runtimes]: Runtimes[K] };
  beforeAll(async () => {
    if (!isRoot) return;
    r.registry = await startRegistry();
    r.images = await pushConformanceImages(r.registry.host);
    const [skiff, containerd] = await Promise.allSettled([startSkiff(r.registry.host), startContainerd(r.registry.host, r.images.pause)]);
    // afterAll stops whichever did start
    if (skiff.status === "fulfilled") r.skiff = skiff.value;
    if (containerd.status === "fulfilled") r.containerd = containerd.value;
    if (skiff.status === "rejected") throw skiff.reason;
    if (containerd.status === "rejected") throw containerd.reason;
    r.both = [r.skiff, r.containerd];
    const refs = opts.pull ? opts.pull(r.images) : [r.images.busybox];
    for (const rt of r.both) for (const ref of refs) await rt.image.call("PullImage", { image: { image: ref } }, 60_000);
  }, 120_000);
  afterAll(async () => {
    const problems: unknown[] = [];
    for (const rt of [r.skiff, r.containerd]) await rt?.stop().catch((err) => problems.push(err));
    await r.registry?.stop();
    if (problems.length > 0) throw new AggregateError(problems, "stopping the runtimes");
  }, 120_000);
  return r;
}
