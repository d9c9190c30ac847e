"""Load for the steal tests: HTTP requests, each on a new connection, from several threads.

usage: net_in_load.py HOST PORT SECONDS THREADS

Prints one JSON line per request: {"start": epoch seconds, "outcome": "local" | "cluster" | "refused" |
"reset" | "timeout" | "error: …"}. "local" / "cluster" say who answered (the JSON "side" / "mode").
"""
import http.client
import json
import sys
import threading
import time

host, port, seconds, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
deadline = time.time() + seconds
lock = threading.Lock()


def one_request():
    start = time.time()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", "/load")
        body = json.loads(connection.getresponse().read())
        outcome = "local" if body.get("side") == "local" else "cluster" if body.get("mode") == "cluster" else "error: unknown answer"
    except ConnectionRefusedError:
        outcome = "refused"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        outcome = "reset"
    except TimeoutError:
        outcome = "timeout"
    except Exception as error:  # every other failure is reported, never hidden
        outcome = f"error: {type(error).__name__}: {error}"
    finally:
        connection.close()
    with lock:
        print(json.dumps({"start": start, "outcome": outcome}), flush=True)


def worker():
    count = 0
    while time.time() < deadline and count < 100_000:
        one_request()
        count += 1


workers = [threading.Thread(target=worker) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
