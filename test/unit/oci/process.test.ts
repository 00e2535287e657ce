import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { mergeEnv, resolveArgs } from "../../../src/oci/opts/process.ts";
import { containerInput, imageConfig } from "./fixtures.ts";

const enc = new TextEncoder();

describe("resolveArgs", () => {
  const cases: Array<{ desc: string; command: string[]; args: string[]; entrypoint?: string[]; cmd?: string[]; want: string[] }> = [
    { desc: "a command and args replace the image's entrypoint and cmd", command: ["/bin/app"], args: ["-v"], entrypoint: ["/ep"], cmd: ["c"], want: ["/bin/app", "-v"] },
    { desc: "a command alone drops the image's cmd", command: ["/bin/app"], args: [], entrypoint: ["/ep"], cmd: ["c"], want: ["/bin/app"] },
    { desc: "args alone follow the image's entrypoint, replacing its cmd", command: [], args: ["x", "y"], entrypoint: ["/ep"], cmd: ["c"], want: ["/ep", "x", "y"] },
    { desc: "with neither, the image's entrypoint and cmd are used", command: [], args: [], entrypoint: ["/ep", "-a"], cmd: ["c"], want: ["/ep", "-a", "c"] },
    { desc: "with neither and no entrypoint, the image's cmd is used", command: [], args: [], cmd: ["sh"], want: ["sh"] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(resolveArgs(tc.command, tc.args, tc.entrypoint, tc.cmd)).toEqual(tc.want);
    });
  }

  test("an empty result is refused, naming config.command", () => {
    expect(() => resolveArgs([], [], [], [])).toThrow(InvalidArgumentError);
    try {
      resolveArgs([], [], undefined, undefined);
    } catch (e) {
      expect((e as InvalidArgumentError).field).toBe("config.command");
    }
  });

  test("container specs refuse an image with no command when the config gives none", () => {
    const input = containerInput({}, { image: { name: "x", spec: imageConfig() } });
    expect(() => containerSpecOpts(input)).toThrow("config.command");
  });
});

describe("env", () => {
  const cases = [
    { desc: "later lists win, keeping the position of first appearance", lists: [["A=1", "B=2"], ["C=3", "A=9"]], want: ["A=9", "B=2", "C=3"] },
    { desc: "entries without a value are kept as given", lists: [["A"], ["B=1"]], want: ["A", "B=1"] },
    { desc: "values may contain '='", lists: [["A=x=y"], []], want: ["A=x=y"] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(mergeEnv(...tc.lists)).toEqual(tc.want));

  test("a container gets PATH from the base, then HOSTNAME, the image env, then the config envs", () => {
    const input = containerInput(
      { envs: [{ key: "B", value: enc.encode("config") }, { key: "C", value: enc.encode("3") }] },
      { image: { name: "x", spec: imageConfig({ cmd: ["sh"], env: ["PATH=/img/bin", "B=image"] }) } },
    );
    const spec = buildSpec(defaultLinuxSpec(), containerSpecOpts(input));
    expect(spec.process?.env).toEqual(["PATH=/img/bin", "HOSTNAME=web-host", "B=config", "C=3"]);
  });

  test("an env key containing '=' is refused, naming the field", () => {
    const input = containerInput({ envs: [{ key: "A=B", value: enc.encode("x") }] });
    expect(() => containerSpecOpts(input)).toThrow("config.envs[0].key");
  });
});

describe("cwd and terminal", () => {
  const cases = [
    { desc: "the config's working dir wins over the image's", config: "/cfg", image: "/img", want: "/cfg" },
    { desc: "the image's working dir is used when the config has none", config: "", image: "/img", want: "/img" },
    { desc: "the root is used when neither has one", config: "", image: undefined, want: "/" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const input = containerInput(
        { workingDir: tc.config },
        { image: { name: "x", spec: imageConfig({ cmd: ["sh"], workingDir: tc.image }) } },
      );
      expect(buildSpec(defaultLinuxSpec(), containerSpecOpts(input)).process?.cwd).toBe(tc.want);
    });
  }

  test("a relative working dir is refused", () => {
    expect(() => containerSpecOpts(containerInput({ workingDir: "rel" }))).toThrow("config.working_dir");
  });

  test("tty turns on the terminal", () => {
    expect(buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput({ tty: true }))).process?.terminal).toBe(true);
  });
});

describe("user", () => {
  const cases = [
    { desc: "run_as_user and run_as_group set the ids", sc: { runAsUser: { value: 1000n }, runAsGroup: { value: 2000n } }, imageUser: "5", want: { uid: 1000, gid: 2000, additionalGids: [2000] } },
    { desc: "a numeric image user with group is used when the config has none", sc: {}, imageUser: "7:8", want: { uid: 7, gid: 8, additionalGids: [8] } },
    { desc: "supplemental groups become additional gids, after the primary gid", sc: { runAsUser: { value: 1n }, supplementalGroups: [11n, 10n] }, imageUser: undefined, want: { uid: 1, gid: 0, additionalGids: [0, 10, 11] } },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const input = containerInput(
        { linux: { securityContext: tc.sc } },
        { image: { name: "x", spec: imageConfig({ cmd: ["sh"], user: tc.imageUser }) } },
      );
      expect(buildSpec(defaultLinuxSpec(), containerSpecOpts(input)).process?.user).toEqual(tc.want);
    });
  }

  test("a named image user must be resolved by the caller", () => {
    const input = containerInput({}, { image: { name: "x", spec: imageConfig({ cmd: ["sh"], user: "nobody" }) } });
    expect(() => containerSpecOpts(input)).toThrow("image.config.user");
    const resolved = containerInput({}, { image: input.image, user: { uid: 65534, gid: 65534 } });
    expect(buildSpec(defaultLinuxSpec(), containerSpecOpts(resolved)).process?.user).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534] });
  });
});
