"""The responsiveness chart: twelve weeks of first response (75th percentile, against the target) and questions.

A pure renderer: a `ResponsivenessSeries` in, PNG bytes out, drawn with matplotlib's Agg backend at a fixed
size with matplotlib's own DejaVu Sans and no timestamp in the file, so the same numbers give the same bytes
(the public page's pull request only changes when the numbers do).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import threading
from typing import TYPE_CHECKING

from bot.views.text import duration

if TYPE_CHECKING:
    from bot.types.responsiveness import ResponsivenessSeries

WIDTH, HEIGHT, DPI = 960, 480, 100
# The target line's colour: drawn nowhere else, so a reader (and a test) can tell it from the rest.
TARGET_COLOUR = "#d62728"
P75_COLOUR = "#1f4e9c"
ASKED_COLOUR = "#b9c7dd"
ANSWERED_COLOUR = "#7fa37f"
# The plot's frame in pixels (left, bottom, right, top as fractions of the figure), fixed for every series.
FRAME = (0.08, 0.17, 0.92, 0.86)
# matplotlib's pyplot-free API is thread-safe per figure, but its font cache and rcParams are process-wide.
_LOCK = threading.Lock()


def _hours(value: dt.timedelta | None) -> float:
    return math.nan if value is None else value.total_seconds() / 3600


def chart_scale(series: ResponsivenessSeries) -> float:
    """Return the top of the hours axis: room above the target and the slowest week."""
    slowest = max((_hours(w.first_response.p75) for w in series.weeks if w.first_response.p75), default=0.0)
    return max(_hours(series.target) * 1.5, slowest * 1.15, 1.0)


def count_scale(series: ResponsivenessSeries) -> float:
    """Return the top of the questions axis."""
    return max(max((max(w.asked, w.answered) for w in series.weeks), default=0) * 1.25, 4.0)


def _label(start: dt.date) -> str:
    week = start.isocalendar()[1]
    return f"W{week:02d}\n{start:%d %b}"


def chart_png(series: ResponsivenessSeries) -> bytes:
    """Return the chart as a 960 by 480 PNG: bars of questions asked and answered per week (right axis), the 75th
    percentile of time to first response in hours (left axis) and the target as a dashed red line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with (
        _LOCK,
        matplotlib.rc_context(
            {
                "font.family": "DejaVu Sans",
                "font.size": 10,
                "axes.unicode_minus": False,
                "svg.hashsalt": "ccbot",
                "path.simplify": False,
            }
        ),
    ):
        figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
        left, bottom, right, top = FRAME
        hours = figure.add_axes((left, bottom, right - left, top - bottom))
        counts = hours.twinx()
        # The hours (line and target) are drawn over the bars.
        hours.set_zorder(counts.get_zorder() + 1)
        hours.patch.set_visible(False)
        xs = list(range(len(series.weeks)))
        width = 0.38
        counts.bar(
            [x - width / 2 for x in xs],
            [w.asked for w in series.weeks],
            width,
            color=ASKED_COLOUR,
            label="asked",
        )
        counts.bar(
            [x + width / 2 for x in xs],
            [w.answered for w in series.weeks],
            width,
            color=ANSWERED_COLOUR,
            label="answered",
        )
        counts.set_ylim(0, count_scale(series))
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))
        counts.set_ylabel("questions per week")
        target = _hours(series.target)
        hours.axhline(target, color=TARGET_COLOUR, linestyle=(0, (6, 3)), linewidth=2, label="target")
        hours.plot(
            xs,
            [_hours(w.first_response.p75) for w in series.weeks],
            color=P75_COLOUR,
            marker="o",
            linewidth=2.5,
            label="first response, 75th percentile",
        )
        hours.set_ylim(0, chart_scale(series))
        hours.set_xlim(-0.6, max(len(xs), 1) - 0.4)
        hours.set_ylabel("hours (business time)")
        hours.set_xticks(xs, [_label(w.start) for w in series.weeks])
        hours.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        hours.set_title(
            f"Time to first response (75th percentile) against the target of {duration(series.target)}",
            fontsize=12,
        )
        handles = hours.get_legend_handles_labels()[0] + counts.get_legend_handles_labels()[0]
        hours.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.13),
            ncol=4,
            frameon=False,
        )
        out = io.BytesIO()
        # No "Software" nor time in the file: the same numbers make the same bytes.
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def chart_alt_text(series: ResponsivenessSeries) -> str:
    """Return the chart's numbers in words (its alt text and text fallback), at most 1,000 characters."""
    weeks = []
    for week in series.weeks:
        p75 = week.first_response.p75
        seen = duration(p75) if p75 is not None else "none measured"
        weeks.append(f"{week.week}: {week.asked} asked, {week.answered} answered, 75th percentile {seen}")
    text = (
        f"Time to first response, 75th percentile, by week against a target of {duration(series.target)}. "
        + "; ".join(weeks)
        + "."
    )
    return text if len(text) <= 1000 else text[:999] + "…"
