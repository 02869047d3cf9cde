"""Ack latency of `/cc-ask` on `ccbot serve` against a bare Bolt app on the same stack, at 1, 8 and 32 at once.

Run: python -m bench.ack_latency [--requests 300] [--workers 1,2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import ROOT, free_port, median, percentile, rss_mib, start, write_section
from bot.slack_standin import SlackStandIn
from tests.slack_requests import SIGNING_SECRET, command_body, signed_headers

CONCURRENCY = (1, 8, 32)
ASKERS = [f"U0PILOT0{i}" for i in range(1, 9)]  # the eight active pilot committers


def fire(base: str, count: int, concurrency: int) -> tuple[list[float], float]:
    """Send `count` signed /cc-ask requests, `concurrency` at a time; return latencies and wall time."""
    url = base + "/slack/events"
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=concurrency + 4))

    def one(i: int) -> float:
        body = command_body(
            "/cc-ask", "https://github.com/openedx/edx-platform/pull/1 q", user_id=ASKERS[i % len(ASKERS)]
        )
        headers = {
            **signed_headers(body, secret=SIGNING_SECRET),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        started = time.perf_counter()
        response = client.post(url, content=body.encode(), headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    client.close()
    return latencies, wall


def tree_rss_mib(pid: int) -> float:
    """Return the resident memory of a process and its children (uvicorn's workers), in MiB."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return rss_mib(pid) + sum(rss_mib(kid) for kid in kids)


Stats = tuple[float, float, float]  # p50 s, p99 s, requests per second


def measure(ports: dict[str, int], requests: int, rounds: int) -> dict[int, dict[str, list[Stats]]]:
    """Fire every level at both apps `rounds` times, alternating which goes first; return each round's stats."""
    results: dict[int, dict[str, list[Stats]]] = {c: {name: [] for name in ports} for c in CONCURRENCY}
    for round_ in range(rounds):
        for concurrency in CONCURRENCY:
            names = list(ports) if round_ % 2 == 0 else list(reversed(ports))
            for name in names:
                latencies, wall = fire(f"http://127.0.0.1:{ports[name]}", requests, concurrency)
                results[concurrency][name].append(
                    (median(latencies), percentile(latencies, 0.99), requests / wall)
                )
    return results


def serve_both(
    env: dict[str, str], workers: int
) -> tuple[dict[str, int], dict[str, subprocess.Popen[bytes]]]:
    """Start `ccbot serve` and the bare app with `workers` processes each; return their ports and processes."""
    ports = {"ccbot": free_port(), "bare Bolt": free_port()}
    processes = {
        "ccbot": start(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--no-scheduler",
                "--workers",
                str(workers),
            ],
            {**env, "CCBOT_PORT": str(ports["ccbot"])},
            health=f"http://127.0.0.1:{ports['ccbot']}/healthz",
        ),
        "bare Bolt": start(
            [sys.executable, "-m", "bench.bare_bolt", "--workers", str(workers)],
            {**env, "CCBOT_PORT": str(ports["bare Bolt"])},
            health=f"http://127.0.0.1:{ports['bare Bolt']}/healthz",
        ),
    }
    return ports, processes


def main() -> None:
    """Run the comparison and write it to docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", default="1", help="worker processes per app, e.g. 1,2 (each measured)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat each measurement; medians are reported")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    slack = SlackStandIn().start()
    rows = []
    memory = []
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "CCBOT_DATABASE_URL": db,
            "CCBOT_COORDINATION_CHANNEL": "C0COORD01",
        }
        for setup in (["db", "upgrade"], ["roster", "import", "examples/pilot-roster.yaml"]):
            subprocess.run(
                [sys.executable, "-m", "bot", *setup],
                env={**env, "PATH": "/usr/bin:/bin"},
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        try:
            for workers in worker_counts:
                ports, processes = serve_both(env, workers)
                try:
                    idle = tree_rss_mib(processes["ccbot"].pid)
                    for port in ports.values():  # warm both up (every worker)
                        fire(f"http://127.0.0.1:{port}", 20 * workers, 4)
                    results = measure(ports, args.requests, args.rounds)
                    memory.append(
                        f"{workers} worker(s): {idle:.0f} MiB idle, "
                        f"{tree_rss_mib(processes['ccbot'].pid):.0f} MiB after"
                    )
                finally:
                    for process in processes.values():
                        process.terminate()
                        process.wait(timeout=10)
                for concurrency in CONCURRENCY:
                    ccbot, floor = results[concurrency]["ccbot"], results[concurrency]["bare Bolt"]

                    def mid(stats: list[Stats], i: int) -> float:
                        return median([s[i] for s in stats])

                    p99_ratio = median([c[1] / f[1] for c, f in zip(ccbot, floor, strict=True)])
                    rows.append(
                        f"| {workers} | {concurrency} | {mid(ccbot, 0) * 1000:.1f} | {mid(ccbot, 1) * 1000:.1f} | "
                        f"{mid(ccbot, 2):.0f} | {mid(floor, 0) * 1000:.1f} | {mid(floor, 1) * 1000:.1f} | "
                        f"{mid(floor, 2):.0f} | {p99_ratio:.2f}x |"
                    )
        finally:
            slack.stop()
    table = "\n".join(
        [
            "| workers | concurrency | ccbot p50 ms | ccbot p99 ms | ccbot req/s | floor p50 ms | floor p99 ms "
            "| floor req/s | p99 ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    body = (
        f"Signed `/cc-ask` requests ({args.requests} per level) against a real `ccbot serve --workers N` (SQLite, "
        "the pilot roster, the Slack stand-in) and, in the same run, a bare Bolt app on the same Starlette/uvicorn "
        "stack, with as many worker processes, that acks and opens a fixed modal (the floor). Latency is request to "
        "HTTP response (the ack); Slack allows 3 s. Each level is measured "
        f"{args.rounds} times, the two apps alternating which goes first; the table gives the median of the rounds' "
        "p50, p99 and throughput, and the median of the rounds' p99 ratios (each measured back to back). "
        "The load generator runs on the same 2 cores. Target: p99 at or under the floor's.\n\n"
        f"{table}\n\nMemory (RSS of `ccbot serve` and its workers): {'; '.join(memory)}."
    )
    command = f"python -m bench.ack_latency --requests {args.requests} --workers {args.workers} --rounds {args.rounds}"
    write_section("Ack latency", command, body)
    print(body)


if __name__ == "__main__":
    main()
