"""Charts drawn on the server as inline SVG: no script, nothing from another host.

Each chart is a small pure function from plain data to markup, so it prints like the
rest of the page and can be tested without a browser. Every text in the data goes
through ``format_html``; every mark carries a ``<title>`` so a screen reader or a
hover tells the value, and every bar segment is labelled with its number so that the
chart stays readable when printed in black and white.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from townships.models import Category
from townships.rules import Decision, Move

CATEGORY_CLASSES = {c: f"tier-{c}" for c in Category.values}


@dataclass(frozen=True)
class Bar:
    """One stacked bar: a label under it and a value per category."""

    label: str
    values: dict[int, Decimal | int]


def _r(value: float) -> str:
    """A coordinate with one decimal: short markup, no visible rounding."""
    return f"{value:.1f}"


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(width: int, height: int, title: str, body: SafeString, css_class: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        css_class, width, height, title, title, body,
    )


def _legend(x: int, y: int, entries: Sequence[tuple[str, str]]) -> SafeString:
    return format_html_join(
        "", '<g class="legend"><rect x="{}" y="{}" width="12" height="12" class="{}"/>'
            '<text x="{}" y="{}">{}</text></g>',
        ((x + i * 90, y, css, x + i * 90 + 16, y + 11, label)
         for i, (css, label) in enumerate(entries)),
    )


def stacked_bars(
    bars: Sequence[Bar], *, title: str, value_format: Callable[[Decimal | int], str],
    width: int = 520, height: int = 240,
) -> SafeString:
    """Bars stacked by category, 一类 at the bottom, each segment labelled."""
    if not bars:
        return SafeString("")
    top, bottom, left = 28, 36, 12
    plot_height = height - top - bottom
    largest = max(sum(bar.values.values()) for bar in bars) or 1
    slot = (width - 2 * left) / len(bars)
    bar_width = min(64.0, slot * 0.6)
    parts = []
    for i, bar in enumerate(bars):
        x = left + i * slot + (slot - bar_width) / 2
        y = top + plot_height
        for category in Category.values:
            value = bar.values.get(category, 0)
            if not value:
                continue
            h = plot_height * float(value) / float(largest)
            y -= h
            label = f"{Category(category).label} {value_format(value)}"
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="{}">'
                "<title>{} · {}</title></rect>",
                _r(x), _r(y), _r(bar_width), _r(h), CATEGORY_CLASSES[category], bar.label, label,
            ))
            if h >= 14:
                parts.append(format_html(
                    '<text x="{}" y="{}" class="segment-label">{}</text>',
                    _r(x + bar_width / 2), _r(y + h / 2 + 4), value_format(value),
                ))
        total = sum(bar.values.values())
        parts.append(format_html(
            '<text x="{}" y="{}" class="bar-total">{}</text>'
            '<text x="{}" y="{}" class="axis-label">{}</text>',
            _r(x + bar_width / 2), _r(y - 4), value_format(total),
            _r(x + bar_width / 2), height - bottom + 16, bar.label,
        ))
    parts.append(format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>',
        left, top + plot_height, width - left, top + plot_height,
    ))
    parts.append(_legend(left, height - 14, [
        (CATEGORY_CLASSES[c], str(Category(c).label)) for c in Category.values
    ]))
    return _svg(width, height, title, _join(parts), "stacked-bars")


MOVE_CLASSES = {Move.PROMOTED: "promoted", Move.DEMOTED: "demoted"}


def rank_against_category(
    decisions: Sequence[Decision], *, title: str, promote_count: int, demote_count: int,
    width: int = 720, height: int = 190,
) -> SafeString:
    """Each ranked township at (rank, category), with an arrow to its next category.

    The promotion and demotion zones are shaded; the arrow of a promoted township points
    up (green), of a demoted one down (red), so "who moved" reads at a glance.
    """
    ranked = [d for d in decisions if d.rank is not None and d.old_category is not None]
    if not ranked:
        return SafeString("")
    left, right, top, bottom = 56, 16, 16, 50
    count = max(d.ranked_count for d in ranked)
    step = (width - left - right) / max(count, 1)
    rows = {c: top + (c - 1) * (height - top - bottom) / 2 for c in Category.values}

    def x_of(rank: int) -> float:
        return left + (rank - 0.5) * step

    parts = []
    if promote_count:
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="zone-promote">'
            "<title>{}</title></rect>",
            left, top - 10, _r(promote_count * step), height - top - bottom + 20,
            _("Promotion zone: ranks 1–%(n)s") % {"n": promote_count},
        ))
    if demote_count:
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="zone-demote">'
            "<title>{}</title></rect>",
            _r(left + (count - demote_count) * step), top - 10, _r(demote_count * step),
            height - top - bottom + 20,
            _("Demotion zone: the last %(n)s ranks") % {"n": demote_count},
        ))
    for category, y in rows.items():
        parts.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
            '<text x="{}" y="{}" class="row-label">{}</text>',
            left, _r(y), width - right, _r(y), left - 8, _r(y + 4), Category(category).label,
        ))
    for d in sorted(ranked, key=lambda d: d.rank):
        x, y = x_of(d.rank), rows[d.old_category]
        move_class = MOVE_CLASSES.get(d.move, "")
        if d.changed and d.new_category is not None:
            y_to = rows[d.new_category] + (8 if d.new_category < d.old_category else -8)
            parts.append(format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="arrow {}" '
                'marker-end="url(#arrow-{})"/>',
                _r(x), _r(y), _r(x), _r(y_to), move_class, move_class,
            ))
        parts.append(format_html(
            '<circle cx="{}" cy="{}" r="4.5" class="{} {}"><title>{}: {}</title>'
            "</circle>",
            _r(x), _r(y), CATEGORY_CLASSES[d.old_category], move_class, d.label, d.reason,
        ))
    for rank in sorted({1, count, *range(10, count, 10)}):
        parts.append(format_html(
            '<text x="{}" y="{}" class="axis-label">{}</text>',
            _r(x_of(rank)), height - bottom + 16, rank,
        ))
    parts.append(format_html(
        '<text x="{}" y="{}" class="axis-title">{}</text>',
        _r(left + (width - left - right) / 2), height - bottom + 32, _("Rank in the assessment"),
    ))
    markers = SafeString(  # a constant: no data in it
        '<defs>'
        '<marker id="arrow-promoted" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="promoted"/></marker>'
        '<marker id="arrow-demoted" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="demoted"/></marker>'
        '</defs>'
    )
    legend = _legend(left, height - 12, [
        ("promoted", _("Moves up")), ("demoted", _("Moves down")),
    ])
    body = markers + _join(parts) + legend
    return _svg(width, height, title, body, "rank-chart")
