/** Python clients the traffic e2e tests run inside a client namespace (`python3 -c <source> args…`). */

/**
 * Opens `count` connections at once to ip:port; each sends `size` bytes of its own (seeded) data in
 * uneven chunks while reading the echo, then shuts down writing. Reports per source port what it sent.
 */
export const CONCURRENT_SENDERS = `
import hashlib, json, random, socket, sys, threading
ip, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = [socket.create_connection((ip, port), timeout=60) for _ in range(count)]
ports = [s.getsockname()[1] for s in socks]
results = [None] * count
def run(i):
    s, data, echoed = socks[i], random.Random(i).randbytes(size), bytearray()
    def read():
        while True:
            b = s.recv(65536)
            if not b: return
            echoed.extend(b)
    reader = threading.Thread(target=read); reader.start()
    rng, at = random.Random(1000 + i), 0
    while at < len(data):
        step = rng.randint(1, 40000)
        s.sendall(data[at:at + step]); at += step
    s.shutdown(socket.SHUT_WR); reader.join(); s.close()
    results[i] = {"port": ports[i], "sha256": hashlib.sha256(data).hexdigest(), "echoed": bytes(echoed) == data}
threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(results))
`;
