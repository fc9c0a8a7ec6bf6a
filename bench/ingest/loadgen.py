"""A small HTTP/1.1 keep-alive load generator (asyncio + uvloop, raw sockets).

    python -m bench.ingest.loadgen --port P --path /api/activity/record --kind record \
        --concurrency 64 --seconds 10 --token T

Each request carries fresh event_ids. Prints one JSON object: requests, events,
non-2xx count, requests/s, events/s, p50/p99 latency in ms. Raw sockets keep the
generator's own CPU cost small: it shares the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import uvloop

EVENT = '{"event_id":"%s","event_type":"dice_play","metadata":{"table":7}}'


def random_uuids(count: int) -> list[str]:
    """`count` random version-4 UUIDs as text, from one read of the OS's random source.

    uuid.uuid4() per id cost this process about 1.5 ms per 500-event batch, CPU the
    server then did not have; the ids stay random (not sequential), as clients make them.
    """
    digits = os.urandom(16 * count).hex()
    return [
        f"{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-4{digits[i + 13 : i + 16]}-"
        f"{'89ab'[int(digits[i + 16], 16) & 3]}{digits[i + 17 : i + 20]}-{digits[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def body_for(kind: str, batch_size: int) -> bytes:
    if kind == "record":
        return (EVENT % random_uuids(1)[0]).encode()
    events = ",".join(EVENT % event_id for event_id in random_uuids(batch_size))
    return ('{"events":[' + events + "]}").encode()


async def worker(
    args: argparse.Namespace, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    head = (
        f"POST {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {args.token}\r\n"
    )
    while time.perf_counter() < stop_at:
        body = body_for(args.kind, args.batch_size)
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        started = time.perf_counter()
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not status_line.startswith(b"HTTP/1.1 2"):
            errors.append(int(status_line.split()[1]))
    writer.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    warm_stop = time.perf_counter() + args.warmup
    await asyncio.gather(*[worker(args, warm_stop, [], []) for _ in range(args.concurrency)])
    started = time.perf_counter()
    stop_at = started + args.seconds
    await asyncio.gather(
        *[worker(args, stop_at, latencies, errors) for _ in range(args.concurrency)]
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    per_request = 1 if args.kind == "record" else args.batch_size
    return {
        "requests": len(latencies),
        "non_2xx": len(errors),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "events_per_s": round(len(latencies) * per_request / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--kind", choices=["record", "batch"], default="record")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    print(json.dumps(uvloop.run(run(args))))


if __name__ == "__main__":
    main()
