"""A server that answers instantly with responses recorded from grantline-server (the benchmark's
"canned" target): ``POST /sdk/grants/list`` gets the recorded 100-grant page, a create gets the
recorded create result, each with the recorded actor id header. It checks nothing, so client CPU
is measured without a real server's latency. HTTP/1.1 keep-alive on loopback only; it exits when
its stdin closes.

    python canned_server.py recording.json   → prints {"base_url": "http://127.0.0.1:PORT"}
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Optional

CREATE = re.compile(rb"^/sdk/managed-secrets/[^/]+/grants$")


def answer(recorded: dict[str, str | int | None]) -> bytes:
    body = str(recorded["body"]).encode()
    head = [
        f"HTTP/1.1 {recorded['status']} OK",
        "content-type: application/json",
        f"content-length: {len(body)}",
    ]
    if recorded.get("actor_id"):
        head.append(f"x-alter-actor-id: {recorded['actor_id']}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 21\r\n\r\n"
    b'{"error":"not_found"}'
)


class Canned(asyncio.Protocol):
    def __init__(self, answers: dict[bytes, bytes]) -> None:
        self.answers = answers
        self.buf = b""
        self.transport: Optional[asyncio.Transport] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].split(b"\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length :]
            target = head[0].split(b" ")[1]
            if target == b"/sdk/grants/list":
                out = self.answers[b"list"]
            elif CREATE.match(target):
                out = self.answers[b"create"]
            else:
                out = NOT_FOUND
            assert self.transport is not None
            self.transport.write(out)


async def main() -> None:
    with open(sys.argv[1]) as f:
        recording = json.load(f)
    answers = {name.encode(): answer(r) for name, r in recording.items()}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Canned(answers), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"base_url": f"http://127.0.0.1:{port}"}), flush=True)
    # Exit when the parent closes stdin (or goes away).
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
