"""The demo's "developer's program".

look:       prints what it sees of the world it runs in: hostname, env, a pod file, cluster names and a
            cluster-only HTTP service.
serve PORT: answers HTTP on PORT ("answered by the laptop") and prints each request it receives.
"""
import http.client
import http.server
import json
import os
import socket
import sys

SERVICE = "orders"
SERVICE_PORT = 8080


def look():
    print(f"  hostname                  : {socket.gethostname()}")
    for name in ("APP_MODE", "DATABASE_URL", "HOME"):
        print(f"  ${name:<24}: {os.environ.get(name, '(not set)')}")
    try:
        with open("/app/config.yaml") as config:
            print(f"  file /app/config.yaml     : {config.read().strip()}")
    except OSError as error:
        print(f"  file /app/config.yaml     : cannot read ({error.strerror})")
    for host in (SERVICE, f"{SERVICE}.default.svc.cluster.local"):
        try:
            address = socket.getaddrinfo(host, SERVICE_PORT, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
            print(f"  resolve {host}: {address}")
        except socket.gaierror as error:
            print(f"  resolve {host}: fails ({error.strerror})")
    url = f"http://{SERVICE}:{SERVICE_PORT}/api/orders"
    try:
        connection = http.client.HTTPConnection(SERVICE, SERVICE_PORT, timeout=5)
        connection.request("GET", "/api/orders")
        response = connection.getresponse()
        answer = json.loads(response.read())
        print(f"  GET {url}: {response.status}, answered by {answer['hostname']}")
    except (OSError, ValueError) as error:
        print(f"  GET {url}: fails ({error})")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print(f"  [laptop program] received GET {self.path}", flush=True)
        body = b"answered by the laptop\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(port):
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print("  [laptop program] listening", flush=True)
    server.serve_forever()


if sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]))
else:
    look()
