"""The work directory's run history: one entry per ``run`` or ``retrain``, in a JSON file.

Each entry keeps the key numbers of a run (the model's and the served
model's filtered accuracy@k and recall@k on all eval ratings, the best
baseline, the blessing, the push) so the report can show their trend. The
file is rewritten whole through a temporary file and a rename, so a reader
never sees half of it.
"""

import json
import os
from typing import Any, Dict, List, Mapping, Optional

from components.retrieval_evaluator import spec
from pipeline.local.runner import RunSummary
from pipeline.report.artifacts import RunArtifacts

HISTORY_FILE = "report_history.json"


def _headline(evaluation: Mapping[str, Any], ranker: str) -> Optional[Dict[str, Dict[str, float]]]:
    result = evaluation["metrics"][evaluation["protocol"]["primary"]].get(ranker)
    if result is None:
        return None
    return {family: result[spec.ALL][family] for family in (spec.ACCURACY, spec.RECALL)}


def entry(
    command: str,
    finished: str,
    page: str,
    summary: RunSummary,
    run: RunArtifacts,
    evaluation: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    """The history entry of one run.

    Args:
      command: ``run`` or ``retrain``.
      finished: When the run finished (ISO 8601).
      page: The run's report page, relative to the work directory.
      summary: The run's ``RunSummary``.
      run: The run's artifacts.
      evaluation: The run's ``metrics.json``, if it was evaluated.

    Returns:
      The entry (JSON-ready).
    """
    examples = run.examples.properties if run.examples else {}
    blessing = evaluation["blessing"] if evaluation else None
    return {
        "finished": finished,
        "command": command,
        "page": page,
        "source": examples.get("source"),
        "span": examples.get("span"),
        "eval_ratings": evaluation["counts"]["eval"] if evaluation else None,
        "top_ks": evaluation["protocol"]["top_ks"] if evaluation else [],
        "blessing_k": blessing["k"] if blessing else None,
        "model": _headline(evaluation, spec.CANDIDATE) if evaluation else None,
        "served_model": _headline(evaluation, spec.BASELINE) if evaluation else None,
        "best_baseline": blessing.get("best_baseline") if blessing else None,
        "blessed": blessing["blessed"] if blessing else None,
        "pushed": run.pushed_now,
        "pushed_model": summary.pushed_model,
        "total_seconds": summary.total_seconds,
        "components": len(summary.seconds),
        "cached": len(summary.cached),
    }


def load(work_dir: str) -> List[Dict[str, Any]]:
    """The history of a work directory, oldest first (empty when there is none)."""
    path = os.path.join(work_dir, HISTORY_FILE)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["runs"]


def append(work_dir: str, new: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Adds a run's entry to the work directory's history.

    Args:
      work_dir: The work directory.
      new: The entry (``entry``).

    Returns:
      The whole history, oldest first, the new entry last.
    """
    runs = load(work_dir) + [dict(new)]
    path = os.path.join(work_dir, HISTORY_FILE)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"runs": runs}, handle, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)
    return runs
