import { describe, expect, test } from "bun:test";
import { classify } from "./detect.ts";

const bytes = (text: string) => Buffer.from(text, "latin1");

describe("classify", () => {
  test("an HTTP/1.x request line is HTTP/1, whatever the method token", () => {
    expect(classify(bytes("GET / HTTP/1.1\r\nHost: x\r\n"))).toBe("http1");
    expect(classify(bytes("PROPFIND  /dav   HTTP/1.0\r\n"))).toBe("http1");
    expect(classify(bytes("GET http://svc:80/x?y=1 HTTP/1.1\n"))).toBe("http1");
  });

  test("the HTTP/2 preface is HTTP/2 once complete", () => {
    expect(classify(bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))).toBe("h2");
    expect(classify(bytes("PRI * HTTP/2.0\r\n\r\nS"))).toBeUndefined();
  });

  test("a partial request line waits for more bytes", () => {
    expect(classify(bytes(""))).toBeUndefined();
    expect(classify(bytes("GE"))).toBeUndefined();
    expect(classify(bytes("POST /upload HTT"))).toBeUndefined();
  });

  test("anything else is TCP as soon as it cannot be HTTP", () => {
    expect(classify(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe("tcp"); // TLS ClientHello
    expect(classify(bytes("SSH-2.0-OpenSSH_9.2\r\n"))).toBe("tcp");
    expect(classify(bytes("GET / HTTP/2.0\r\n"))).toBe("tcp");
    expect(classify(bytes("GET /\r\n"))).toBe("tcp"); // HTTP/0.9 is not served
    expect(classify(bytes("*1\r\n$4\r\nPING\r\n"))).toBe("tcp"); // Redis
    expect(classify(bytes(`GET /${"a".repeat(20_000)}`))).toBe("tcp");
  });
});
