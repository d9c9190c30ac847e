"""A local server for the incoming tests, run under mirrord.

usage: net_in_server.py http|tcp PORT [HOST]

http: answers every request with JSON {side, path, peer (accept's address), peername, sockname, body_bytes}.
tcp:  answers each connection's bytes with b"local:" + the bytes, per read, until the client finishes.
Prints "listening <real port>" once listen() returned (the port is subscribed by then), and
"request <method> <path> <body bytes>" for every HTTP request it reads.
"""
import json
import socket
import sys
import threading

mode, port = sys.argv[1], int(sys.argv[2])
host = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"


def serve_http(conn, peer):
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
            length = int(headers.get("content-length", "0"))
            while len(buffer) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            body, buffer = buffer[:length], buffer[length:]
            print("request", method, path, len(body), flush=True)
            reply = json.dumps({
                "side": "local",
                "method": method,
                "path": path,
                "peer": list(peer[:2]),
                "peername": list(conn.getpeername()[:2]),
                "sockname": list(conn.getsockname()[:2]),
                "body_bytes": len(body),
            }).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply))


def serve_tcp(conn, peer):
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            conn.sendall(b"local:" + chunk)


family = socket.AF_INET6 if ":" in host else socket.AF_INET
server = socket.socket(family, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(128)
print("listening", server.getsockname()[1], flush=True)
handler = serve_http if mode == "http" else serve_tcp
while True:
    conn, peer = server.accept()
    threading.Thread(target=handler, args=(conn, peer), daemon=True).start()
