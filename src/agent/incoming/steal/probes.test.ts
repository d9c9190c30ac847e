import { describe, expect, test } from "bun:test";
import { isKubeProbe } from "./probes.ts";

const head = (text: string) => Buffer.from(text, "latin1");

describe("isKubeProbe", () => {
  test("a kubelet HTTP probe is recognised by its User-Agent, in any case", () => {
    expect(
      isKubeProbe(
        head("GET /healthz HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nUser-Agent: kube-probe/1.29\r\n\r\n"),
      ),
    ).toBe(true);
    expect(
      isKubeProbe(head("GET /ready HTTP/1.1\r\nuser-agent:kube-probe/1.30\r\nAccept: */*\r\n\r\n")),
    ).toBe(true);
  });

  test("other clients, other protocols and a kube-probe string outside the User-Agent are not probes", () => {
    expect(isKubeProbe(head("GET / HTTP/1.1\r\nUser-Agent: curl/8.0\r\n\r\n"))).toBe(false);
    expect(isKubeProbe(head("GET / HTTP/1.1\r\nX-Note: User-Agent: kube-probe/1\r\n\r\n"))).toBe(false);
    expect(isKubeProbe(head("GET / HTTP/1.1\r\n\r\nUser-Agent: kube-probe/1.29\r\n"))).toBe(false);
    expect(isKubeProbe(head("\u0016\u0003\u0001 TLS hello"))).toBe(false);
    expect(isKubeProbe(head(""))).toBe(false);
  });
});
