"""Sample app: a UDP server sending every datagram back to its sender, prefixed with "echo:".

Usage: udp_echo.py PORT
"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("0.0.0.0", port))
    print("udp-echo listening on %d" % port, flush=True)
    while True:
        data, peer = server.recvfrom(65535)
        server.sendto(b"echo:" + data, peer)


if __name__ == "__main__":
    main()
