import { describe, expect, test } from "bun:test";
import { Code, RpcError as ConnectError } from "../../../src/server/rpc-error.ts";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  SyscallError,
  UnavailableError,
} from "../../../src/errors.ts";
import { toRpcError } from "../../../src/server/error-status.ts";

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

describe("toRpcError", () => {
  const cases: { desc: string; err: unknown; code: Code; message?: string }[] = [
    { desc: "NotFoundError becomes NotFound", err: new NotFoundError('container "3f2a" not found'), code: Code.NotFound },
    { desc: "AlreadyExistsError becomes AlreadyExists", err: new AlreadyExistsError("name taken"), code: Code.AlreadyExists },
    { desc: "InvalidArgumentError becomes InvalidArgument and names the field", err: new InvalidArgumentError("config.metadata.name", "is empty"), code: Code.InvalidArgument, message: "config.metadata.name: is empty" },
    { desc: "FailedPreconditionError becomes FailedPrecondition", err: new FailedPreconditionError("not ready"), code: Code.FailedPrecondition },
    { desc: "NotSupportedError becomes Unimplemented", err: new NotSupportedError("later"), code: Code.Unimplemented },
    { desc: "UnavailableError becomes Unavailable", err: new UnavailableError("starting"), code: Code.Unavailable },
    { desc: "DeadlineExceededError becomes DeadlineExceeded", err: new DeadlineExceededError("too slow"), code: Code.DeadlineExceeded },
    { desc: "ENOENT from node:fs becomes NotFound", err: errno("ENOENT"), code: Code.NotFound },
    { desc: "EEXIST becomes AlreadyExists", err: errno("EEXIST"), code: Code.AlreadyExists },
    { desc: "EPERM becomes PermissionDenied", err: errno("EPERM"), code: Code.PermissionDenied },
    { desc: "EACCES becomes PermissionDenied", err: errno("EACCES"), code: Code.PermissionDenied },
    { desc: "ENOSPC becomes ResourceExhausted", err: errno("ENOSPC"), code: Code.ResourceExhausted },
    { desc: "a SyscallError maps by its errno name", err: new SyscallError("mount", 1, "EPERM", "/x"), code: Code.PermissionDenied, message: 'mount "/x": EPERM' },
    { desc: "an unknown error becomes Internal", err: new Error("boom"), code: Code.Internal, message: "boom" },
    { desc: "a thrown string becomes Internal", err: "weird", code: Code.Internal, message: "weird" },
    {
      desc: "a wrapped domain error keeps its code and the context message",
      err: new Error('create netns for sandbox "abc"', { cause: new SyscallError("unshare", 1, "EPERM") }),
      code: Code.PermissionDenied,
      message: 'create netns for sandbox "abc": unshare: EPERM',
    },
    { desc: "a ConnectError passes through with its code", err: new ConnectError("x", Code.Aborted), code: Code.Aborted },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const ce = toRpcError(tc.err);
      expect(ce).toBeInstanceOf(ConnectError);
      expect(ce.code).toBe(tc.code);
      if (tc.message) expect(ce.rawMessage).toBe(tc.message);
    });
  }

  test("the original error is kept as the cause", () => {
    const original = new NotFoundError("gone");
    expect(toRpcError(original).cause).toBe(original);
  });
});
