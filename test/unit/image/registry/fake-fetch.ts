/** A fake `fetch` for registry client unit tests: a handler per request and a call log. */
import type { FetchFn } from "../../../../src/image/registry/authorizer.ts";

export type FakeCall = {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
};

export function fakeFetch(handler: (call: FakeCall) => Response | Promise<Response>): { fetch: FetchFn; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const fetch: FetchFn = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init.body === undefined || init.body === null
      ? undefined
      : typeof init.body === "string"
        ? init.body
        : new TextDecoder().decode(init.body as Uint8Array);
    const call = { url: new URL(url), method: init.method ?? "GET", headers, body };
    calls.push(call);
    return handler(call);
  };
  return { fetch, calls };
}

/** A body that sends `bytes` and then fails as a reset connection does. */
export function breakingBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
        return;
      }
      controller.error(Object.assign(new Error("socket closed"), { code: "ECONNRESET" }));
    },
  });
}

export const noSleep = { sleep: async () => {} };
