"""Shared benchmark plumbing: processes, free ports, percentiles, timings beside a floor, growth, the results file."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "PERFORMANCE.md"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], env: dict[str, str], *, health: str) -> subprocess.Popen[bytes]:
    """Start a process and wait until `health` answers 200.

    Its stderr goes to a temporary file, not a pipe: a pipe nobody reads fills up and stalls a chatty server.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read only if the process fails to come up
    process = subprocess.Popen(
        args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
    )
    deadline = time.monotonic() + 180  # a loaded machine starts workers slowly (a minute and more)
    while time.monotonic() < deadline:
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                log.close()  # the process keeps its own descriptor
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    log.seek(0)
    raise RuntimeError(f"{args} did not come up: {log.read().decode(errors='replace')[-2000:]}")


def rss_mib(pid: int) -> float:
    """Return a process's resident memory in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    """Return the median."""
    return statistics.median(values)


def timed_against(
    subject: Callable[[], object], floor: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Return the median seconds of `subject` and of `floor`, run alternately `runs` times after a warm-up each.

    Alternating keeps the two under the same load on a shared machine, so their ratio means something.
    """
    subject()
    floor()
    subject_samples: list[float] = []
    floor_samples: list[float] = []
    for _ in range(runs):
        for fn, samples in ((floor, floor_samples), (subject, subject_samples)):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
    return median(subject_samples), median(floor_samples)


def growth(times: Sequence[float]) -> str:
    """Describe how a time grows between data sizes ten times apart: `x8.1, x9.7`."""
    steps = [later / earlier for earlier, later in itertools.pairwise(times) if earlier > 0]
    return ", ".join(f"x{step:.1f}" for step in steps) or "-"


def machine() -> str:
    """Describe the machine a benchmark ran on."""
    cpus = os.cpu_count()
    return f"{platform.node()} · {platform.machine()} · {cpus} CPUs · Python {sys.version.split()[0]} · {platform.platform()}"


def write_section(title: str, command: str, body: str) -> None:
    """Replace (or append) one section of docs/PERFORMANCE.md with fresh results."""
    header = "# Performance\n\nNumbers from `bench/`, measured on a shared, noisy machine: compare ratios within a run.\n"
    text = RESULTS.read_text() if RESULTS.exists() else header
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {title}\n\nRun: `{command}` · {stamp}\n\nMachine: {machine()}\n\n{body.strip()}\n"
    marker = f"## {title}\n"
    if marker in text:
        start = text.index(marker)
        end = text.find("\n## ", start + len(marker))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
