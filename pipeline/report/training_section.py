"""The report's training section: loss per epoch, the Trainer's report, time per component.

The loss per epoch is what Keras's TensorBoard callback logged in the
Trainer's run folder (the ModelRun artifact: ``<model_run>/train/``, tag
``epoch_loss``); the Trainer's own report (``train_metrics.json``) gives the
loss used, seconds per epoch, its quick eval and the hyperparameters.
"""

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tensorflow.core.util import event_pb2
from tfx.dsl.io import fileio

from pipeline.local.runner import RunSummary
from pipeline.report import html, plots
from pipeline.report.artifacts import Found
from trainer.run_fn import METRICS_FILE

LOSS_TAG = "epoch_loss"
_EVENTS_PATTERN = "events.out.tfevents."


def _scalar(value: summary_pb2.Summary.Value) -> float:
    if value.HasField("tensor"):
        return float(tf.make_ndarray(value.tensor))
    return float(value.simple_value)


def loss_per_epoch(model_run_uri: str) -> Dict[str, List[Tuple[int, float]]]:
    """The epoch losses logged for TensorBoard under a Trainer's run folder.

    Args:
      model_run_uri: The ModelRun artifact's folder.

    Returns:
      Log folder relative to it (``train``, ``validation``) -> ``(epoch,
      loss)`` in epoch order; empty when nothing was logged.
    """
    losses: Dict[str, Dict[int, float]] = {}
    for folder, _, files in fileio.walk(model_run_uri):
        for name in sorted(files):
            if not name.startswith(_EVENTS_PATTERN):
                continue
            label = os.path.relpath(folder, model_run_uri)
            for record in tf.data.TFRecordDataset(os.path.join(folder, name)):
                event = event_pb2.Event.FromString(record.numpy())
                for value in event.summary.value:
                    if value.tag == LOSS_TAG:
                        losses.setdefault(label, {})[int(event.step)] = _scalar(value)
    return {label: sorted(by_epoch.items()) for label, by_epoch in sorted(losses.items())}


def read_trainer_report(model_run_uri: str) -> Optional[Dict[str, Any]]:
    """The Trainer's ``train_metrics.json``, if it wrote one."""
    path = os.path.join(model_run_uri, METRICS_FILE)
    if not fileio.exists(path):
        return None
    with fileio.open(path, "r") as handle:
        return json.loads(handle.read())


def _loss_view(losses: Mapping[str, Sequence[Tuple[int, float]]]) -> str:
    if not losses:
        return html.paragraph("No epoch loss was logged in the Trainer's run folder.", "note")
    series = {
        label: ([epoch + 1 for epoch, _ in points], [loss for _, loss in points])
        for label, points in losses.items()
    }
    epochs = sorted({epoch for xs, _ in series.values() for epoch in xs})
    chart = plots.lines(series, "epoch", "loss", xticks=epochs,
                        highlighted={"train": plots.MODEL_COLOUR})
    rows = [
        [html.text(label), html.number(epoch + 1, 0), html.number(loss)]
        for label, points in losses.items() for epoch, loss in points
    ]
    return html.figure(chart) + html.details(
        "Loss per epoch", html.table(["log", "epoch", "loss"], rows)
    )


def _trainer_report_view(report: Optional[Mapping[str, Any]]) -> str:
    if report is None:
        return html.paragraph("The Trainer wrote no report.", "note")
    facts = html.cards([
        ("loss", report["loss"], ""),
        ("seconds per epoch", f"{report['seconds_per_epoch']:.1f}", ""),
        ("candidates", f"{report['num_candidates']:,}", ""),
        ("warm-started rows", f"{sum(report['warm_started_rows'].values()):,}", ""),
    ])
    quick = report["eval_top_k_accuracy"]
    ks = sorted({int(k) for values in quick.values() for k in values})
    quick_table = html.table(
        ["ranker"] + [f"k={k}" for k in ks],
        [[html.text(name)] + [html.number(values.get(str(k))) for k in ks] for name, values in quick.items()],
    )
    hyperparameters = html.table(
        ["hyperparameter", "value"],
        [[html.text(name), html.text(value)] for name, value in sorted(report["hyperparameters"].items())],
    )
    return facts + html.paragraph(
        "The Trainer's quick eval: filtered top-k accuracy at the model's default time"
        + _eval_examples_phrase(report.get("eval_examples")) + ".",
        "note",
    ) + quick_table + html.details("Hyperparameters", hyperparameters)


def _eval_examples_phrase(counts: Optional[Mapping[str, int]]) -> str:
    """How many eval ratings the quick eval ranked (reports before the count say nothing)."""
    if not counts:
        return ""
    if counts["ranked"] < counts["read"]:
        return (
            f", over a uniform sample of {counts['ranked']:,} of the {counts['read']:,} "
            "eval ratings (max_eval_examples)"
        )
    return f", over all {counts['ranked']:,} eval ratings"


def timing_view(seconds: Mapping[str, float], cached: Sequence[str], total_seconds: float) -> str:
    """Wall time per component of the run, cached components in grey.

    Args:
      seconds: Component -> seconds, in run order.
      cached: Components whose cached results were reused.
      total_seconds: The whole run's wall time.

    Returns:
      Markup.
    """
    labels = [f"{name} (cache)" if name in cached else name for name in seconds]
    chart = plots.horizontal_bars(
        labels, list(seconds.values()), [name in cached for name in seconds], "seconds"
    )
    return html.figure(
        chart,
        f"The whole run: {total_seconds:.1f} s; {len(cached)} of {len(seconds)} components "
        "from the cache (grey).",
    )


def section(model_run: Optional[Found], summary: RunSummary) -> str:
    """The training section.

    Args:
      model_run: The Trainer's ModelRun artifact in this run, if it ran.
      summary: The run's ``RunSummary`` (``seconds``, ``cached``, ``total_seconds``).

    Returns:
      Markup.
    """
    if model_run is None:
        trained = html.paragraph("The Trainer did not run in this run.", "note")
    else:
        trained = html.subsection("Loss per epoch", _loss_view(loss_per_epoch(model_run.uri)))
        trained += html.subsection(
            "The Trainer's report", _trainer_report_view(read_trainer_report(model_run.uri))
        )
    return trained + html.subsection(
        "Time per component", timing_view(summary.seconds, summary.cached, summary.total_seconds)
    )
