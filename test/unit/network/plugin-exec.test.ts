import { afterAll, describe, expect, test } from "bun:test";
import { DeadlineExceededError, NotFoundError } from "../../../src/errors.ts";
import { CniPluginError, invokePlugin, pluginFailure } from "../../../src/network/plugin-exec.ts";
import type { InvocationArgs } from "../../../src/network/plugin-input.ts";
import { ipResult, makeFakeBin } from "./fake-plugins.ts";

describe("pluginFailure", () => {
  const cases = [
    {
      desc: "an error object gives code, msg and details in the message",
      stdout: '{"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"no bridge"}',
      want: 'plugin "bridge" of network "n" failed on ADD (code 7): invalid config: no bridge',
      code: 7,
    },
    {
      desc: "an error object without details reads cleanly",
      stdout: '{"code":11,"msg":"try again later"}',
      want: 'plugin "bridge" of network "n" failed on ADD (code 11): try again later',
      code: 11,
    },
    {
      desc: "output that is not an error object falls back to stderr and the exit status",
      stdout: "panic!",
      want: 'plugin "bridge" of network "n" failed on ADD: exit status 2: boom on stderr',
      code: undefined,
    },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const e = pluginFailure("bridge", "n", "ADD", 2, tc.stdout, "boom on stderr\n");
      expect(e).toBeInstanceOf(CniPluginError);
      expect(e.message).toBe(tc.want);
      expect(e.code).toBe(tc.code);
    });
  }
});

describe("invokePlugin", () => {
  const fb = makeFakeBin();
  afterAll(() => fb.cleanup());
  const inv = (command: InvocationArgs["command"], binDirs = [fb.binDir]): InvocationArgs => ({ command, containerId: "c1", netns: "/x", ifName: "eth0", args: "", binDirs });

  test("an ADD returns the parsed result", async () => {
    fb.plugin("ok", { result: ipResult("1.0.0", "10.9.0.2/24") });
    const r = await invokePlugin({ type: "ok", network: "n", stdin: { a: 1 }, inv: inv("ADD") });
    expect(r?.ips?.[0]?.address).toBe("10.9.0.2/24");
    expect(fb.calls().at(-1)?.stdin).toEqual({ a: 1 });
  });

  test("the observer hears the plugin, the command and how long it ran", async () => {
    fb.plugin("ok", { result: ipResult("1.0.0", "10.9.0.2/24") });
    const heard: [string, string, number][] = [];
    await invokePlugin({ type: "ok", network: "n", stdin: {}, inv: inv("ADD"), observe: (p, c, s) => heard.push([p, c, s]) });
    expect(heard).toHaveLength(1);
    expect(heard[0]!.slice(0, 2)).toEqual(["cni:ok", "ADD"]);
    expect(heard[0]![2]).toBeGreaterThan(0);
    expect(heard[0]![2]).toBeLessThan(60);
  });

  test("the first bin dir that has the plugin wins", async () => {
    fb.plugin("ok", { result: ipResult("1.0.0", "10.9.0.2/24") });
    const r = await invokePlugin({ type: "ok", network: "n", stdin: {}, inv: inv("ADD", ["/nonexistent-dir", fb.binDir]) });
    expect(r?.cniVersion).toBe("1.0.0");
  });

  test("a DEL that prints nothing succeeds with no result", async () => {
    fb.plugin("quiet", {});
    expect(await invokePlugin({ type: "quiet", network: "n", stdin: {}, inv: inv("DEL") })).toBeUndefined();
  });

  test("an ADD that prints nothing is an error", async () => {
    fb.plugin("quiet", {});
    await expect(invokePlugin({ type: "quiet", network: "n", stdin: {}, inv: inv("ADD") })).rejects.toThrow('plugin "quiet" of network "n" on ADD');
  });

  test("a failing plugin gives a CniPluginError", async () => {
    fb.plugin("bad", { error: { code: 4, msg: "not there" } });
    const p = invokePlugin({ type: "bad", network: "n", stdin: {}, inv: inv("ADD") });
    await expect(p).rejects.toBeInstanceOf(CniPluginError);
    await expect(p).rejects.toThrow('plugin "bad" of network "n" failed on ADD (code 4): not there');
  });

  test("a missing plugin is NotFound and names the bin dirs", async () => {
    const p = invokePlugin({ type: "absent", network: "n", stdin: {}, inv: inv("ADD") });
    await expect(p).rejects.toBeInstanceOf(NotFoundError);
    await expect(p).rejects.toThrow(`cni plugin "absent" of network "n" not found in "${fb.binDir}"`);
  });

  test("a plugin that hangs is killed at the deadline", async () => {
    fb.plugin("hang", { sleep: 30 });
    const t0 = Date.now();
    let err: unknown;
    try {
      await invokePlugin({ type: "hang", network: "n", stdin: {}, inv: inv("ADD"), timeoutMs: 300 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect((err as Error).message).toContain("timed out on ADD after 300 ms");
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
