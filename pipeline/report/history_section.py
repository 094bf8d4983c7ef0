"""The report's history section: key numbers and pushes of every run in the work directory."""

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence

from components.retrieval_evaluator import spec
from pipeline.report import html, plots

_MOST_TICKS = 20


def _value(numbers: Optional[Mapping[str, Mapping[str, float]]], family: str, k: int) -> float:
    if not numbers or str(k) not in numbers[family]:
        return math.nan
    return numbers[family][str(k)]


def _best_baseline(run: Mapping[str, Any]) -> float:
    best = run["best_baseline"]
    return best["top_k_accuracy"] if best else math.nan


def _charts(numbered: Mapping[int, Mapping[str, Any]]) -> str:
    """Charts of the evaluated runs, each at its number in the history."""
    xs, runs = list(numbered), list(numbered.values())
    latest = runs[-1]
    shown = slice(None, None, -(-len(xs) // _MOST_TICKS))
    ticks = dict(xticks=xs[shown],
                 xticklabels=[f"#{x} {run['command']}" for x, run in zip(xs, runs)][shown])
    pushed = [bool(run["pushed"]) for run in runs]
    by_k = {
        f"model accuracy@{k}": (xs, [_value(run["model"], spec.ACCURACY, k) for run in runs])
        for k in latest["top_ks"]
    }
    parts = [html.figure(
        plots.lines(by_k, "run", "filtered accuracy@k", marked={name: pushed for name in by_k},
                    **ticks),
        "The model's filtered accuracy@k on all eval ratings, per run; a star: that run pushed.",
    )]
    k = latest["blessing_k"]
    at_k: Dict[str, Any] = {
        "model": (xs, [_value(run["model"], spec.ACCURACY, k) for run in runs]),
        "served model": (xs, [_value(run["served_model"], spec.ACCURACY, k) for run in runs]),
        "best baseline": (xs, [_best_baseline(run) for run in runs]),
    }
    parts.append(html.figure(
        plots.lines(at_k, "run", f"filtered accuracy@{k}", marked={"model": pushed},
                    highlighted={"model": plots.MODEL_COLOUR, "served model": plots.SERVED_COLOUR},
                    **ticks),
        f"At the blessing's k = {k}: the new model, the model served when it was "
        "evaluated, and the best baseline.",
    ))
    return "".join(parts)


def _table(runs: Sequence[Mapping[str, Any]]) -> str:
    rows: List[List[html.Cell]] = []
    for number, run in reversed(list(enumerate(runs, start=1))):
        k = run["blessing_k"]
        best = run["best_baseline"]
        rows.append([
            html.number(number, 0),
            html.text(run["finished"][:16].replace("T", " ")),
            html.text(run["command"]),
            html.text(f"{run['source']} span {run['span']}"),
            html.number(run["eval_ratings"], 0),
            html.text(k if k is not None else "-"),
            html.number(_value(run["model"], spec.ACCURACY, k) if k else None),
            html.number(_value(run["model"], spec.RECALL, k) if k else None),
            html.number(_value(run["served_model"], spec.ACCURACY, k) if run["served_model"] else None),
            html.text(f"{best['name']} {best['top_k_accuracy']:.4f}" if best else "-"),
            html.text({True: "yes", False: "no", None: "-"}[run["blessed"]]),
            html.text(f"version {os.path.basename(run['pushed_model'])}" if run["pushed"] else "no"),
            html.text(f"{run['total_seconds']:.0f} ({run['cached']}/{run['components']} cached)"),
            html.text(run["page"]),
        ])
    return html.table(
        ["#", "finished", "command", "data", "eval ratings", "k", "model accuracy@k",
         "model recall@k", "served accuracy@k", "best baseline accuracy@k", "blessed",
         "pushed", "seconds", "page"],
        rows,
    )


def section(runs: Sequence[Mapping[str, Any]]) -> str:
    """The history section.

    Args:
      runs: The work directory's history, oldest first (``history.load``).

    Returns:
      Markup.
    """
    evaluated = {
        number: run for number, run in enumerate(runs, start=1) if run["model"] is not None
    }
    charts = _charts(evaluated) if evaluated else html.paragraph("No run was evaluated yet.", "note")
    return html.paragraph(
        f"{len(runs)} runs in this work directory, newest first in the table "
        "(filtered protocol, all eval ratings).", "note"
    ) + charts + _table(runs)
