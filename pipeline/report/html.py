"""Small HTML builders for the report: escaped text, tables, sections, the page.

Everything the page needs is in it: the style sheet is inline, charts are
inline SVG, and there is no script. Only ``escape``d text and markup built
here (or SVG from ``plots``) goes into a page.
"""

import html
from typing import Iterable, Optional, Sequence, Tuple

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1240px; padding: 0 18px 40px;
       color: #1d1d1f; }
h1 { margin: 20px 0 4px; } h2 { margin-top: 34px; border-bottom: 2px solid #1f5fbf; padding-bottom: 3px; }
h3 { margin: 22px 0 6px; } h4 { margin: 12px 0 4px; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.figure { margin: 8px 0 14px; overflow-x: auto; }
.figure svg { max-width: 100%; height: auto; }
.cell-figure svg { width: 240px; height: auto; }
.note { color: #555; }
.good { color: #17753a; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
.hit { background: #e3f4e8; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.card b { display: block; font-size: 18px; }
.columns { display: flex; flex-wrap: wrap; gap: 18px; } .columns > div { flex: 1 1 300px; }
details { margin: 6px 0; } summary { cursor: pointer; color: #1f5fbf; }
"""

Cell = Tuple[str, str]  # (markup, CSS class)


def escape(text: object) -> str:
    """Text (any value, via ``str``) as HTML."""
    return html.escape(str(text))


def number(value: Optional[float], digits: int = 4) -> Cell:
    """A right-aligned number cell (``-`` for None).

    Args:
      value: The number.
      digits: Digits after the point (0: an integer with thousands commas).

    Returns:
      The cell.
    """
    if value is None:
        return "-", "num"
    return (f"{value:,.0f}" if digits == 0 else f"{value:.{digits}f}"), "num"


def text(value: object) -> Cell:
    """A text cell, escaped."""
    return escape(value), ""


def markup(value: str, css_class: str = "") -> Cell:
    """A cell of ready markup (built by this module or ``plots``)."""
    return value, css_class


def table(header: Sequence[str], rows: Iterable[Sequence[Cell]], row_classes: Sequence[str] = ()) -> str:
    """A table.

    Args:
      header: Column titles (escaped here).
      rows: Rows of cells (``number``, ``text`` or ``markup``).
      row_classes: CSS class per row (optional; e.g. ``hit``).

    Returns:
      The table's markup.
    """
    head = "".join(f"<th>{escape(title)}</th>" for title in header)
    body = []
    for index, row in enumerate(rows):
        css = row_classes[index] if index < len(row_classes) else ""
        cells = "".join(
            f'<td class="{css_class}">{content}</td>' if css_class else f"<td>{content}</td>"
            for content, css_class in row
        )
        body.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(svg: str, caption: str = "") -> str:
    """A chart with an optional caption (escaped)."""
    note = f'<div class="note">{escape(caption)}</div>' if caption else ""
    return f'<div class="figure">{svg}{note}</div>'


def paragraph(content: str, css_class: str = "") -> str:
    """A paragraph of text (escaped)."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{escape(content)}</p>"


def bullet_list(items: Iterable[str]) -> str:
    """A list of text items (escaped)."""
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def cards(items: Iterable[Tuple[str, str, str]]) -> str:
    """Headline numbers as cards.

    Args:
      items: ``(label, value, CSS class of the value)``, both texts escaped.

    Returns:
      The cards' markup.
    """
    return '<div class="cards">' + "".join(
        f'<div class="card">{escape(label)}<b class="{css}">{escape(value)}</b></div>'
        for label, value, css in items
    ) + "</div>"


def details(summary: str, content: str) -> str:
    """A folded block: ``summary`` (escaped) opens ``content`` (markup)."""
    return f"<details><summary>{escape(summary)}</summary>{content}</details>"


def section(anchor: str, title: str, content: str) -> str:
    """A top-level section with an anchor for the page's navigation."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{content}</section>'


def subsection(title: str, content: str, level: int = 3) -> str:
    """A titled part of a section (``level`` 4: a part of a part)."""
    return f"<h{level}>{escape(title)}</h{level}>{content}"


def page(title: str, intro: str, sections: Sequence[Tuple[str, str, str]]) -> str:
    """The whole page.

    Args:
      title: The page title (escaped).
      intro: Markup under the title.
      sections: ``(anchor, title, content markup)`` per section, in order.

    Returns:
      A complete HTML document.
    """
    nav = "".join(f'<a href="#{escape(anchor)}">{escape(name)}</a>' for anchor, name, _ in sections)
    body = "".join(section(anchor, name, content) for anchor, name, content in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{intro}<nav>{nav}</nav>{body}</body></html>\n"
    )
