"""Sample app: a unix stream server echoing every byte back, each connection in its own thread.

Usage: unix_echo.py PATH
"""
import os
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
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    socketserver.ThreadingUnixStreamServer.daemon_threads = True
    socketserver.ThreadingUnixStreamServer.request_queue_size = 128  # as deep as a real app's (see http_echo.py)
    with socketserver.ThreadingUnixStreamServer(path, Echo) as server:
        print("unix-echo listening on %s" % path, flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
