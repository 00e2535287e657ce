/**
 * A small HTTP proxy on 127.0.0.1 in front of a test registry, with a hook that can
 * misbehave on chosen requests: cut a body short, stall it, or answer 503. Tests use
 * it to check resume, progress timeout and retries against the real registry.
 */

export type Forward = (req: Request) => Promise<Response>;
export type ProxyHook = (req: Request, forward: Forward) => Promise<Response> | Response;

export type TestProxy = {
  url: string;
  host: string;
  /** Every request seen: method, path and the headers the tests look at. */
  requests: Array<{ method: string; path: string; range: string | null; authorization: boolean }>;
  stop(): void;
};

export function startProxy(upstream: string, hook?: ProxyHook): TestProxy {
  const requests: TestProxy["requests"] = [];
  const forward: Forward = async (req) => {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const res = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      ...(body !== undefined && { body }),
      redirect: "manual",
      decompress: false,
    });
    // Upload locations point at the upstream: point them back at us.
    const out = new Headers(res.headers);
    const location = out.get("location");
    if (location?.startsWith(upstream)) out.set("location", location.slice(upstream.length));
    return new Response(req.method === "HEAD" ? null : res.body, { status: res.status, headers: out });
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(req) {
      const url = new URL(req.url);
      requests.push({
        method: req.method,
        path: url.pathname,
        range: req.headers.get("range"),
        authorization: req.headers.has("authorization"),
      });
      return hook ? hook(req, forward) : forward(req);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    requests,
    stop: () => void server.stop(true),
  };
}

/** A body that yields the first `n` bytes of `res` and then breaks the connection. */
export async function cutAfter(res: Response, n: number): Promise<Response> {
  const all = new Uint8Array(await res.arrayBuffer());
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      controller.enqueue(all.subarray(0, n));
      await Bun.sleep(20);
      controller.close(); // shorter than Content-Length: the connection ends early
    },
  });
  const headers = new Headers(res.headers);
  headers.set("content-length", String(all.byteLength));
  return new Response(stream, { status: res.status, headers });
}

/** A body that yields the first `n` bytes and then nothing, until the client gives up. */
export async function stallAfter(res: Response, n: number): Promise<Response> {
  const all = new Uint8Array(await res.arrayBuffer());
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(all.subarray(0, n));
        return;
      }
      await new Promise(() => {}); // never
    },
  });
  const headers = new Headers(res.headers);
  headers.set("content-length", String(all.byteLength));
  return new Response(stream, { status: res.status, headers });
}
