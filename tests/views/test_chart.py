"""The responsiveness chart: a PNG of fixed size that decodes, the same bytes for the same numbers, the target
line where the target is, and the numbers in words for whoever cannot see it."""

from __future__ import annotations

import datetime as dt
import io
import struct
from pathlib import Path

from PIL import Image

from bot.types.responsiveness import Percentiles, ResponsivenessSeries, WeekResponsiveness
from bot.views.chart import (
    DPI,
    FRAME,
    HEIGHT,
    P75_COLOUR,
    TARGET_COLOUR,
    WIDTH,
    chart_alt_text,
    chart_png,
    chart_scale,
)
from tests.artifacts import save_artifact

P75_HOURS = [3, 5, 8, 30, None, 12, 6, 4, 20, 9, 7, 2]


def series(target: dt.timedelta = dt.timedelta(hours=24)) -> ResponsivenessSeries:
    start = dt.date(2026, 9, 14)
    weeks = [
        WeekResponsiveness(
            start=start + dt.timedelta(weeks=i),
            asked=3 + i % 5,
            answered=2 + i % 4,
            first_response=Percentiles(p75=None if hours is None else dt.timedelta(hours=hours), count=3),
        )
        for i, hours in enumerate(P75_HOURS)
    ]
    return ResponsivenessSeries(weeks=weeks, target=target)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def _y(hours: float, scale: float) -> float:
    bottom, top = HEIGHT * (1 - FRAME[1]), HEIGHT * (1 - FRAME[3])
    return bottom - hours / scale * (bottom - top)


def _x(index: int, weeks: int) -> float:
    left, right = WIDTH * FRAME[0], WIDTH * FRAME[2]
    return left + (index + 0.6) / weeks * (right - left) * weeks / (weeks + 0.2)


def _chunks(png: bytes) -> list[bytes]:
    names, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        names.append(png[at + 4 : at + 8])
        at += 12 + length
    return names


def test_the_chart_is_a_fixed_size_png_drawn_the_same_every_time(tmp_path: Path) -> None:
    png = chart_png(series())
    path = save_artifact(tmp_path, "responsiveness-chart.png", png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(path) as image:
        image.load()
        assert image.size == (WIDTH, HEIGHT)
        assert image.format == "PNG"
    assert chart_png(series()) == png, "the same numbers make the same bytes"
    chunks = _chunks(png)
    assert b"tIME" not in chunks, "no timestamp in the file"
    assert b"Software" not in png, "nor the program that drew it"
    assert b"matplotlib" not in png.lower()
    assert DPI == 100


def test_the_target_line_crosses_the_plot_where_the_target_is(tmp_path: Path) -> None:
    data = series()
    png = chart_png(data)
    save_artifact(tmp_path, "responsiveness-chart-target.png", png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    red = _rgb(TARGET_COLOUR)
    rows = {
        y: sum(_near(image.getpixel((x, y)), red) for x in range(WIDTH))
        for y in range(HEIGHT)  # type: ignore[misc]
    }
    line = [y for y, count in rows.items() if count > WIDTH * 0.4]
    assert line, "a long red line across the plot"
    expected = _y(24, chart_scale(data))
    assert abs(sum(line) / len(line) - expected) <= 2.5, (line, expected)
    # A lower target draws lower: the line follows the number, not a fixed place.
    lower = series(dt.timedelta(hours=4))
    image = Image.open(io.BytesIO(chart_png(lower))).convert("RGB")
    row = round(_y(4, chart_scale(lower)))
    assert sum(_near(image.getpixel((x, row)), red) for x in range(WIDTH)) > WIDTH * 0.4  # type: ignore[misc]


def test_each_measured_week_is_a_point_on_the_75th_percentile_line() -> None:
    data = series()
    image = Image.open(io.BytesIO(chart_png(data))).convert("RGB")
    blue = _rgb(P75_COLOUR)
    scale = chart_scale(data)
    for index, hours in enumerate(P75_HOURS):
        if hours is None:
            continue
        x, y = round(_x(index, len(P75_HOURS))), round(_y(hours, scale))
        around = [image.getpixel((x + dx, y + dy)) for dx in (-2, 0, 2) for dy in (-2, 0, 2)]
        assert any(_near(p, blue) for p in around), (index, hours, x, y)  # type: ignore[arg-type]


def test_the_alt_text_gives_every_weeks_numbers_and_the_target() -> None:
    text = chart_alt_text(series())
    assert "target of 1d" in text
    assert "2026-W38: 3 asked, 2 answered, 75th percentile 3h" in text
    assert "2026-W41: 6 asked, 5 answered, 75th percentile 1d 6h" in text
    assert "2026-W42: 7 asked, 2 answered, 75th percentile none measured" in text
    assert len(text) <= 1000
