"""Sample pod app: a TCP server echoing every byte back, each connection in its own thread.

Usage: tcp_echo.py PORT
"""
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


def main():
    port = int(sys.argv[1])
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    socketserver.ThreadingTCPServer.request_queue_size = 128  # as deep as a real app's (see http_echo.py)
    with socketserver.ThreadingTCPServer(("0.0.0.0", port), Echo) as server:
        print("tcp-echo listening on %d" % port, flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
