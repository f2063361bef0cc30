#!/usr/bin/env python3
"""A local SMTP sink for development and tests: accepts every message and writes it
to a folder, one file per message (`<n>.eml`, written atomically), with the envelope
in `X-Sink-Mail-From` / `X-Sink-Rcpt-To` header lines in front. Python stdlib only.

Usage: smtp-sink.py --port PORT --dir FOLDER [--host 127.0.0.1]
Prints "ready <port>" once it listens. Plain SMTP (RFC 5321 subset: EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT); no TLS and no authentication.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
from pathlib import Path


class Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counter = itertools.count(1 + len(list(folder.glob("*.eml"))))

    def store(self, sender: str, recipients: list[str], data: bytes) -> None:
        number = next(self.counter)
        envelope = f"X-Sink-Mail-From: {sender}\r\nX-Sink-Rcpt-To: {', '.join(recipients)}\r\n".encode()
        temporary = self.folder / f".{number}.tmp"
        temporary.write_bytes(envelope + data)
        os.replace(temporary, self.folder / f"{number}.eml")

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        sender, recipients = "", []
        reply("220 styrbord-smtp-sink ready")
        try:
            while line := await reader.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    reply("250-styrbord-smtp-sink" if verb == "EHLO" else "250 styrbord-smtp-sink")
                    if verb == "EHLO":
                        reply("250 8BITMIME")
                elif verb == "MAIL":
                    sender, recipients = command.partition(":")[2].strip().strip("<>"), []
                    reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.partition(":")[2].strip().strip("<>"))
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    lines = []
                    while (data_line := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                    self.store(sender, recipients, b"".join(lines))
                    reply("250 OK stored")
                elif verb == "RSET":
                    sender, recipients = "", []
                    reply("250 OK")
                elif verb == "NOOP":
                    reply("250 OK")
                elif verb == "QUIT":
                    reply("221 Bye")
                    await writer.drain()
                    break
                else:
                    reply("502 Command not implemented")
                await writer.drain()
        finally:
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    arguments = parser.parse_args()
    arguments.dir.mkdir(parents=True, exist_ok=True)
    sink = Sink(arguments.dir)
    server = await asyncio.start_server(sink.session, arguments.host, arguments.port)
    # Stop on SIGTERM even when started by a process that ignores it (children inherit that).
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, server.close)
    print(f"ready {arguments.port}", flush=True)
    async with server:
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
