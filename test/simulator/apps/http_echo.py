"""Sample pod app: an HTTP server answering every request with JSON describing it and the pod.

Usage: http_echo.py PORT. The reply names the pod (hostname) so a test can tell which side answered.
"""
import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        payload = {
            "app": "http-echo",
            "hostname": socket.gethostname(),
            "mode": os.environ.get("APP_MODE", ""),
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body,
        }
        data = (json.dumps(payload) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _reply

    def log_message(self, format, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), format % args))
        sys.stdout.flush()


def main():
    port = int(sys.argv[1])
    ThreadingHTTPServer.allow_reuse_address = True
    # A real app listens with a deep backlog (Node 511, Go SOMAXCONN); socketserver's default of 5 drops
    # SYNs when a burst of connections meets a busy machine, and the client then waits out 1 s + 2 s retries.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("0.0.0.0", port), EchoHandler)
    print("http-echo listening on %d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
