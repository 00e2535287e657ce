import { afterEach, describe, expect, test } from "bun:test";
import { InvalidArgumentError, NotFoundError } from "../../../src/errors.ts";
import type { Store } from "../../../src/store/index.ts";
import { cleanup, container, sandbox, tempStore } from "./helpers.ts";

afterEach(cleanup);

const IDS = ["3f2a11", "3f2a22", "3f2b00", "ab", "abcdef", "9"];

type Case = { desc: string; prefix: string; want?: string; error?: [new (...a: never[]) => Error, string] };

const cases: Case[] = [
  { desc: "a full id resolves to itself", prefix: "3f2a11", want: "3f2a11" },
  { desc: "a unique prefix resolves to the one id it starts", prefix: "3f2b", want: "3f2b00" },
  { desc: "an exact id wins over a longer id it is a prefix of", prefix: "ab", want: "ab" },
  { desc: "a unique prefix of the longer id resolves", prefix: "abc", want: "abcdef" },
  { desc: "a prefix matching nothing is NotFound", prefix: "ff", error: [NotFoundError, '"ff" not found'] },
  { desc: "a longer string than any id is NotFound", prefix: "3f2a111", error: [NotFoundError, '"3f2a111" not found'] },
  {
    desc: "a prefix matching two ids is InvalidArgument listing them",
    prefix: "3f2a",
    error: [InvalidArgumentError, 'id prefix "3f2a" is ambiguous: it matches "3f2a11", "3f2a22"'],
  },
  {
    desc: "a prefix matching more than three ids says there are more",
    prefix: "3",
    error: [InvalidArgumentError, 'it matches "3f2a11", "3f2a22", "3f2b00" and more'],
  },
  { desc: "an empty prefix is InvalidArgument", prefix: "", error: [InvalidArgumentError, "id must not be empty"] },
];

// "3" matches only three ids above; add one more for the "and more" case.
const EXTRA = "3zzz";

function seed(store: Store): void {
  store.sandboxes.create(sandbox("owner"));
  for (const id of [...IDS, EXTRA]) {
    store.sandboxes.create(sandbox(id));
    store.containers.create(container(id, "owner", `c-${id}`));
  }
}

for (const kind of ["sandboxes", "containers"] as const) {
  describe(`${kind}.resolveId`, () => {
    for (const tc of cases) {
      test(tc.desc, () => {
        const store = tempStore();
        seed(store);
        const resolve = () => store[kind].resolveId(tc.prefix);
        if (tc.want !== undefined) {
          expect(resolve()).toBe(tc.want);
          return;
        }
        const [cls, msg] = tc.error!;
        expect(resolve).toThrow(cls);
        expect(resolve).toThrow(msg);
      });
    }

    test("the InvalidArgument names the request field", () => {
      const store = tempStore();
      seed(store);
      const field = kind === "sandboxes" ? "pod_sandbox_id" : "container_id";
      try {
        store[kind].resolveId("3f2a");
        throw new Error("no error");
      } catch (err) {
        expect((err as InvalidArgumentError).field).toBe(field);
        expect((err as Error).message.startsWith(`${field}: `)).toBe(true);
      }
    });
  });
}
