"""The report page of one run: the overview and every section, in order."""

from typing import Any, Dict, List, Mapping, Optional

from pipeline.local.runner import RunSummary
from pipeline.report import (
    data_section,
    evaluation_section,
    history_section,
    html,
    samples_section,
    training_section,
)
from pipeline.report.artifacts import RunArtifacts

SECTIONS = (
    ("data", "Data"),
    ("evaluation", "Evaluation"),
    ("training", "Training"),
    ("samples", "Sample recommendations"),
    ("history", "Across runs"),
)


def _overview(entry: Mapping[str, Any], work_dir: str) -> str:
    blessed = entry["blessed"]
    items = [
        ("command", entry["command"], ""),
        ("data", f"{entry['source']}, span {entry['span']}", ""),
        ("blessed", {True: "yes", False: "no", None: "not evaluated"}[blessed],
         {True: "good", False: "bad", None: ""}[blessed]),
        ("pushed", "yes" if entry["pushed"] else "no", "good" if entry["pushed"] else ""),
        ("run time", f"{entry['total_seconds']:.0f} s", ""),
        ("from cache", f"{entry['cached']} of {entry['components']}", ""),
    ]
    served = entry["pushed_model"] or "none pushed yet"
    return html.cards(items) + html.paragraph(
        f"Finished {entry['finished']} in {work_dir}. Serving model: {served}.", "note"
    )


def render(
    work_dir: str,
    summary: RunSummary,
    run: RunArtifacts,
    evaluation: Optional[Mapping[str, Any]],
    runs: List[Dict[str, Any]],
) -> str:
    """The whole page of the newest run.

    Args:
      work_dir: The work directory.
      summary: The run's ``RunSummary``.
      run: The run's artifacts.
      evaluation: The run's ``metrics.json``, if it was evaluated.
      runs: The work directory's history, this run last.

    Returns:
      A self-contained HTML document.
    """
    contents = {
        "data": data_section.section(run.statistics, run.anomalies),
        "evaluation": evaluation_section.section(evaluation),
        "training": training_section.section(run.model_run, summary),
        "samples": samples_section.section(run.model, run.train_examples, run.eval_examples),
        "history": history_section.section(runs),
    }
    latest = runs[-1]
    return html.page(
        f"MovieLens retrieval: {latest['command']} of {latest['finished']}",
        _overview(latest, work_dir),
        [(anchor, title, contents[anchor]) for anchor, title in SECTIONS],
    )
