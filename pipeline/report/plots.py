"""The report's charts: matplotlib figures written as inline SVG.

Every chart is drawn on a ``matplotlib.figure.Figure`` (no pyplot, no
global state, no display) and returned as an ``<svg>`` element to put
straight into the page: text stays text (``svg.fonttype = none``), the
figure is cropped to what it draws (``bbox_inches="tight"``), and the XML
prolog and DOCTYPE, which name a DTD on the web, are cut off, so the page
loads nothing.
"""

import io
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import matplotlib
from matplotlib.figure import Figure

# Figure sizes in inches (SVG points are 1/72 inch).
_SMALL = (3.4, 1.5)
_WIDE = (7.5, 2.8)
_PANEL = (3.4, 2.5)
_STYLE = {
    "svg.fonttype": "none",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
# Colours: the new model stands out, the served model is black, baselines are muted.
MODEL_COLOUR = "#1f5fbf"
SERVED_COLOUR = "#000000"
_OTHER_COLOURS = ("#e07b39", "#3a9d5d", "#9b59b6", "#c0392b", "#7f8c8d", "#b8860b")
SPLIT_COLOURS = {"train": "#1f5fbf", "eval": "#e07b39"}
MUTED_COLOUR = "#b0b0b0"

Series = Tuple[Sequence[float], Sequence[float]]


def to_svg(figure: Figure) -> str:
    """Writes a figure as an inline ``<svg>`` element.

    Args:
      figure: The figure.

    Returns:
      The SVG markup, starting at ``<svg``.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _colours(names: Sequence[str], highlighted: Mapping[str, str]) -> Dict[str, str]:
    others = iter(_OTHER_COLOURS * (1 + len(names) // len(_OTHER_COLOURS)))
    return {name: highlighted.get(name) or next(others) for name in names}


def curve_panels(
    panels: Sequence[Tuple[str, Optional[Mapping[str, Series]]]],
    columns: int,
    ylabel: str,
    highlighted: Mapping[str, str],
    dashed: Sequence[str] = (),
) -> str:
    """A grid of panels, each a set of curves over k (log axis).

    Args:
      panels: ``(title, {line label: (ks, values)})`` per panel, row by row,
        filling the grid; None for a panel without data (it says so).
      columns: Panels per row.
      ylabel: The y axis' label.
      highlighted: Line label -> colour of lines drawn thick (the others
        get the muted palette).
      dashed: Line labels drawn dashed.

    Returns:
      The chart as SVG.
    """
    rows = -(-len(panels) // columns)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(_PANEL[0] * columns, _PANEL[1] * rows))
        axes = figure.subplots(rows, columns, squeeze=False, sharey=True)
        labels = list(dict.fromkeys(label for _, lines in panels for label in (lines or {})))
        colours = _colours(labels, highlighted)
        for ax, (title, lines) in zip(axes.flat, panels):
            ax.set_title(title)
            if lines is None:
                ax.set_axis_off()
                ax.text(0.5, 0.5, "no ratings", ha="center", va="center", transform=ax.transAxes)
                continue
            ax.set_xscale("log")
            ax.grid(True, alpha=0.3)
            for label, (ks, values) in lines.items():
                ax.plot(
                    ks, values, marker="o", markersize=3, label=label, color=colours[label],
                    linewidth=2.4 if label in highlighted else 1.0,
                    linestyle="--" if label in dashed else "-",
                )
            ks = next(iter(lines.values()))[0]
            ax.set_xticks(list(ks))
            ax.set_xticklabels([str(k) for k in ks])
            ax.set_xlabel("k")
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        handles, names = [], []
        for ax in axes.flat:
            for handle, name in zip(*ax.get_legend_handles_labels()):
                if name not in names:
                    handles.append(handle)
                    names.append(name)
        figure.legend(handles, names, loc="upper center", ncol=min(len(names), 6),
                      bbox_to_anchor=(0.5, 1.04))
        figure.tight_layout()
        return to_svg(figure)


def lines(
    series: Mapping[str, Series],
    xlabel: str,
    ylabel: str,
    xticks: Optional[Sequence[float]] = None,
    xticklabels: Optional[Sequence[str]] = None,
    marked: Optional[Mapping[str, Sequence[bool]]] = None,
    highlighted: Optional[Mapping[str, str]] = None,
) -> str:
    """A line chart.

    Args:
      series: Line label -> ``(xs, ys)``.
      xlabel: The x axis' label.
      ylabel: The y axis' label.
      xticks: Tick positions (default: matplotlib's).
      xticklabels: Tick labels for ``xticks``.
      marked: Line label -> per point, whether it gets a large star (e.g.
        runs that pushed a model).
      highlighted: Line label -> colour of lines drawn thick.

    Returns:
      The chart as SVG.
    """
    highlighted = highlighted or {}
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=_WIDE)
        ax = figure.subplots()
        colours = _colours(list(series), highlighted)
        for label, (xs, ys) in series.items():
            ax.plot(xs, ys, marker="o", markersize=3, label=label, color=colours[label],
                    linewidth=2.2 if label in highlighted else 1.0)
            stars = [(x, y) for x, y, star in zip(xs, ys, (marked or {}).get(label, [])) if star]
            if stars:
                ax.plot(*zip(*stars), linestyle="none", marker="*", markersize=11,
                        color=colours[label])
        if xticks is not None:
            ax.set_xticks(list(xticks))
            if xticklabels is not None:
                ax.set_xticklabels(list(xticklabels), rotation=30, ha="right")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
        return to_svg(figure)


def horizontal_bars(
    labels: Sequence[str], values: Sequence[float], muted: Sequence[bool], xlabel: str
) -> str:
    """Horizontal bars, first label on top.

    Args:
      labels: Bar labels.
      values: Bar lengths.
      muted: Per bar, whether it is drawn grey (e.g. a cached component).
      xlabel: The x axis' label.

    Returns:
      The chart as SVG.
    """
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(_WIDE[0], 0.3 * len(labels) + 0.6))
        ax = figure.subplots()
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values,
                color=[MUTED_COLOUR if grey else MODEL_COLOUR for grey in muted])
        ax.set_yticks(positions)
        ax.set_yticklabels(list(labels))
        for position, value in zip(positions, values):
            ax.text(value, position, f" {value:.1f}", va="center")
        ax.set_xlabel(xlabel)
        return to_svg(figure)


def split_histograms(histograms: Mapping[str, Series]) -> str:
    """Each split's histogram of one feature, as shares of its values.

    Args:
      histograms: Split -> ``(bucket edges, share per bucket)``
        (``len(edges) == len(shares) + 1``).

    Returns:
      The chart as SVG.
    """
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=_SMALL)
        ax = figure.subplots()
        for split, (edges, shares) in histograms.items():
            ax.stairs(shares, edges, label=split, color=SPLIT_COLOURS.get(split), linewidth=1.4)
        ax.set_ylabel("share")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(histograms))
        return to_svg(figure)


def split_top_values(values: List[str], shares: Mapping[str, Sequence[float]]) -> str:
    """The most frequent values of one feature, each split's share of them.

    Args:
      values: The values, most frequent first.
      shares: Split -> share of its examples per value.

    Returns:
      The chart as SVG.
    """
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(_SMALL[0], 0.22 * len(values) + 0.7))
        ax = figure.subplots()
        rows = [len(values) - 1 - row for row in range(len(values))]
        height = 0.8 / len(shares)
        for index, (split, split_shares) in enumerate(shares.items()):
            offset = (index - (len(shares) - 1) / 2) * height
            ax.barh([row + offset for row in rows], split_shares, height=height, label=split,
                    color=SPLIT_COLOURS.get(split))
        ax.set_yticks(rows)
        ax.set_yticklabels([value if len(value) <= 28 else value[:27] + "…" for value in values])
        ax.set_xlabel("share")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(shares))
        return to_svg(figure)
