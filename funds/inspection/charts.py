"""Execution against time progress across townships, as inline SVG (no script, nothing
from another host; as funds.budget.charts): one bar per township, its execution rate,
and the line of the share of the year elapsed. A township more than the set points
behind is drawn as behind; every bar is labelled with its rate."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from wanyuan.money import format_percent

ROW = 16
LABEL = 96
PLOT = 420


def execution_against_time(rows, *, time: Decimal, behind_points: Decimal, title: str
                           ) -> SafeString:
    """``rows``: dicts with ``name``, ``execution`` and ``gap`` (points), in the order
    to draw them."""
    height = 34 + ROW * len(rows)
    scale = PLOT  # 100 % is the plot's width; a rate above it is drawn to the edge

    def x(fraction) -> str:
        return f"{LABEL + min(float(fraction), 1.2) / 1.2 * scale:.1f}"

    bars = format_html_join("", (
        '<g class="{}"><text x="{}" y="{}" class="label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="value">{}</text></g>'), (
        ("bar behind" if row["gap"] > behind_points else "bar",
         LABEL - 6, 24 + ROW * i + 11, row["name"],
         LABEL, 24 + ROW * i + 2, f"{float(x(row['execution'])) - LABEL:.1f}", ROW - 5,
         row["name"], format_percent(row["execution"]),
         f"{float(x(row['execution'])) + 4:.1f}", 24 + ROW * i + 11,
         format_percent(row["execution"]))
        for i, row in enumerate(rows)))
    line = format_html(
        '<line class="time" x1="{}" x2="{}" y1="18" y2="{}"/>'
        '<text class="time" x="{}" y="13">{}</text>',
        x(time), x(time), height - 4, x(time),
        _("time progress %(time)s") % {"time": format_percent(time)})
    axis = format_html_join("", '<line class="grid" x1="{}" x2="{}" y1="20" y2="{}"/>'
                                '<text class="tick" x="{}" y="{}">{}</text>',
                            ((x(f), x(f), height - 4, x(f), height, f"{int(f * 100)}%")
                             for f in (0, 0.5, 1)))
    width = LABEL + scale + 70
    return format_html(
        '<svg class="chart behind-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}</svg>',
        width, height + 4, title, title, axis, bars, line)
