"""What the benchmarks share: a free port, and reading one HTTP/1.1 answer off a keep-alive
connection (their Python load clients write the requests themselves)."""
import socket


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def read_response(reader):
    """Read one answer (status line, headers, a Content-Length body) from an asyncio StreamReader;
    its status code."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status
