/**
 * critest's container specs of pkg/validate/container_linux.go (mount propagation,
 * read-only mounts, OOM), each as critest runs it, against the compiled skiff over its
 * socket. README.md maps every spec to its test.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRoot } from "../harness.ts";
import { type CritestEnv, PAUSE, PRIVILEGED_POD, codeName, hostRun as sh, useCritestEnv, waitFor } from "./critest-env.ts";

let env: CritestEnv;
const call = (method: string, req: object = {}) => env.call(method, req);

useCritestEnv([], (e) => {
  env = e;
});

/** critest's createPrivilegedPodSandbox. */
const privilegedPod = () => env.runPod("create-Privileged-PodSandbox-for-container-", PRIVILEGED_POD);

describe.skipIf(!isRoot)("Container Mount Propagation", () => {
  describe("runtime should support mount propagation", () => {
    const cases = [
      { spec: "mount with 'rprivate' should not support propagation", propagation: "PROPAGATION_PRIVATE", hostMode: "--make-rprivate", intoContainer: false, toHost: false },
      { spec: "mount with 'rshared' should support propagation from host to container and vice versa", propagation: "PROPAGATION_BIDIRECTIONAL", hostMode: "--make-rshared", intoContainer: true, toHost: true },
      { spec: "mount with 'rslave' should support propagation from host to container", propagation: "PROPAGATION_HOST_TO_CONTAINER", hostMode: "--make-rshared", intoContainer: true, toHost: false },
    ];
    for (const tc of cases) {
      test(tc.spec, async () => {
        const pod = await privilegedPod();
        // critest's createHostPathForMountPropagation: mnt is a mount of its own, private or shared
        const hostPath = fs.mkdtempSync(path.join(env.tmp, "test"));
        const mntSource = path.join(hostPath, "mnt");
        const mntPoint = path.join(mntSource, "propagationMnt");
        const srcDir = path.join(hostPath, "propagationSrcDir");
        fs.mkdirSync(mntPoint, { recursive: true, mode: 0o700 });
        fs.mkdirSync(srcDir, { mode: 0o700 });
        fs.writeFileSync(path.join(srcDir, "flagFile"), "");
        sh("mount", "--rbind", mntSource, mntSource);
        sh("mount", tc.hostMode, mntSource);
        try {
          const config = env.ctrConfig("mount-propagation-test-", PAUSE, {
            linux: { security_context: { privileged: true } },
            mounts: [{ host_path: mntSource, container_path: mntSource, propagation: tc.propagation }],
          });
          const id = await env.create(pod, config);
          const mounts = (await env.status(id, true)).mounts;
          expect(mounts).toHaveLength(1);
          expect(mounts[0]).toMatchObject({ container_path: mntSource, host_path: mntSource, readonly: false, selinux_relabel: false, propagation: tc.propagation });
          await env.start(id);
          await env.waitState(id, "CONTAINER_RUNNING");

          sh("mount", "--rbind", srcDir, mntPoint);
          const seen = await env.execOk(id, ["ls", "-A", mntPoint]);
          expect(seen !== "").toBe(tc.intoContainer);

          const ctrMntPoint = path.join(mntSource, "containerMntPoint");
          await env.execOk(id, ["sh", "-c", `mkdir -p ${ctrMntPoint}`]);
          await env.execOk(id, ["sh", "-c", `mount --bind /etc ${ctrMntPoint}`]);
          expect(fs.readdirSync(ctrMntPoint).length > 0).toBe(tc.toHost);
          await env.cleanup(pod);
        } finally {
          Bun.spawnSync(["umount", "-l", mntPoint]);
          Bun.spawnSync(["umount", "-l", mntSource]);
        }
      });
    }
  });
});

describe.skipIf(!isRoot)("Container OOM", () => {
  describe("runtime should output OOMKilled reason", () => {
    test("should terminate with exitCode 137 and reason OOMKilled", async () => {
      const pod = await privilegedPod();
      const limit = 15 * 1024 * 1024;
      const config = env.ctrConfig("OOM-test-", ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=20M"], {
        linux: { resources: { memory_limit_in_bytes: limit, memory_swap_limit_in_bytes: limit } },
      });
      const id = await env.create(pod, config);
      await env.status(id, true);
      await env.start(id);
      await env.waitState(id, "CONTAINER_EXITED");
      const s = await waitFor("the reason OOMKilled", async () => {
        const st = await env.status(id);
        return st.reason === "OOMKilled" ? st : undefined;
      });
      expect(s.exit_code).toBe(137);
      await env.cleanup(pod);
    });
  });
});

describe.skipIf(!isRoot)("Container Mount Readonly", () => {
  describe("runtime should support readonly mounts", () => {
    /** critest's runtimeSupportsRRO: the features of the handler named "" (the default, for critest's empty -runtime-handler). */
    const supportsRRO = async () => ((await call("Status")).runtime_handlers as any[]).find((h) => h.name === "")?.features?.recursive_read_only_mounts === true;

    /** critest's createHostPathForRROMount: a dir with a tmpfs mounted at its `tmpfs`. */
    const hostPathWithTmpfs = () => {
      const hostPath = fs.mkdtempSync(path.join(env.tmp, "test"));
      fs.mkdirSync(path.join(hostPath, "tmpfs"), { mode: 0o700 });
      sh("mount", "-t", "tmpfs", "none", path.join(hostPath, "tmpfs"));
      return hostPath;
    };
    const mountContainer = (mounts: object[]) => env.ctrConfig("test-mount-", PAUSE, { linux: undefined, mounts });

    for (const rro of [false, true]) {
      test(rro ? "should support recursive readonly mounts" : "should support non-recursive readonly mounts", async () => {
        // critest skips when the runtime cannot; skiff with runc on this kernel can, and says so
        if (rro) expect(await supportsRRO()).toBe(true);
        const pod = await privilegedPod();
        const hostPath = hostPathWithTmpfs();
        const id = await env.create(pod, mountContainer([{ host_path: hostPath, container_path: "/mnt", readonly: true, recursive_read_only: rro, selinux_relabel: true }]));
        expect((await env.status(id, true)).mounts).toHaveLength(1);
        await env.start(id);
        await env.waitState(id, "CONTAINER_RUNNING");
        await env.execOk(id, rro ? ["sh", "-c", 'touch /mnt/tmpfs/foo 2>&1 | grep -q "Read-only file system"'] : ["touch", "/mnt/tmpfs/file"]);
        await env.cleanup(pod);
      });
    }

    const invalid = [
      { spec: "should reject a recursive readonly mount with PROPAGATION_HOST_TO_CONTAINER", mount: { readonly: true, propagation: "PROPAGATION_HOST_TO_CONTAINER" } },
      { spec: "should reject a recursive readonly mount with PROPAGATION_BIDIRECTIONAL", mount: { readonly: true, propagation: "PROPAGATION_BIDIRECTIONAL" } },
      { spec: "should reject a recursive readonly mount with ReadOnly: false", mount: { readonly: false } },
    ];
    for (const tc of invalid) {
      test(tc.spec, async () => {
        expect(await supportsRRO()).toBe(true);
        const pod = await privilegedPod();
        const hostPath = hostPathWithTmpfs();
        const mount = { host_path: hostPath, container_path: "/mnt", recursive_read_only: true, selinux_relabel: true, ...tc.mount };
        expect(await codeName(env.create(pod, mountContainer([mount])))).not.toBe("OK");
        await env.cleanup(pod);
      });
    }
  });
});
