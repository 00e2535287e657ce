/**
 * critest's security context specs (pkg/validate/security_context_linux.go) but its
 * namespace ones (security-namespaces.test.ts): the user, groups, rootfs, privileges,
 * capabilities, paths, seccomp and no_new_privs, each as critest runs it, against the
 * compiled skiff over its socket. nonewprivs is a setuid `id` here (critest-images.ts).
 * README.md maps every spec to its test.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { USER_IN_IMAGE, pushConformanceImages } from "../conformance/conformance-images.ts";
import { isRoot } from "../harness.ts";
import { type CritestEnv, PAUSE, type Pod, codeName, logShows, parseLogLines, useCritestEnv, uuid } from "./critest-env.ts";

let env: CritestEnv;
let usersImage: string;
const call = (method: string, req: object = {}) => env.call(method, req);

useCritestEnv(["hardlinks", "noNewPrivs"], async (e) => {
  env = e;
  usersImage = (await pushConformanceImages(env.images.busybox.split("/")[0]!)).users;
});

type Json = Record<string, any>;

/** A pod of critest's default shape and one running container with `sc` as its security context. */
async function withContext(prefix: string, sc: Json, command = PAUSE, image?: string): Promise<{ pod: Pod; id: string }> {
  const pod = await env.runPod("create-PodSandbox-for-container-");
  const config = env.ctrConfig(prefix, command, { linux: { security_context: sc } });
  const id = await env.run(pod, image ? { ...config, image: { image } } : config);
  await env.waitState(id, "CONTAINER_RUNNING");
  return { pod, id };
}

