import { describe, expect, test } from "bun:test";
import { LiveDisplay, fit } from "../../../src/cli/live-display.ts";

describe("LiveDisplay", () => {
  test("the first draw writes the lines, each cleared first", () => {
    const out: string[] = [];
    new LiveDisplay((s) => out.push(s)).draw(["a", "b"]);
    expect(out).toEqual(["\x1b[2Ka\n\x1b[2Kb\n"]);
  });
  test("a redraw climbs over the previous lines and erases what is left below", () => {
    const out: string[] = [];
    const d = new LiveDisplay((s) => out.push(s));
    d.draw(["a", "b", "c"]);
    d.draw(["x"]);
    expect(out[1]).toBe("\x1b[3A\r\x1b[2Kx\n\x1b[J");
  });
  test("lines are cut to the terminal width so none wraps", () => {
    const out: string[] = [];
    new LiveDisplay((s) => out.push(s), () => 6).draw(["abcdefgh"]);
    expect(out[0]).toBe("\x1b[2Kabcd…\n");
  });
  test("fit leaves a short line alone", () => expect(fit("abc", 10)).toBe("abc"));
});
