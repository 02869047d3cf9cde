"""Ack latency of `/cc-ask` on `ccbot serve` against a bare Bolt app on the same stack, at 1, 8 and 32 at once.

Run: python -m bench.ack_latency [--requests 300]
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


def main() -> None:
    """Run the comparison and write it to docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    slack = SlackStandIn().start()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "CCBOT_DATABASE_URL": db,
            "CCBOT_COORDINATION_CHANNEL": "C0COORD01",
        }
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env={**env, "PATH": "/usr/bin:/bin"},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", "bot", "roster", "import", "examples/pilot-roster.yaml"],
            env={**env, "PATH": "/usr/bin:/bin"},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        ports = {"ccbot": free_port(), "bare Bolt": free_port()}
        processes = {
            "ccbot": start(
                [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--no-scheduler"],
                {**env, "CCBOT_PORT": str(ports["ccbot"])},
                health=f"http://127.0.0.1:{ports['ccbot']}/healthz",
            ),
            "bare Bolt": start(
                [sys.executable, "-m", "bench.bare_bolt"],
                {**env, "CCBOT_PORT": str(ports["bare Bolt"])},
                health=f"http://127.0.0.1:{ports['bare Bolt']}/healthz",
            ),
        }
        try:
            idle = rss_mib(processes["ccbot"].pid)
            for port in ports.values():  # warm both up
                fire(f"http://127.0.0.1:{port}", 20, 4)
            rows = []
            for concurrency in CONCURRENCY:
                results = {}
                for name, port in ports.items():
                    latencies, wall = fire(f"http://127.0.0.1:{port}", args.requests, concurrency)
                    results[name] = (median(latencies), percentile(latencies, 0.99), args.requests / wall)
                ccbot, floor = results["ccbot"], results["bare Bolt"]
                rows.append(
                    f"| {concurrency} | {ccbot[0] * 1000:.1f} | {ccbot[1] * 1000:.1f} | {ccbot[2]:.0f} | "
                    f"{floor[0] * 1000:.1f} | {floor[1] * 1000:.1f} | {floor[2]:.0f} | {ccbot[1] / floor[1]:.2f}x |"
                )
            after = rss_mib(processes["ccbot"].pid)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(timeout=10)
            slack.stop()
    table = "\n".join(
        [
            "| concurrency | ccbot p50 ms | ccbot p99 ms | ccbot req/s | floor p50 ms | floor p99 ms | floor req/s | p99 ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    body = (
        f"Signed `/cc-ask` requests ({args.requests} per level) against a real `ccbot serve` process (SQLite, the pilot "
        "roster, the Slack stand-in) and, in the same run, a bare Bolt app on the same Starlette/uvicorn stack that "
        "acks and opens a fixed modal (the floor). Latency is request to HTTP response (the ack); Slack allows 3 s. "
        "Target: p99 within 1.25x of the floor.\n\n"
        f"{table}\n\nMemory (RSS of `ccbot serve`): {idle:.0f} MiB idle, {after:.0f} MiB after the run."
    )
    write_section("Ack latency", "python -m bench.ack_latency", body)
    print(body)


if __name__ == "__main__":
    main()