describe.skipIf(!isRoot)("Security Context", () => {
  describe("bucket", () => {
    test("runtime should support SupplementalGroups", async () => {
      const { pod, id } = await withContext("container-with-SupplementalGroups-test-", { supplemental_groups: [1234, 5678] });
      const groups = (await env.execOk(id, ["id", "-G"])).trim().split(" ");
      expect(groups).toContain("1234");
      expect(groups).toContain("5678");
      await env.cleanup(pod);
    });

    test("runtime should support RunAsUser", async () => {
      const { pod, id } = await withContext("container-with-RunAsUser-test-", { run_as_user: { value: 1001 } });
      expect(await env.execOk(id, ["id", "-u"])).toBe("1001\n");
      await env.cleanup(pod);
    });

    test("runtime should support RunAsUserName", async () => {
      const { pod, id } = await withContext("container-with-RunAsUserName-test-", { run_as_username: "nobody" });
      expect(await env.execOk(id, ["id", "-nu"])).toBe("nobody\n");
      await env.cleanup(pod);
    });

    test("runtime should support RunAsGroup", async () => {
      const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
      const config = env.ctrConfig("container-with-RunAsGroup-test-", ["sh", "-c", "echo $(id -u):$(id -g)"], { linux: { security_context: { run_as_user: { value: 1001 }, run_as_group: { value: 1002 } } } });
      const logPath = `${config.metadata.name}.log`;
      const id = await env.run(pod, { ...config, log_path: logPath });
      await env.waitState(id, "CONTAINER_EXITED");
      expect(parseLogLines(pod, logPath)).toContainEqual({ stream: "stdout", log: "1001:1002\n" });
      await env.cleanup(pod);
    });

    test("runtime should return error if RunAsGroup is set without RunAsUser", async () => {
      const pod = await env.runPod("create-PodSandbox-for-container-");
      const config = env.ctrConfig("container-with-RunAsGroup-without-RunAsUser-test-", ["sh", "-c", "echo $(id -u):$(id -g)"], { linux: { security_context: { run_as_group: { value: 1002 } } } });
      expect(await codeName(env.create(pod, config))).not.toBe("OK");
      await env.cleanup(pod);
    });

    for (const readonly of [false, true]) {
      test(`runtime should support that ReadOnlyRootfs is ${readonly}`, async () => {
        const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
        const config = env.ctrConfig(`container-with-ReadOnlyRootfs-${readonly}-test-`, ["sh", "-c", "touch test.go && [ -f test.go ] && echo 'Found'"], { linux: { security_context: { readonly_rootfs: readonly } } });
        const logPath = `${config.metadata.name}.log`;
        const id = await env.run(pod, { ...config, log_path: logPath });
        await env.waitState(id, "CONTAINER_EXITED");
        const want = readonly ? { stream: "stderr", log: "touch: test.go: Read-only file system\n" } : { stream: "stdout", log: "Found\n" };
        expect(parseLogLines(pod, logPath)).toContainEqual(want);
        await env.cleanup(pod);
      });
    }

    /** critest's checkNetworkManagement: whether `brctl addbr` works in the container. */
    const manages = async (id: string) => (await env.execSync(id, ["brctl", "addbr", "foobar"])).exitCode === 0;

    for (const privileged of [true, false]) {
      test(`runtime should support Privileged is ${privileged}`, async () => {
        const pod = await env.runPod("create-Privileged-PodSandbox-for-container-", { linux: { cgroup_parent: "", security_context: { privileged } } });
        const id = await env.run(pod, env.ctrConfig("container-with-isPrivileged-test-", PAUSE, { linux: { security_context: { privileged } } }));
        await env.waitState(id, "CONTAINER_RUNNING");
        expect(await manages(id)).toBe(privileged);
        await env.cleanup(pod);
      });
    }

    test("runtime should support adding capability", async () => {
      const { pod, id } = await withContext("container-with-added-capability-test-", { capabilities: { add_capabilities: ["NET_ADMIN"] } });
      expect(await manages(id)).toBe(true);
      const plain = await env.run(pod, env.ctrConfig("container-with-notCapability-test-", ["top"]));
      await env.waitState(plain, "CONTAINER_RUNNING");
      expect(await manages(plain)).toBe(false);
      await env.cleanup(pod);
    });

    test("runtime should support dropping capability", async () => {
      const { pod, id } = await withContext("container-with-dropped-capability-test-", { capabilities: { drop_capabilities: ["NET_RAW"] } });
      const r = await env.execSync(id, ["ping", "127.0.0.1"]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).not.toBe("");
      expect(r.stderr).toContain("permission denied");
      await env.cleanup(pod);
    });

    for (const [verb, key] of [["adding", "add_capabilities"], ["dropping", "drop_capabilities"]] as const) {
      test(`runtime should support ${verb} ALL capabilities`, async () => {
        const { pod, id } = await withContext(`container-with-${verb}-all-capability-test-`, { capabilities: { [key]: ["ALL"] } });
        const status = await env.execOk(id, ["cat", "/proc/self/status"]);
        expect(/CapBnd:\s0000000000000000/.test(status)).toBe(verb === "dropping");
        await env.cleanup(pod);
      });
    }

    test("runtime should support MaskedPaths", async () => {
      // docker's busybox, where /bin/ls is a file of its own (a hard link), not a symlink to busybox
      const { pod, id } = await withContext("container-with-maskedpaths", { masked_paths: ["/bin/ls"] }, PAUSE, env.critest.hardlinks);
      // Debian's busybox sh runs a bare `ls` as its own applet, never opening /bin/ls; by path it execs the file
      const r = await env.execSync(id, ["/bin/sh", "-c", "/bin/ls"]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toBe("/bin/sh: /bin/ls: Permission denied\n");
      await env.cleanup(pod);
    });

    test("runtime should support ReadonlyPaths", async () => {
      const { pod, id } = await withContext("container-with-readonlypaths", { readonly_paths: ["/tmp"] });
      const r = await env.execSync(id, ["touch", "/tmp/test"]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toBe("touch: /tmp/test: Read-only file system\n");
      await env.cleanup(pod);
    });
  });

  describe("SupplementalGroupsPolicy", () => {
    const u = USER_IN_IMAGE;
    const cases = [
      { when: "SupplementalGroupsPolicy=Merge (Default)", spec: "if the container's primary UID belongs to some groups in the image, runtime should add SupplementalGroups to them", policy: undefined, groups: [u.gid, 1234, u.extraGroup] },
      { when: "SupplementalGroupsPolicy=Strict", spec: "even if the container's primary UID belongs to some groups in the image, runtime should not add SupplementalGroups to them", policy: "Strict", groups: [u.gid, 1234] },
    ];
    for (const tc of cases) {
      describe(tc.when, () => {
        test(tc.spec, async () => {
          // critest skips this unless Status says the runtime has the feature
          expect((await call("Status")).features.supplemental_groups_policy).toBe(true);
          const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
          const sc = { run_as_user: { value: u.uid }, supplemental_groups: [1234], ...(tc.policy ? { supplemental_groups_policy: tc.policy } : {}) };
          const config: Json = { ...env.ctrConfig("container-with-SupplementalGroupsPolicy-", ["sh", "-c", "id -G; sleep infinity"], { linux: { security_context: sc } }), image: { image: usersImage } };
          const logPath = `${config.metadata.name}.log`;
          const id = await env.run(pod, { ...config, log_path: logPath });
          const s = await env.waitState(id, "CONTAINER_RUNNING");
          const user = s.user.linux;
          expect({ uid: Number(user.uid), gid: Number(user.gid), groups: user.supplemental_groups.map(Number).sort((a: number, b: number) => a - b) }).toEqual({ uid: u.uid, gid: u.uid, groups: tc.groups });
          const expected = `${tc.groups.join(" ")}\n`;
          await logShows(pod, logPath, expected);
          expect(await env.execOk(id, ["id", "-G"])).toBe(expected);
          await env.cleanup(pod);
        });
      });
    }
  });

  describe("SeccompProfilePath", () => {
    const profiles = () => {
      const dir = fs.mkdtempSync(path.join(env.tmp, "seccomp-tests"));
      const write = (name: string, names: string[]) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names, action: "SCMP_ACT_ERRNO" }] }), { mode: 0o600 });
        return p;
      };
      return { blockHostName: write("block-host-name.json", ["sethostname"]), blockChmod: write("block-chmod.json", ["chmod", "fchmodat"]) };
    };

    /** critest's seccompTestContainer: the profile on the pod and on its container. */
    async function seccompTestContainer(profile: Json | null) {
      const sc = profile ? { seccomp: profile } : {};
      const pod = await env.runPod("seccomp-sandbox-", { linux: { cgroup_parent: "", security_context: sc } });
      const id = await env.run(pod, env.ctrConfig("seccomp-container-", PAUSE, { linux: { security_context: sc } }));
      await env.waitState(id, "CONTAINER_RUNNING");
      return { pod, id };
    }
    const seccompMode = async (id: string) => /^Seccomp:\s+(\d)$/m.exec(await env.execOk(id, ["grep", "Seccomp:", "/proc/self/status"]))?.[1];

    const modes = [
      { spec: "should support seccomp unconfined on the container", profile: { profile_type: "Unconfined" }, mode: "0" },
      { spec: "should support seccomp default on the container", profile: {}, mode: "2" },
      { spec: "should support nil profile, which is unconfined", profile: null, mode: "0" },
    ];
    for (const tc of modes) {
      test(tc.spec, async () => {
        const { pod, id } = await seccompTestContainer(tc.profile);
        expect(await seccompMode(id)).toBe(tc.mode);
        await env.cleanup(pod);
      });
    }

    test("should support seccomp localhost profile on the container", async () => {
      const { pod, id } = await seccompTestContainer({ profile_type: "Localhost", localhost_ref: profiles().blockChmod });
      const r = await env.execSync(id, ["chmod", "400", "/"]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain("Operation not permitted");
      await env.cleanup(pod);
    });

    /** critest's createSeccompContainer + checkSetHostname. */
    const hostnameSettable = async (podSc: Json, sc: Json) => {
      const pod = await env.runPod("create-PodSandbox-for-container-", { linux: { cgroup_parent: "", security_context: podSc } });
      const id = await env.run(pod, env.ctrConfig("container-with-block-hostname-seccomp-profile-test-", ["sleep", "60"], { linux: { security_context: sc } }));
      await env.waitState(id, "CONTAINER_RUNNING");
      const settable = (await env.execSync(id, ["hostname", "ANewHostName"])).exitCode === 0;
      await env.cleanup(pod);
      return settable;
    };
    const sysAdmin = { add_capabilities: ["SYS_ADMIN"] };

    test("runtime should not block setting host name with unconfined seccomp and SYS_ADMIN", async () => {
      expect(await hostnameSettable({}, { capabilities: sysAdmin, seccomp: { profile_type: "Unconfined" } })).toBe(true);
    });
    test("runtime should support an seccomp profile that blocks setting hostname with SYS_ADMIN", async () => {
      expect(await hostnameSettable({}, { capabilities: sysAdmin, seccomp: { profile_type: "Localhost", localhost_ref: profiles().blockHostName } })).toBe(false);
    });
    test("runtime should ignore a seccomp profile that blocks setting hostname when privileged", async () => {
      const seccomp = { profile_type: "Localhost", localhost_ref: profiles().blockHostName };
      expect(await hostnameSettable({ privileged: true }, { privileged: true, capabilities: {}, seccomp })).toBe(true);
    });
  });

  describe("NoNewPrivs", () => {
    for (const nnp of [true, false]) {
      test(nnp ? "should not allow privilege escalation when true" : "should allow privilege escalation when false", async () => {
        const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
        const name = `alpine-nnp-${nnp}-${uuid()}`;
        const config = {
          metadata: { name, attempt: 2 },
          image: { image: env.critest.noNewPrivs },
          linux: { security_context: { no_new_privs: nnp, run_as_user: { value: 1000 } } },
          log_path: `${name}.log`,
        };
        const id = await env.run(pod, config);
        await env.waitState(id, "CONTAINER_EXITED");
        expect(parseLogLines(pod, `${name}.log`)).toContainEqual({ stream: "stdout", log: `Effective uid: ${nnp ? 1000 : 0}\n` });
        await env.cleanup(pod);
      });
    }
  });

});
