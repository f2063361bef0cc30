#!/usr/bin/env python3
"""Open-loop HTTP load at a fixed rate: requests are scheduled at rate R whatever the
answers, and each latency is measured from its scheduled start (so a slow server cannot
hide its queueing: no coordinated omission). Raw HTTP/1.1 over keep-alive connections.

usage: http_load.py URL --rate R --duration S --connections C --header 'Name: value' --body-file F
prints: LOAD sent=… ok=… failed=… rate=… p50_ms=… p90_ms=… p99_ms=… max_ms=…
"""
import argparse
import asyncio
import time
from urllib.parse import urlsplit


async def connection(host, port, queue, make_request, latencies, failures):
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        item = await queue.get()
        if item is None:
            writer.close()
            return
        index, scheduled = item
        try:
            writer.write(make_request(index))
            await writer.drain()
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - scheduled)
            if not 200 <= status < 300:
                failures.append(status)
        except Exception as error:  # a broken connection: count it and reconnect
            failures.append(repr(error))
            reader, writer = await asyncio.open_connection(host, port)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--unique-keys", action="store_true", help="an Idempotency-Key of its own on every request")
    args = parser.parse_args()
    url = urlsplit(args.url)
    body = open(args.body_file, "rb").read()
    headers = [f"POST {url.path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", f"Content-Length: {len(body)}",
               "Content-Type: application/json"] + args.header
    run = f"load-{time.time_ns()}"

    def make_request(index):
        extra = [f"Idempotency-Key: {run}-{index}"] if args.unique_keys else []
        return ("\r\n".join(headers + extra) + "\r\n\r\n").encode() + body
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list = []
    failures: list = []
    workers = [asyncio.create_task(connection(url.hostname, url.port, queue, make_request, latencies, failures))
               for _ in range(args.connections)]
    start = time.perf_counter()
    total = int(args.rate * args.duration)
    for index in range(total):
        scheduled = start + index / args.rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((index, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    values = sorted(latencies)

    def pct(p):
        return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else float("nan")

    print(f"LOAD sent={total} ok={len(values) - len(failures)} failed={len(failures)} rate={len(values) / elapsed:.0f} "
          f"p50_ms={pct(50):.2f} p90_ms={pct(90):.2f} p99_ms={pct(99):.2f} max_ms={pct(100):.2f}")


asyncio.run(main())
