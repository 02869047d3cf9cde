"""The program's public page as Markdown (index.md) and as one standalone HTML file (index.html).

Pure builders: a `ProgramPage` in, text out. Every field from the roster is escaped for where it lands
(Markdown or HTML), so a name like `<script>`, `](javascript:…)` or `a|b` shows as typed and does nothing.
The admins' "how to join" text is their Markdown: put as it is into index.md, and into index.html through a
small converter that escapes everything and only makes headings, lists, emphasis, code and http(s) links.
"""

from __future__ import annotations

import base64
import html
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from bot.views.text import duration

if TYPE_CHECKING:
    from bot.types.publish import Contributor, ProgramPage

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Markdown's punctuation that can start emphasis, code, links, images, tables, headings or strikethrough.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()|~!#{}+])")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
STRONG = re.compile(r"\*\*(.+?)\*\*")
EMPHASIS = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
CODE = re.compile(r"`([^`]+)`")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")

STYLE = """
body { margin: 0; background: #f6f7f9; color: #1d2330; font: 16px/1.55 "DejaVu Sans", system-ui, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 32px 24px 48px; background: #fff; }
h1 { font-size: 2rem; margin: 0 0 16px; }
h2 { font-size: 1.35rem; margin: 36px 0 12px; border-bottom: 1px solid #e3e6eb; padding-bottom: 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.number, th.number { text-align: right; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e6eb; }
figcaption { color: #5b6475; font-size: 0.9rem; }
code { background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
.repos { color: #3a4355; }
"""


def _clean(value: str) -> str:
    """Return one line of text: control characters gone, whitespace runs as one space."""
    return " ".join(CONTROL.sub(" ", value).split())


def markdown_text(value: str) -> str:
    """Return text that Markdown (GitHub's too) shows as typed: no emphasis, link, image, table cell, HTML tag,
    autolink or e-mail link can come of it."""
    text = MARKDOWN_SPECIAL.sub(r"\\\1", _clean(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # GitHub makes links of bare URLs, www. names and e-mail addresses: entities keep them text.
    return text.replace(":", "&#58;").replace("@", "&#64;").replace("www.", "www&#46;")


def html_text(value: str) -> str:
    """Return text escaped for HTML content or a quoted attribute."""
    return html.escape(_clean(value), quote=True)


def _profile_url(web_url: str, login: str) -> str:
    return f"{web_url.rstrip('/')}/{quote(login, safe='')}"


def _span(page: ProgramPage, index: int) -> str:
    value = page.series.weeks[index].first_response.p75
    return duration(value) if value is not None else "—"


def _repos(contributor: Contributor) -> str:
    return ", ".join(contributor.repos) if contributor.repos else "—"


def page_markdown(page: ProgramPage, *, chart_file: str = "chart.png") -> str:
    """Return the page as Markdown: the admins' text, the contributors' table and the weekly numbers."""
    lines = [f"# {markdown_text(page.title)}", "", page.about.strip(), ""]
    lines += [f"## Current core contributors ({len(page.contributors)})", ""]
    if page.contributors:
        lines += ["| Name | GitHub | Organisation | Repositories |", "| --- | --- | --- | --- |"]
        for person in page.contributors:
            login = markdown_text(person.github)
            lines.append(
                f"| {markdown_text(person.name or person.github)} "
                f"| [{login}](<{_profile_url(page.web_url, person.github)}>) "
                f"| {markdown_text(person.organization or '—')} "
                f"| {markdown_text(_repos(person))} |"
            )
    else:
        lines.append("Nobody yet.")
    target = duration(page.series.target)
    lines += [
        "",
        "## The program's numbers",
        "",
        f"Time to first response to a core contributor's question, 75th percentile by week, against the "
        f"target of {target} (business time).",
        "",
        f"![Time to first response, 75th percentile, by week, against the target of {target}]({chart_file})",
        "",
        "| Week | Asked | Answered | First response (75th percentile) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for index, week in enumerate(page.series.weeks):
        lines.append(f"| {week.week} | {week.asked} | {week.answered} | {_span(page, index)} |")
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    """Return one line of the admins' Markdown as HTML: escaped, then emphasis, code and http(s) links."""
    escaped = html.escape(text, quote=True)
    escaped = CODE.sub(lambda m: f"<code>{m[1]}</code>", escaped)
    escaped = STRONG.sub(lambda m: f"<strong>{m[1]}</strong>", escaped)
    escaped = EMPHASIS.sub(lambda m: f"<em>{m[1]}</em>", escaped)
    return LINK.sub(lambda m: f'<a href="{m[2]}" rel="nofollow">{m[1]}</a>', escaped)


def about_html(markdown: str) -> str:
    """Return the admins' Markdown as HTML: headings, bullet lists, paragraphs, emphasis, code, http(s) links."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{' '.join(_inline(line) for line in paragraph)}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for raw in markdown.splitlines():
        line = CONTROL.sub("", raw).rstrip()
        heading, item = HEADING.match(line.strip()), ITEM.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            level = min(6, len(heading[1]) + 1)  # the page's own title is the one h1
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif item:
            if paragraph:
                flush()
            items.append(item[1])
        elif items and raw.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return "\n".join(out)


def page_html(page: ProgramPage, chart_png: bytes, chart_alt: str) -> str:
    """Return the page as one standalone HTML file: inline CSS, the chart as a data: URI, no script at all."""
    chart = base64.b64encode(chart_png).decode("ascii")
    target = duration(page.series.target)
    rows = "\n".join(
        "<tr>"
        f"<td>{html_text(person.name or person.github)}</td>"
        f'<td><a href="{html_text(_profile_url(page.web_url, person.github))}">{html_text(person.github)}</a></td>'
        f"<td>{html_text(person.organization or '—')}</td>"
        f'<td class="repos">{html_text(_repos(person))}</td>'
        "</tr>"
        for person in page.contributors
    )
    contributors = (
        "<table><thead><tr><th>Name</th><th>GitHub</th><th>Organisation</th><th>Repositories</th></tr></thead>"
        f"<tbody>\n{rows}\n</tbody></table>"
        if page.contributors
        else "<p>Nobody yet.</p>"
    )
    weeks = "\n".join(
        f'<tr><td>{week.week}</td><td class="number">{week.asked}</td><td class="number">{week.answered}</td>'
        f'<td class="number">{html_text(_span(page, index))}</td></tr>'
        for index, week in enumerate(page.series.weeks)
    )
    title = html_text(page.title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<section id="about">
{about_html(page.about)}
</section>
<section id="contributors">
<h2>Current core contributors ({len(page.contributors)})</h2>
{contributors}
</section>
<section id="numbers">
<h2>The program's numbers</h2>
<p>Time to first response to a core contributor's question, 75th percentile by week, against the target of
{html_text(target)} (business time).</p>
<figure>
<img id="chart" src="data:image/png;base64,{chart}" width="960" height="480" alt="{html_text(chart_alt)}">
<figcaption>The dashed red line is the target; the bars are the questions asked and answered each week.</figcaption>
</figure>
<table>
<thead><tr><th>Week</th><th class="number">Asked</th><th class="number">Answered</th><th class="number">First response (75th percentile)</th></tr></thead>
<tbody>
{weeks}
</tbody>
</table>
</section>
</main>
</body>
</html>
"""
