"""The public page as a visitor sees it: rendered by a real headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.services.publish import page_files
from bot.types.publish import Contributor, ProgramPage
from bot.types.responsiveness import Percentiles, ResponsivenessSeries, WeekResponsiveness
from bot.views.chart import TARGET_COLOUR
from tests.artifacts import save_artifact

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent: `apt-get install chromium` (CI installs it) to render the page",
)
WIDTH, HEIGHT = 1100, 2200


def _page() -> ProgramPage:
    start = dt.date(2026, 9, 14)
    weeks = [
        WeekResponsiveness(
            start=start + dt.timedelta(weeks=i),
            asked=2 + i % 5,
            answered=1 + i % 4,
            first_response=Percentiles(p75=dt.timedelta(hours=[3, 5, 8, 30, 6, 12, 6, 4, 20, 9, 7, 2][i])),
        )
        for i in range(12)
    ]
    return ProgramPage(
        about="## How to become a core contributor\n\nAsk a maintainer to **nominate** you.\n",
        contributors=[
            Contributor("Zia Fazal", "ziafazal", "Edly by Arbisoft", ("openedx/edx-platform",)),
            Contributor("<script>document.title='owned'</script>", "mallory-h", None, ("openedx/a|b",)),
            Contributor("Régis Behmo", "regisb", "Overhang.IO", ("openedx/devstack", "openedx/edx-toggles")),
        ],
        series=ResponsivenessSeries(weeks=weeks, target=dt.timedelta(days=1)),
    )


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Root (as in CI) needs --no-sandbox; a throwaway profile keeps runs apart.
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={cwd / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def test_a_visitor_sees_the_names_the_chart_and_no_contact_details(tmp_path: Path) -> None:
    files = page_files(_page())
    page = tmp_path / "index.html"
    page.write_bytes(files["index.html"])
    save_artifact(tmp_path, "public-page-browser.html", files["index.html"])
    dom = _chromium("--dump-dom", page.as_uri(), cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shown = dom.stdout
    assert "<title>Core Contributors</title>" in shown, "no script ran to change the title"
    assert len(re.findall(r"<script", shown, flags=re.IGNORECASE)) == 0, "the hostile name is text, not a tag"
    assert "&lt;script&gt;document.title='owned'&lt;/script&gt;" in shown
    for name in (
        "Zia Fazal",
        "Edly by Arbisoft",
        "Régis Behmo",
        "openedx/a|b",
        "How to become a core contributor",
    ):
        assert name in shown, name
    assert "@" not in re.sub(r'src="data:[^"]+"', "", shown), "no e-mail address anywhere"
    assert re.search(r'<img id="chart" src="data:image/png;base64,', shown), "the chart is in the page"

    shot = tmp_path / "screenshot.png"
    taken = _chromium(f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri(), cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    save_artifact(tmp_path, "public-page-screenshot.png", data)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    red = tuple(int(TARGET_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    reds = sum(
        1
        for y in range(0, HEIGHT, 2)
        for x in range(0, WIDTH, 2)
        if all(abs(a - b) <= 30 for a, b in zip(image.getpixel((x, y)), red, strict=True))  # type: ignore[arg-type]
    )
    assert reds > 100, "the chart's red target line is drawn on the screen"
