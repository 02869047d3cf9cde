"""`ccbot roster import` at 500, 5,000 and 50,000 people, beside a floor measured in the same run.

The floor is the same file parsed with PyYAML's C loader (`CSafeLoader`) and the same rows
inserted with one `executemany` per table into an empty database: what any importer must pay.
Each measurement runs in a forked process (fresh database, its own peak RSS; modules already loaded).

Run: python -m bench.import [--sizes 500,5000,50000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from bench.common import median, write_section
from bot.assembly import open_database
from bot.services.roster import import_roster, read_roster
from storage.db import upgrade
from storage.models import Agreement, ChampionAssignment, CommitGrant, Organization, Person, PersonRole, Repo

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
CHAMPION_SHARE = 10  # one champion for every ten committers
ORG_SHARE = 50  # one organisation for every fifty people


def roster_text(people: int) -> str:
    """Return a ccbot roster YAML of `people` people: committers, their champions, organisations, agreements."""
    champions = max(2, people // (CHAMPION_SHARE + 1))
    committers = people - champions
    orgs = max(1, people // ORG_SHARE)
    lines = ["program:", "  phase: pilot", "organizations:"]
    for o in range(orgs):
        lines += [
            f"  - name: Org {o}",
            f"    is_provider: {'true' if o % 2 else 'false'}",
            f"    contact: {{name: Contact {o}, email: contact{o}@example.org}}",
            "    agreements: [{kind: entity, signed: 2025-12-01, expires: 2027-12-31}]",
        ]
    lines.append("people:")
    for c in range(champions):
        lines += [
            f"  - github: champ-{c}",
            f"    name: Champion {c}",
            f"    email: champ{c}@example.org",
            f"    slack: U0C{c:07d}",
            "    timezone: America/New_York",
            "    organization: Org 0",
            "    roles: [champion]",
        ]
    for i in range(committers):
        first, second = i % champions, (i + 1) % champions
        lines += [
            f"  - github: committer-{i}",
            f"    name: Committer {i}",
            f"    email: committer{i}@example.org",
            f"    slack: U0P{i:07d}",
            "    timezone: Europe/Paris",
            f"    organization: Org {i % orgs}",
            "    roles: [committer]",
            f"    repos: [openedx/repo-{i % 300}, openedx/repo-{(i + 7) % 300}]",
            "    granted: 2025-03-02",
            f"    champions: [champ-{first}, champ-{second}]",
            f"    manager: champ-{second}",
            "    agreements:",
            "      - {kind: individual, signed: 2026-01-05, expires: 2027-01-31}",
            "      - {kind: nda, signed: 2026-01-05, expires: 2027-01-31}",
        ]
    return "\n".join(lines) + "\n"


def _fresh_database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'ccbot.db'}"
    with open_database(url) as database:
        upgrade(database.engine)
    return url


def _import(url: str, path: Path) -> None:
    with open_database(url) as database, database.session() as session:
        import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="bench")


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def first_import(folder: Path, path: Path) -> tuple[float, float]:
    """Time `ccbot roster import` into an empty database: (wall, CPU) seconds."""
    url = _fresh_database(folder)
    return _timed(lambda: _import(url, path))


def one_change_reimport(folder: Path, path: Path) -> tuple[float, float]:
    """Import, change one person's e-mail, and time the second import: (wall, CPU) seconds."""
    url = _fresh_database(folder)
    _import(url, path)
    changed = folder / "changed.yaml"
    changed.write_text(
        path.read_text().replace("email: committer1@example.org", "email: committer1@example.net", 1)
    )
    return _timed(lambda: _import(url, changed))


def floor(folder: Path, path: Path) -> tuple[float, float]:
    """Parse with CSafeLoader and insert the same rows with one executemany per table: (wall, CPU)."""
    url = _fresh_database(folder)
    database = open_database(url)
    engine = database.engine
    gc.disable()  # the floor gets the same help the importer takes: no collector passes while parsing
    start, cpu = time.perf_counter(), time.process_time()
    data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    orgs = {o["name"]: n for n, o in enumerate(data["organizations"], start=1)}
    people = {p["github"]: n for n, p in enumerate(data["people"], start=1)}
    repos: dict[str, int] = {}
    rows: dict[Any, list[dict[str, Any]]] = {
        Organization: [],
        Person: [],
        PersonRole: [],
        Repo: [],
        CommitGrant: [],
        ChampionAssignment: [],
        Agreement: [],
    }
    for org in data["organizations"]:
        contact = org.get("contact") or {}
        rows[Organization].append(
            {
                "id": orgs[org["name"]],
                "name": org["name"],
                "is_provider": org["is_provider"],
                "contact_name": contact.get("name"),
                "contact_email": contact.get("email"),
            }
        )
        for a in org.get("agreements", []):
            rows[Agreement].append(
                {
                    "kind": a["kind"],
                    "organization_id": orgs[org["name"]],
                    "person_id": None,
                    "signed_on": a.get("signed"),
                    "expires_on": a.get("expires"),
                    "source": "floor",
                }
            )
    for p in data["people"]:
        pid = people[p["github"]]
        rows[Person].append(
            {
                "id": pid,
                "github": p["github"],
                "github_key": p["github"].lower(),
                "name": p["name"],
                "email": p.get("email"),
                "slack_user_id": p.get("slack"),
                "timezone": p.get("timezone"),
                "organization_id": orgs.get(p.get("organization", "")),
                "manager_id": people.get(p.get("manager", "")),
                "status": "active",
            }
        )
        rows[PersonRole] += [{"person_id": pid, "role": role} for role in p.get("roles", [])]
        for name in p.get("repos", []):
            repo_id = repos.setdefault(name.lower(), len(repos) + 1)
            rows[CommitGrant].append(
                {"person_id": pid, "repo_id": repo_id, "granted_on": p.get("granted"), "source": "floor"}
            )
        rows[ChampionAssignment] += [
            {"committer_id": pid, "champion_id": people[c], "slot": slot, "started_on": NOW.date()}
            for slot, c in enumerate(p.get("champions", []), start=1)
        ]
        rows[Agreement] += [
            {
                "kind": a["kind"],
                "person_id": pid,
                "organization_id": None,
                "signed_on": a.get("signed"),
                "expires_on": a.get("expires"),
                "source": "floor",
            }
            for a in p.get("agreements", [])
        ]
    rows[Repo] = [{"id": n, "full_name": key, "key": key} for key, n in repos.items()]
    with engine.begin() as db:
        for model in (Organization, Person, PersonRole, Repo, CommitGrant, ChampionAssignment, Agreement):
            db.execute(insert(model), rows[model])
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    gc.enable()
    database.close()
    return elapsed


