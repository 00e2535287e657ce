export { FAKE_STATFS, FakePlatform } from "./fake-platform.ts";
export type { FakeCall, FakeCallArgs, FakePin, FakePlatformOptions, InjectOptions } from "./fake-platform.ts";
