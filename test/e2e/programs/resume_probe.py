"""Holds one outgoing TCP connection (to an echo service) and one remote file open across steps the
test paces through stdin, so it can drop the agent's port-forward in between and in mid-transfer.

Usage: resume_probe.py HOST PORT FILE
Prints `connected`, `step 1`, `streaming`, `step 2`, then `file-sha256 <hex>`, `echoed <bytes>`, `done`;
waits for one stdin line after `connected`, `step 1` and `step 2`. Exits 2 when an echo differs.
"""
import hashlib
import os
import socket
import sys
import threading


def say(line):
    print(line, flush=True)


def wait_for_go():
    if not sys.stdin.readline():
        sys.exit("stdin closed before the test said go")


def echo(sock, data):
    """Sends `data` while reading the echo back; exits 2 unless it comes back byte for byte."""
    sender = threading.Thread(target=sock.sendall, args=(data,))
    sender.start()
    received = bytearray()
    while len(received) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit(f"echo connection closed after {len(received)} of {len(data)} bytes")
        received += chunk
    sender.join()
    if bytes(received) != data:
        print(f"echo differs: sha256 sent {hashlib.sha256(data).hexdigest()} "
              f"got {hashlib.sha256(received).hexdigest()}", file=sys.stderr)
        sys.exit(2)
    return len(data)


def read_exactly(fd, size):
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(65536, size - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.create_connection((host, port), timeout=60)
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    third = size // 3
    file_hash = hashlib.sha256()
    say("connected")
    wait_for_go()
    echoed = echo(sock, os.urandom(256 * 1024))
    file_hash.update(read_exactly(fd, third))
    say("step 1")
    wait_for_go()
    say("streaming")
    echoed += echo(sock, os.urandom(16 * 1024 * 1024))
    file_hash.update(read_exactly(fd, third))
    say("step 2")
    wait_for_go()
    file_hash.update(read_exactly(fd, size))
    echoed += echo(sock, os.urandom(64 * 1024))
    os.close(fd)
    sock.close()
    say(f"file-sha256 {file_hash.hexdigest()}")
    say(f"echoed {echoed}")
    say("done")


if __name__ == "__main__":
    main()