Task = Callable[[Path, Path], tuple[float, float]]


def _child(task: Task, path: Path, out: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = task(Path(folder), path)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((wall, cpu, peak_mib))


def measure(task: Task, path: Path) -> tuple[float, float, float]:
    """Run one task in a forked process; return (wall seconds, CPU seconds, peak RSS MiB)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(task, path, send))
    process.start()
    result = receive.recv()
    process.join()
    return result


def _goal(what: str, wall: float, cpu: float, limit: float, unit: str) -> str:
    met = "met" if wall < limit else ("met in CPU time, not in wall time" if cpu < limit else "not met")
    measured = f"{wall:.2f}{unit}" if unit == "s" else f"{wall:.0f}{unit}"
    cpu_note = f" ({cpu:.2f} s CPU)" if unit == "s" else ""
    return f"- {what}: {measured}{cpu_note}, {met}"


def main() -> None:
    """Measure and write the Roster import section of docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-write", action="store_true", help="Print the table; leave PERFORMANCE.md alone."
    )
    args = parser.parse_args()
    rows = []
    goals: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"roster-{size}.yaml"
            path.write_text(roster_text(size))
            results: dict[str, list[tuple[float, float, float]]] = {"first": [], "again": [], "floor": []}
            for _ in range(args.repeat):
                results["floor"].append(measure(floor, path))
                results["first"].append(measure(first_import, path))
                results["again"].append(measure(one_change_reimport, path))
            wall = {key: median([r[0] for r in values]) for key, values in results.items()}
            cpu = {key: median([r[1] for r in values]) for key, values in results.items()}
            peak = {key: max(r[2] for r in values) for key, values in results.items()}
            rows.append(
                f"| {size:,} | {path.stat().st_size / 1e6:.1f} MB "
                f"| {wall['first']:.2f} ({cpu['first']:.2f}) | {wall['floor']:.2f} ({cpu['floor']:.2f}) "
                f"| {wall['first'] / wall['floor']:.1f}x ({cpu['first'] / cpu['floor']:.1f}x) "
                f"| {wall['again']:.2f} ({cpu['again']:.2f}) "
                f"| {wall['again'] / wall['floor']:.1f}x ({cpu['again'] / cpu['floor']:.1f}x) "
                f"| {peak['first']:.0f} | {peak['again']:.0f} | {peak['floor']:.0f} |"
            )
            print(rows[-1], flush=True)
            if size == 5000:
                goals = [
                    _goal("first import under 1.5 s", wall["first"], cpu["first"], 1.5, "s"),
                    _goal("re-import with one change under 1 s", wall["again"], cpu["again"], 1.0, "s"),
                    _goal("peak memory under 150 MB", peak["first"], peak["first"], 150, " MiB"),
                ]
    body = (
        "A generated ccbot roster (one champion for every ten committers, one organisation for every fifty "
        "people; each committer with two repositories, two champions, a manager and two agreements), "
        "imported in-process into SQLite exactly as `ccbot roster import` does (parse, diff, write, "
        f"statuses, audit). Median of {args.repeat} runs, each in a fresh forked process and database; "
        "wall-clock seconds, with CPU seconds of the process in brackets (the machine is shared, so CPU "
        "time is the steadier measure). "
        "The floor parses the same file with `yaml.CSafeLoader` and inserts the same rows with one "
        "`executemany` per table, with the cyclic garbage collector paused as the importer pauses it. Peak RSS is the whole process (interpreter and libraries included). "
        "Goals for 5,000 people: first import under 1.5 s and 150 MB; a re-import with one change "
        "under 1 s.\n\n"
        "| people | file | first import s | floor s | import / floor | re-import, one change s "
        "| re-import / floor | peak RSS import MiB | peak RSS re-import MiB | peak RSS floor MiB |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(rows)
        + "\n\n"
        + ("Goals at 5,000 people:\n\n" + "\n".join(goals) + "\n\n" if goals else "")
        + "Where the time goes: the file is parsed once, by libyaml, and the values are built straight "
        "from its events (no node tree, which is what keeps memory under the floor's); the diff is "
        "computed in memory against one read of each roster table; the writes are one `executemany` "
        "per table and per set of changed columns; statuses are derived in memory and written the same "
        "way. Building values from events takes well under half the time of `CSafeLoader`'s own "
        "load (which composes every node, with its marks, before building anything): that is why the "
        "import can come in under a floor whose remaining cost is the same inserts. The "
        "garbage collector is paused while the objects are built (it would otherwise rescan them all "
        "every few hundred allocations, more than half of a parse)."
    )
    if not args.no_write:
        write_section("Roster import", "python -m bench.import", body)
    print(body)


if __name__ == "__main__":
    main()
