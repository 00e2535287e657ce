import { describe, expect, test } from "bun:test";
import { isNetworkConfigFile, NetworkConfigError, parseNetworkConfig } from "../../../src/network/network-config.ts";

describe("parseNetworkConfig", () => {
  test("a conflist keeps its plugins in order and reads disableCheck", () => {
    const net = parseNetworkConfig(
      JSON.stringify({ cniVersion: "1.0.0", name: "n1", disableCheck: true, plugins: [{ type: "bridge", x: 1 }, { type: "portmap", capabilities: { portMappings: true } }] }),
      "10-n1.conflist",
    );
    expect(net).toEqual({
      cniVersion: "1.0.0",
      name: "n1",
      disableCheck: true,
      plugins: [{ type: "bridge", x: 1 }, { type: "portmap", capabilities: { portMappings: true } }],
      source: "10-n1.conflist",
    });
  });

  test("a single-plugin .conf becomes a list of one without the list-level keys", () => {
    const net = parseNetworkConfig(JSON.stringify({ cniVersion: "0.4.0", name: "old", type: "bridge", bridge: "br9" }), "5-old.conf");
    expect(net.plugins).toEqual([{ type: "bridge", bridge: "br9" }]);
    expect(net.cniVersion).toBe("0.4.0");
    expect(net.disableCheck).toBe(false);
  });

  const bad = [
    { desc: "text that is not json is refused", text: "{nope", file: "a.conflist", want: "invalid json" },
    { desc: "a json array is refused", text: "[]", file: "a.conflist", want: "not a json object" },
    { desc: "a missing name is refused", text: JSON.stringify({ cniVersion: "1.0.0", plugins: [{ type: "x" }] }), file: "a.conflist", want: "network name" },
    { desc: "a name with a slash is refused", text: JSON.stringify({ name: "a/b", cniVersion: "1.0.0", plugins: [{ type: "x" }] }), file: "a.conflist", want: "network name" },
    { desc: "a missing cniVersion is refused", text: JSON.stringify({ name: "a", plugins: [{ type: "x" }] }), file: "a.conflist", want: "cniVersion" },
    { desc: "an unknown cniVersion is refused", text: JSON.stringify({ name: "a", cniVersion: "9.9.9", plugins: [{ type: "x" }] }), file: "a.conflist", want: "cniVersion \"9.9.9\"" },
    { desc: "a conflist without plugins is refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0" }), file: "a.conflist", want: "has no plugins" },
    { desc: "a conflist with an empty plugin list is refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0", plugins: [] }), file: "a.conflist", want: "has no plugins" },
    { desc: "a plugin without a type is refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0", plugins: [{ type: "x" }, {}] }), file: "a.conflist", want: "plugins[1]" },
    { desc: "a plugin type that is a path is refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0", plugins: [{ type: "../../bin/sh" }] }), file: "a.conflist", want: "must be a plain name" },
    { desc: "a single .conf without a type is refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0" }), file: "a.conf", want: "no \"type\"" },
    { desc: "capabilities that are not an object are refused", text: JSON.stringify({ name: "a", cniVersion: "1.0.0", plugins: [{ type: "p", capabilities: true }] }), file: "a.conflist", want: "capabilities" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      expect(() => parseNetworkConfig(tc.text, tc.file)).toThrow(NetworkConfigError);
      expect(() => parseNetworkConfig(tc.text, tc.file)).toThrow(tc.want);
    });
  }
});

describe("isNetworkConfigFile", () => {
  const cases = [
    { desc: "a .conflist is a config", name: "10-a.conflist", want: true },
    { desc: "a .conf is a config", name: "10-a.conf", want: true },
    { desc: "a .json is a config", name: "a.json", want: true },
    { desc: "a dotfile (our temp files) is not", name: ".10-a.conflist", want: false },
    { desc: "a backup file is not", name: "10-a.conflist.bak", want: false },
  ];
  for (const tc of cases) test(tc.desc, () => expect(isNetworkConfigFile(tc.name)).toBe(tc.want));
});
