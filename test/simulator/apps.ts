/** argv of the sample apps in ./apps, as seen from inside a pod (they are mounted read-only there). */
import { APPS_MOUNT } from "./rootfs.ts";

const python = (script: string, ...args: string[]): string[] => [
  "python3",
  `${APPS_MOUNT}/${script}`,
  ...args,
];

export const sampleApps = {
  /** HTTP/1.1 server replying JSON {hostname, mode: $APP_MODE, method, path, headers, body}. */
  httpEcho: (port: number): string[] => python("http_echo.py", String(port)),
  /** TCP server echoing bytes back. */
  tcpEcho: (port: number): string[] => python("tcp_echo.py", String(port)),
  /** UDP server answering each datagram to its sender with "echo:" + the datagram. */
  udpEcho: (port: number): string[] => python("udp_echo.py", String(port)),
  /** Unix stream server at `path` echoing bytes back. */
  unixEcho: (path: string): string[] => python("unix_echo.py", path),
};
