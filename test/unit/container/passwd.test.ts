import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { LinuxContainerSecurityContextSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { parseGroup, parsePasswd, resolveUser } from "../../../src/container/passwd.ts";

const files = {
  passwd: parsePasswd("root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\nwww:x:33:33::/var/www:/bin/false\nnobody:x:65534:65534::/:/bin/false\n"),
  group: parseGroup("root:x:0:\nwww:x:33:\nweb:x:500:www,other\nadm:x:4:www\nbad:x:zz:\n"),
};
const sc = (o: object) => create(LinuxContainerSecurityContextSchema, o as never);

describe("resolveUser", () => {
  const cases = [
    { desc: "no user at all is root with root's group", sc: undefined, image: undefined, want: { uid: 0, gid: 0 } },
    { desc: "an image user name becomes its uid, gid and member groups", sc: undefined, image: "www", want: { uid: 33, gid: 33, additionalGids: [500, 4] } },
    { desc: "an image user:group by name takes the group's gid", sc: undefined, image: "www:web", want: { uid: 33, gid: 500, additionalGids: [4] } },
    { desc: "a numeric image uid takes the passwd entry's gid", sc: undefined, image: "65534", want: { uid: 65534, gid: 65534 } },
    { desc: "a numeric uid not in passwd gets gid 0", sc: undefined, image: "1234", want: { uid: 1234, gid: 0 } },
    { desc: "run_as_user beats the image user", sc: sc({ runAsUser: { value: 33n } }), image: "nobody", want: { uid: 33, gid: 33, additionalGids: [500, 4] } },
    { desc: "run_as_group beats the passwd gid", sc: sc({ runAsUser: { value: 33n }, runAsGroup: { value: 7n } }), image: undefined, want: { uid: 33, gid: 7, additionalGids: [500, 4] } },
    { desc: "run_as_username is looked up", sc: sc({ runAsUsername: "nobody" }), image: undefined, want: { uid: 65534, gid: 65534 } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(resolveUser(tc.sc, tc.image, files)).toEqual(tc.want));

  const bad = [
    { desc: "an unknown image user name is refused naming the image field", sc: undefined, image: "ghost", field: "image.config.user" },
    { desc: "an unknown run_as_username is refused naming it", sc: sc({ runAsUsername: "ghost" }), image: undefined, field: "config.linux.security_context.run_as_username" },
    { desc: "an unknown group name is refused", sc: undefined, image: "www:ghosts", field: "image.config.user" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      try {
        resolveUser(tc.sc, tc.image, files);
        throw new Error("no error");
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).field).toBe(tc.field);
      }
    });
  }
  test("malformed passwd and group lines are skipped", () => {
    expect(files.passwd.map((e) => e.name)).toEqual(["root", "www", "nobody"]);
    expect(files.group.map((g) => g.name)).toEqual(["root", "www", "web", "adm"]);
  });
});
