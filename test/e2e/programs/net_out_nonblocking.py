"""asyncio outgoing TCP under mirrord exec: prints outcome=<exception class> for a connection the remote
refuses (outcome=hang when nothing happens within 20 s). Usage: net_out_nonblocking.py HOST PORT"""
import asyncio
import sys


async def main(host, port):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"hello")
        await writer.drain()
        data = await reader.read(100)
        print("outcome=eof" if not data else "outcome=answered")
    except OSError as error:
        print("outcome=%s" % type(error).__name__)


try:
    asyncio.run(asyncio.wait_for(main(sys.argv[1], int(sys.argv[2])), 20))
except asyncio.TimeoutError:
    print("outcome=hang")
