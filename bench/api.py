"""The partner threshold query over HTTP: latency at a fixed rate, throughput, no audit lost.

    python bench/api.py [--rate 500] [--seconds 10] [--workers 2] [--people 200]

Builds a throwaway home (partner, people with approved grants, one published snapshot), starts
``credo serve --workers N`` and loads it from another process over loopback with a small
keep-alive HTTP/1.1 client (so the client is not what is measured):

- open loop at ``--rate`` requests/s for ``--seconds``: latency is taken from when each request
  was *due*, so a server that falls behind shows it (no coordinated omission);
- closed loop (``--concurrency`` requests in flight) for the most requests/s it sustains.

Both for ``GET /v1/partner/subjects/{open_id}/threshold`` (authenticated, authorized, audited)
and for the trivial ``GET /healthz`` of the same app: the baseline printed alongside. Afterwards
the audit entries are counted: every answered threshold query must have one. Target (issue 6):
p99 under 25 ms at 500 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from credo.home import Home, initialise
from credo.settings import Settings
from credo.storage.tables import audit_log

THRESHOLD = 600


@dataclass
class Target:
    port: int
    paths: list[str]
    key: str


def build_home(root: Path, people: int) -> tuple[Path, str, list[str]]:
    """A home with one partner, ``people`` approved grants and a published snapshot."""
    settings = Settings(home=root / "home")
    initialise(settings, dev_key=True)
    home = Home(settings)
    partner, key = home.partners.add("bench", ["lending"])
    identifiers = [f"1101011990{i:08d}" for i in range(people)]
    subjects = [home.tokeniser.subject(identifier) for identifier in identifiers]
    now = datetime.now(UTC)
    run = home.snapshots.begin(as_of=now, model_id=None, engine="duckdb", started_at=now)
    home.snapshots.write(
        run,
        (
            {"subject": s, "score": 500 + (i * 7) % 300, "band": "good", "percentile": 50.0}
            for i, s in enumerate(subjects)
        ),
    )
    home.snapshots.publish(run, summary={}, finished_at=now)
    open_ids = []
    for identifier, subject in zip(identifiers, subjects, strict=True):
        pending = home.grants.request(partner, identifier, purpose="lending")
        grant = home.grants.approve(subject, pending.id)
        assert grant.open_id is not None
        open_ids.append(grant.open_id)
    home.dispose()
    return settings.home, key, open_ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        CREDO_HOME=str(home),
        # the limiter is not what is measured here: give the bench partner room
        CREDO_API__PARTNER_RATE="1000000",
        CREDO_API__PARTNER_BURST="1000000",
    )
    command = [sys.executable, "-m", "credo", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not answer /healthz within 60 s")


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """Send one keep-alive request and read the whole response; returns the status."""
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


def _raw(target: Target, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {target.key}\r\n\r\n"
    ).encode()


async def _load(
    target: Target, rate: float | None, seconds: float, connections: int
) -> dict[str, object]:
    """Open loop at ``rate`` (latency from when each request was due), or closed loop."""
    requests = [_raw(target, path) for path in target.paths]
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    stop = start + seconds

    async def worker(number: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
        sent = number
        try:
            while True:
                if rate is None:
                    due = time.perf_counter()
                    if due >= stop:
                        return
                else:
                    item = await queue.get()
                    if item is None:
                        return
                    due = item
                status = await _request(reader, writer, requests[sent % len(requests)])
                sent += connections
                latencies.append(time.perf_counter() - due)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    async def schedule() -> None:
        assert rate is not None
        count = int(rate * seconds)
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(due)
        for _ in range(connections):
            queue.put_nowait(None)

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    if rate is not None:
        await schedule()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000,
        "statuses": statuses,
    }


def _load_process(
    target: Target, rate: float | None, seconds: float, connections: int, out: str
) -> None:
    result = asyncio.run(_load(target, rate, seconds, connections))
    Path(out).write_text(json.dumps(result))


def load(target: Target, rate: float | None, seconds: float, connections: int) -> dict[str, object]:
    """Run the load from another process (the server's workers are processes of their own)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        process = multiprocessing.get_context("spawn").Process(
            target=_load_process, args=(target, rate, seconds, connections, out.name)
        )
        process.start()
        process.join(seconds + 120)
        if process.exitcode != 0:
            raise SystemExit(f"the load process failed (exit {process.exitcode})")
        result: dict[str, object] = json.loads(Path(out.name).read_text())
        return result


def count_audited(home: Path) -> tuple[int, bool]:
    """Threshold disclosures in the audit chain, and whether the chain verifies."""
    state = Home(Settings(home=home))
    query = (
        select(func.count())
        .select_from(audit_log)
        .where(audit_log.c.action == "disclosure.threshold")
    )
    with state.engine.connect() as conn:
        count = int(conn.execute(query).scalar_one())
    ok = state.audit.verify().ok
    state.dispose()
    return count, ok


def _ok(result: dict[str, object]) -> int:
    statuses = result["statuses"]
    assert isinstance(statuses, dict)
    return int(statuses.get("200", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="credo-bench-api-") as tmp:
        home, key, open_ids = build_home(Path(tmp), args.people)
        port = free_port()
        server = start_server(home, port, args.workers)
        try:
            threshold = Target(
                port,
                [f"/v1/partner/subjects/{o}/threshold?min={THRESHOLD}" for o in open_ids],
                key,
            )
            health = Target(port, ["/healthz"], key)
            warm = load(threshold, args.rate, 2, args.connections)  # warm-up, audited too
            rows = []
            for name, target in (("threshold", threshold), ("healthz", health)):
                fixed = load(target, args.rate, args.seconds, args.connections)
                most = load(target, None, args.seconds / 2, args.concurrency)
                rows.append((name, fixed, most))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        audited, chain_ok = count_audited(home)
    print(
        f"\n{args.workers} workers, loopback, {args.people} people; open loop at {args.rate:.0f}/s "
        f"for {args.seconds:.0f} s, closed loop with {args.concurrency} in flight"
    )
    print(
        f"  {'endpoint':10} {'mode':>12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8}  statuses"
    )
    for name, fixed, most in rows:
        for mode, r in ((f"{args.rate:.0f}/s", fixed), ("max", most)):
            print(
                f"  {name:10} {mode:>12} {r['rps']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                f"{r['max_ms']:8.1f}  {r['statuses']}"
            )
    (_, t_fixed, t_most), (_, h_fixed, h_most) = rows
    print(
        f"  threshold / healthz: p99 x{t_fixed['p99_ms'] / h_fixed['p99_ms']:.1f} "
        f"at {args.rate:.0f}/s, throughput x{t_most['rps'] / h_most['rps']:.2f}"
    )
    print(
        f"  target p99 < 25 ms at 500/s: "
        f"{'met' if t_fixed['p99_ms'] < 25 and args.rate >= 500 else 'NOT met'}"
    )
    answered = _ok(warm) + _ok(t_fixed) + _ok(t_most)
    print(
        f"  audit: {audited:,} threshold entries for {answered:,} answered queries "
        f"({answered - audited:,} lost); chain {'verifies' if chain_ok else 'BROKEN'}"
    )


if __name__ == "__main__":
    main()
