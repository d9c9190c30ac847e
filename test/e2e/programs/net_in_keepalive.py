"""One keep-alive HTTP connection across a steal starting (agent.flush_connections test).

usage: net_in_keepalive.py HOST PORT GO_FILE

Sends a request, prints `first=<who answered>`, waits (bounded) until GO_FILE exists, sends a second request on
the same connection and prints who answered or how it failed; then one on a new connection.
"""
import http.client
import json
import os
import sys
import time

host, port, go_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def ask(connection):
    try:
        connection.request("GET", "/keepalive")
        body = json.loads(connection.getresponse().read())
        return "local" if body.get("side") == "local" else "cluster"
    except Exception as error:  # the failure itself is the answer
        return f"failed: {type(error).__name__}"


kept = http.client.HTTPConnection(host, port, timeout=10)
print("first=" + ask(kept), flush=True)
deadline = time.time() + 30
while not os.path.exists(go_file) and time.time() < deadline:
    time.sleep(0.05)
print("same connection=" + ask(kept), flush=True)
print("new connection=" + ask(http.client.HTTPConnection(host, port, timeout=10)), flush=True)
