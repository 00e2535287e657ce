/** execSelf for real: a Bun process starts itself over with more environment, keeping its pid and arguments. */
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO } from "../harness.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-exec-self-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Run 1 says its pid and starts over; run 2 (with the variable) says its pid, arguments and the variable.
const script = path.join(dir, "again.ts");
fs.writeFileSync(
  script,
  `import { execSelf } from ${JSON.stringify(path.join(REPO, "src/platform/linux/exec-self.ts"))};
if (process.env.SKIFF_EXEC_SELF_TEST === undefined) {
  console.log("first " + process.pid);
  const err = execSelf({ SKIFF_EXEC_SELF_TEST: "yes, again" });
  console.log("failed " + err.message);
} else {
  console.log("second " + process.pid + " " + JSON.stringify(process.argv.slice(2)) + " " + process.env.SKIFF_EXEC_SELF_TEST + " " + process.env.KEPT);
}
`,
);

test.skipIf(process.platform !== "linux")("the process starts over with the same pid, arguments and environment, plus the variables", async () => {
  const proc = Bun.spawn([process.execPath, script, "a b", "--flag"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, KEPT: "kept" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(out.trim().split("\n")).toEqual([`first ${proc.pid}`, `second ${proc.pid} ["a b","--flag"] yes, again kept`]);
});
