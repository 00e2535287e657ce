import { describe, expect, test } from "bun:test";
import { negotiate, parseUpgradeResponse, spdyNegotiationFailedResponse, spdyUpgradeRequest, spdyUpgradeResponse, splitHttpHead } from "../../../../src/streaming/spdy/upgrade.ts";

describe("the SPDY upgrade", () => {
  test("the client request names SPDY/3.1 and each subprotocol on its own header line, in order", () => {
    const req = spdyUpgradeRequest({ path: "/exec/abc?x=1", host: "127.0.0.1:1234", protocols: ["v4.channel.k8s.io", "v3.channel.k8s.io"] });
    expect(req).toBe(
      "POST /exec/abc?x=1 HTTP/1.1\r\nHost: 127.0.0.1:1234\r\n" +
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: v3.channel.k8s.io\r\n" +
        "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n\r\n",
    );
  });

  test("a GET request has no Content-Length and carries extra headers", () => {
    const req = spdyUpgradeRequest({ method: "GET", path: "/portforward/t", host: "h", protocols: ["portforward.k8s.io"], headers: { "User-Agent": "skiff" } });
    expect(req).toBe("GET /portforward/t HTTP/1.1\r\nHost: h\r\nUser-Agent: skiff\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
  });

  test("line breaks cannot be smuggled into the request", () => {
    expect(() => spdyUpgradeRequest({ path: "/x\r\nEvil: 1", host: "h", protocols: [] })).toThrow(/line break/);
  });

  const cases: { desc: string; offered: string[]; supported: string[]; want: string | undefined }[] = [
    { desc: "the client's first supported choice wins", offered: ["v5.channel.k8s.io", "v4.channel.k8s.io"], supported: ["v4.channel.k8s.io", "v5.channel.k8s.io"], want: "v5.channel.k8s.io" },
    { desc: "unsupported offers are skipped", offered: ["v9", "v4.channel.k8s.io"], supported: ["v4.channel.k8s.io"], want: "v4.channel.k8s.io" },
    { desc: "comma-separated values count as several offers", offered: ["v9, v3.channel.k8s.io"], supported: ["v3.channel.k8s.io"], want: "v3.channel.k8s.io" },
    { desc: "nothing in common gives undefined", offered: ["v1"], supported: ["v4.channel.k8s.io"], want: undefined },
    { desc: "no offers gives undefined", offered: [], supported: ["v4.channel.k8s.io"], want: undefined },
  ];
  for (const tc of cases) test(`negotiate: ${tc.desc}`, () => expect(negotiate(tc.offered, tc.supported)).toBe(tc.want));

  test("the server's 101 names SPDY/3.1 and the chosen subprotocol, and the client accepts it", () => {
    const res = spdyUpgradeResponse("portforward.k8s.io");
    expect(res).toBe("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n");
    const split = splitHttpHead(Buffer.concat([Buffer.from(res), Buffer.from([0x80, 0x03])]));
    expect([...(split?.rest ?? [])]).toEqual([0x80, 0x03]);
    const parsed = parseUpgradeResponse(split?.head ?? "");
    expect(parsed).toMatchObject({ status: 101, upgraded: true, protocol: "portforward.k8s.io" });
  });

  test("a 403 lists what the server accepts and is not an upgrade", () => {
    const res = spdyNegotiationFailedResponse(["v4.channel.k8s.io"], "unable to negotiate protocol");
    const split = splitHttpHead(Buffer.from(res));
    const parsed = parseUpgradeResponse(split?.head ?? "");
    expect(parsed.upgraded).toBe(false);
    expect(parsed.status).toBe(403);
    expect(parsed.headers.get("x-accepted-stream-protocol-versions")).toEqual(["v4.channel.k8s.io"]);
    expect(Buffer.from(split?.rest ?? []).toString()).toBe("unable to negotiate protocol\n");
  });

  test("a head is not split until its blank line has arrived", () => {
    expect(splitHttpHead(Buffer.from("HTTP/1.1 101 Switching Protocols\r\n"))).toBeUndefined();
  });

  test("a 101 without the upgrade headers is not accepted, as client-go would not", () => {
    expect(parseUpgradeResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade").upgraded).toBe(false);
  });
});
