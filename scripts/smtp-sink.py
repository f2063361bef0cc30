#!/usr/bin/env python3
"""A local SMTP sink for development and tests: accepts every message and writes it
to a folder, one file per message (`<n>.eml`, written atomically), with the envelope
in `X-Sink-Mail-From` / `X-Sink-Rcpt-To` header lines in front. Python stdlib only.

Usage: smtp-sink.py --port PORT --dir FOLDER [--host 127.0.0.1]
                    [--security none|starttls|tls --cert CERT.pem --key KEY.pem]
                    [--auth USER:PASSWORD]
Prints "ready <port>" once it listens. RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT; with --security starttls it offers STARTTLS (RFC 3207) and refuses
MAIL before it, with tls the connection is TLS from the start; with --auth it offers
AUTH PLAIN and LOGIN (RFC 4954) and refuses MAIL before a successful one. The envelope
lines also say `X-Sink-TLS: yes|no` and `X-Sink-Auth: <user>|-`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import signal
import ssl
from pathlib import Path


class Sink:
    def __init__(self, folder: Path, security: str = "none", context: ssl.SSLContext | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        self.folder = folder
        self.counter = itertools.count(1 + len(list(folder.glob("*.eml"))))
        self.security = security
        self.context = context
        self.credentials = credentials

    def store(self, sender: str, recipients: list[str], data: bytes, tls: bool = False, user: str | None = None) -> None:
        number = next(self.counter)
        envelope = (f"X-Sink-Mail-From: {sender}\r\nX-Sink-Rcpt-To: {', '.join(recipients)}\r\n"
                    f"X-Sink-TLS: {'yes' if tls else 'no'}\r\nX-Sink-Auth: {user or '-'}\r\n").encode()
        temporary = self.folder / f".{number}.tmp"
        temporary.write_bytes(envelope + data)
        os.replace(temporary, self.folder / f"{number}.eml")

    def authenticated(self, user: str, password: str) -> bool:
        return self.credentials is not None and (user, password) == self.credentials

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        sender, recipients = "", []
        tls = self.security == "tls"
        user: str | None = None
        reply("220 styrbord-smtp-sink ready")
        try:
            while line := await reader.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    if verb == "HELO":
                        reply("250 styrbord-smtp-sink")
                    else:
                        extensions = ["8BITMIME"]
                        if self.security == "starttls" and not tls:
                            extensions.append("STARTTLS")
                        if self.credentials and (tls or self.security == "none"):
                            extensions.append("AUTH PLAIN LOGIN")
                        reply("250-styrbord-smtp-sink")
                        for index, extension in enumerate(extensions):
                            reply(("250 " if index == len(extensions) - 1 else "250-") + extension)
                elif command.upper() == "STARTTLS" and self.security == "starttls" and not tls:
                    reply("220 Ready to start TLS")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    tls, sender, recipients, user = True, "", [], None
                    continue
                elif verb == "AUTH" and self.credentials:
                    parts = command.split()
                    mechanism = parts[1].upper() if len(parts) > 1 else ""
                    if mechanism == "PLAIN":
                        if len(parts) > 2:
                            encoded = parts[2]
                        else:
                            reply("334 ")
                            await writer.drain()
                            encoded = (await reader.readline()).decode().strip()
                        _, name, password = base64.b64decode(encoded).decode().split("\0")
                    elif mechanism == "LOGIN":
                        reply("334 " + base64.b64encode(b"Username:").decode())
                        await writer.drain()
                        name = base64.b64decode((await reader.readline()).strip()).decode()
                        reply("334 " + base64.b64encode(b"Password:").decode())
                        await writer.drain()
                        password = base64.b64decode((await reader.readline()).strip()).decode()
                    else:
                        reply("504 Unrecognized authentication type")
                        await writer.drain()
                        continue
                    if self.authenticated(name, password):
                        user = name
                        reply("235 Authentication successful")
                    else:
                        reply("535 Authentication credentials invalid")
                elif verb == "MAIL":
                    if self.security == "starttls" and not tls:
                        reply("530 Must issue a STARTTLS command first")
                    elif self.credentials and user is None:
                        reply("530 Authentication required")
                    else:
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
                    self.store(sender, recipients, b"".join(lines), tls, user)
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
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--security", choices=["none", "starttls", "tls"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth", help="USER:PASSWORD the sink accepts (and then requires)")
    arguments = parser.parse_args()
    arguments.dir.mkdir(parents=True, exist_ok=True)
    context = None
    if arguments.security != "none":
        if not (arguments.cert and arguments.key):
            parser.error("--security starttls|tls needs --cert and --key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
    credentials = tuple(arguments.auth.split(":", 1)) if arguments.auth else None
    sink = Sink(arguments.dir, arguments.security, context, credentials)
    server = await asyncio.start_server(
        sink.session, arguments.host, arguments.port, ssl=context if arguments.security == "tls" else None)
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
