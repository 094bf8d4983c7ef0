"""Writes the report page of a finished run into its work directory."""

import datetime
import os

from components.retrieval_evaluator import load_metrics
from pipeline.local.runner import RunSummary, metadata_path
from pipeline.report import artifacts, history, page

REPORT_FILE = "report.html"
REPORTS_DIR = "reports"


def _write(path: str, content: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(path + ".tmp", path)


def write_report(work_dir: str, summary: RunSummary, command: str) -> str:
    """Writes the report page of the run that just finished in a work directory.

    The page (data, evaluation, training, sample recommendations, the trend
    across runs) reads the newest pipeline run's artifacts through the work
    directory's ML Metadata store, and adds the run to the work directory's
    history (``report_history.json``). It is written twice: as
    ``reports/<number>-<finished>-<command>.html``, kept, and as ``report.html``, the
    latest. Both are self-contained: inline style and SVG charts, no script,
    nothing fetched.

    Args:
      work_dir: The work directory (``metadata.sqlite`` inside).
      summary: The run's summary, as ``pipeline.local.runner.run`` returned it.
      command: What ran: ``run`` or ``retrain``.

    Returns:
      The path of ``report.html``.
    """
    run = artifacts.latest_run(metadata_path(work_dir))
    evaluation = load_metrics(run.evaluation.uri) if run.evaluation else None
    finished = datetime.datetime.now().astimezone()
    number = len(history.load(work_dir)) + 1
    kept = os.path.join(REPORTS_DIR, f"{number:04d}-{finished:%Y%m%d-%H%M%S}-{command}.html")
    runs = history.append(
        work_dir,
        history.entry(command, finished.isoformat(timespec="seconds"), kept, summary, run, evaluation),
    )
    content = page.render(work_dir, summary, run, evaluation, runs)
    os.makedirs(os.path.join(work_dir, REPORTS_DIR), exist_ok=True)
    _write(os.path.join(work_dir, kept), content)
    latest = os.path.join(work_dir, REPORT_FILE)
    _write(latest, content)
    return latest
