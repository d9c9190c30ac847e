import { describe, expect, test } from "bun:test";
import { MappingError, parseForwardMapping, parseMappings, parseReverseMapping } from "./mappings.ts";

describe("-L [local_port:]remote_host:remote_port", () => {
  test.each([
    ["8080:db.prod.svc:5432", { localPort: 8080, remoteHost: "db.prod.svc", remotePort: 5432 }],
    ["db:5432", { localPort: 5432, remoteHost: "db", remotePort: 5432 }],
    ["9000:10.0.3.7:80", { localPort: 9000, remoteHost: "10.0.3.7", remotePort: 80 }],
    ["10.0.3.7:80", { localPort: 80, remoteHost: "10.0.3.7", remotePort: 80 }],
  ])("%s", (argument, expected) => {
    expect(parseForwardMapping(argument)).toEqual(expected);
  });

  test.each([
    ["db", "Invalid format of argument `db`, expected `[local-port:]remote-ipv4-or-hostname:remote-port`"],
    [
      "1:2:db:3",
      "Invalid format of argument `1:2:db:3`, expected `[local-port:]remote-ipv4-or-hostname:remote-port`",
    ],
    [
      "8080::80",
      "Invalid format of argument `8080::80`, expected `[local-port:]remote-ipv4-or-hostname:remote-port`",
    ],
    ["db:http", "Failed to parse port `http` in argument `db:http`"],
    ["x:db:80", "Failed to parse port `x` in argument `x:db:80`"],
    ["db:70000", "Failed to parse port `70000` in argument `db:70000`"],
    ["0:db:80", "Port `0` is not allowed in argument `0:db:80`"],
    ["db:0", "Port `0` is not allowed in argument `db:0`"],
  ])("rejects %s", (argument, message) => {
    expect(() => parseForwardMapping(argument)).toThrow(new MappingError(message));
  });
});

describe("-R [remote_port:]local_port", () => {
  test("the local port defaults to the remote one", () => {
    expect(parseReverseMapping("8080")).toEqual({ remotePort: 8080, localPort: 8080 });
    expect(parseReverseMapping("80:3000")).toEqual({ remotePort: 80, localPort: 3000 });
  });

  test("rejects more than two ports and port 0", () => {
    expect(() => parseReverseMapping("1:2:3")).toThrow("expected `[remote-port:]local-port`");
    expect(() => parseReverseMapping("80:0")).toThrow("Port `0` is not allowed in argument `80:0`");
  });
});

describe("several mappings", () => {
  test("one local port per -L and one remote port per -R", () => {
    expect(() => parseMappings(["5432:a:1", "5432:b:2"], [])).toThrow(
      "Local port `5432` is used by more than one -L mapping",
    );
    expect(() => parseMappings([], ["80:3000", "80:3001"])).toThrow(
      "Remote port `80` is used by more than one -R mapping",
    );
    expect(parseMappings(["a:1", "b:2"], ["80"]).forward.map((m) => m.localPort)).toEqual([1, 2]);
  });
});
