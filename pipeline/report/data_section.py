"""The report's data section: the statistics of each split and the anomalies.

The statistics are StatisticsGen's ``DatasetFeatureStatisticsList`` per
split, the proto TFDV's Facets Overview shows, drawn here as Facets lays it
out: numeric and categorical features in two tables, every split side by
side, a chart per feature. TFDV's own view
(``tfdv.utils.display_util.get_statistics_html``) is not used: its HTML loads
``webcomponents-lite.js`` and ``facets-jupyter.html`` from the web at view
time, and no installed or installable package ships them, so it shows nothing
offline.
"""

import os
from typing import Callable, Dict, List, Optional, Tuple

from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from tfx.dsl.io import fileio

from pipeline.report import html, plots
from pipeline.report.artifacts import Found

# The files in each Split-<name> folder (tfx.components.statistics_gen and
# tfx.components.example_validator executors' DEFAULT_FILE_NAME).
STATISTICS_FILE = "FeatureStats.pb"
ANOMALIES_FILE = "SchemaDiff.pb"
SPLITS = ("train", "eval")
TOP_VALUES = 8

Statistics = Dict[str, statistics_pb2.DatasetFeatureStatistics]
Feature = statistics_pb2.FeatureNameStatistics
# A table column: its title, the text of one split's value, and whether it is a number.
Column = Tuple[str, Callable[[Feature], str], bool]


def _split_file(artifact: Found, split: str, name: str) -> str:
    return os.path.join(artifact.uri, f"Split-{split}", name)


def read_statistics(statistics: Found) -> Statistics:
    """Each split's statistics.

    Args:
      statistics: StatisticsGen's ExampleStatistics artifact.

    Returns:
      Split -> its dataset statistics (splits without a file are left out).
    """
    found = {}
    for split in SPLITS:
        path = _split_file(statistics, split, STATISTICS_FILE)
        if fileio.exists(path):
            with fileio.open(path, "rb") as handle:
                found[split] = statistics_pb2.DatasetFeatureStatisticsList.FromString(
                    handle.read()
                ).datasets[0]
    return found


def read_anomalies(anomalies: Found) -> Dict[str, anomalies_pb2.Anomalies]:
    """Each split's anomalies.

    Args:
      anomalies: ExampleValidator's ExampleAnomalies artifact.

    Returns:
      Split -> its anomalies (splits without a file are left out).
    """
    found = {}
    for split in SPLITS:
        path = _split_file(anomalies, split, ANOMALIES_FILE)
        if fileio.exists(path):
            with fileio.open(path, "rb") as handle:
                found[split] = anomalies_pb2.Anomalies.FromString(handle.read())
    return found


def _name(feature: Feature) -> str:
    return ".".join(feature.path.step) or feature.name


def _by_feature(statistics: Statistics) -> Dict[str, Dict[str, Feature]]:
    features: Dict[str, Dict[str, Feature]] = {}
    for split, dataset in statistics.items():
        for feature in dataset.features:
            features.setdefault(_name(feature), {})[split] = feature
    return dict(sorted(features.items()))


def _common(feature: Feature) -> statistics_pb2.CommonStatistics:
    stats = getattr(feature, feature.WhichOneof("stats"))
    return stats.common_stats


def _missing_share(common: statistics_pb2.CommonStatistics) -> float:
    total = common.num_non_missing + common.num_missing
    return common.num_missing / total if total else 0.0


def _values_per_example(common: statistics_pb2.CommonStatistics) -> str:
    if common.min_num_values == common.max_num_values:
        return str(common.min_num_values)
    return f"{common.avg_num_values:.2f} ({common.min_num_values}-{common.max_num_values})"


def _histogram_chart(by_split: Dict[str, Feature]) -> str:
    histograms = {}
    for split, feature in by_split.items():
        standard = next(
            (h for h in feature.num_stats.histograms
             if h.type == statistics_pb2.Histogram.STANDARD and h.buckets),
            None,
        )
        if standard is None:
            continue
        total = sum(bucket.sample_count for bucket in standard.buckets) or 1.0
        edges = [standard.buckets[0].low_value] + [bucket.high_value for bucket in standard.buckets]
        histograms[split] = (edges, [bucket.sample_count / total for bucket in standard.buckets])
    return plots.split_histograms(histograms) if histograms else ""


def _top_values_chart(by_split: Dict[str, Feature]) -> str:
    first = next(iter(by_split.values()))
    values = [top.value for top in first.string_stats.top_values[:TOP_VALUES]]
    if not values:
        return ""
    shares = {}
    for split, feature in by_split.items():
        counts = {top.value: top.frequency for top in feature.string_stats.top_values}
        total = feature.string_stats.common_stats.num_non_missing or 1
        shares[split] = [counts.get(value, 0.0) / total for value in values]
    return plots.split_top_values(values, shares)


def _stat(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:.4g}"


def _top_value(feature: Feature) -> str:
    values = feature.string_stats.top_values
    return values[0].value if values else "-"


def _top_count(feature: Feature) -> str:
    values = feature.string_stats.top_values
    return f"{values[0].frequency:,.0f}" if values else "-"


def _common_columns() -> List[Column]:
    return [
        ("count", lambda f: f"{_common(f).num_non_missing:,}", True),
        ("missing %", lambda f: f"{100 * _missing_share(_common(f)):.1f}", True),
        ("values / example", lambda f: _values_per_example(_common(f)), True),
    ]


NUMERIC_COLUMNS: List[Column] = _common_columns() + [
    ("mean", lambda f: _stat(f.num_stats.mean), True),
    ("std dev", lambda f: _stat(f.num_stats.std_dev), True),
    ("zeros %", lambda f: f"{100 * f.num_stats.num_zeros / (_common(f).num_non_missing or 1):.1f}", True),
    ("min", lambda f: _stat(f.num_stats.min), True),
    ("median", lambda f: _stat(f.num_stats.median), True),
    ("max", lambda f: _stat(f.num_stats.max), True),
]
CATEGORICAL_COLUMNS: List[Column] = _common_columns() + [
    ("unique", lambda f: f"{f.string_stats.unique:,}", True),
    ("top value", _top_value, False),
    ("top count", _top_count, True),
    ("avg length", lambda f: f"{f.string_stats.avg_length:.1f}", True),
]


def _feature_table(
    features: Dict[str, Dict[str, Feature]],
    columns: List[Column],
    chart: Callable[[Dict[str, Feature]], str],
    chart_title: str,
) -> str:
    """One row per feature; each cell holds every split's value, one line each."""
    rows = []
    for name, by_split in features.items():
        row = [html.text(name), html.markup("<br>".join(html.escape(split) for split in by_split))]
        for _, value, numeric in columns:
            lines = "<br>".join(html.escape(value(feature)) for feature in by_split.values())
            row.append(html.markup(lines, "num" if numeric else ""))
        row.append(html.markup(chart(by_split), "cell-figure"))
        rows.append(row)
    return html.table(["feature", "split"] + [title for title, _, _ in columns] + [chart_title], rows)


def statistics_view(statistics: Statistics) -> str:
    """The statistics of every split, Facets Overview's layout.

    Args:
      statistics: Split -> its dataset statistics.

    Returns:
      Markup.
    """
    features = _by_feature(statistics)
    numeric = {
        name: by_split for name, by_split in features.items()
        if all(f.WhichOneof("stats") == "num_stats" for f in by_split.values())
    }
    categorical = {
        name: by_split for name, by_split in features.items()
        if all(f.WhichOneof("stats") == "string_stats" for f in by_split.values())
    }
    other = [name for name in features if name not in numeric and name not in categorical]
    counts = html.cards(
        (f"{split} examples", f"{dataset.num_examples:,}", "") for split, dataset in statistics.items()
    )
    parts = [
        counts,
        html.subsection(
            f"Numeric features ({len(numeric)})",
            _feature_table(numeric, NUMERIC_COLUMNS, _histogram_chart, "histogram (share of values)"),
        ),
        html.subsection(
            f"Categorical features ({len(categorical)})",
            _feature_table(categorical, CATEGORICAL_COLUMNS, _top_values_chart,
                           f"top {TOP_VALUES} values (share of examples)"),
        ),
    ]
    if other:
        parts.append(html.paragraph(f"Features of other kinds, not drawn: {', '.join(other)}", "note"))
    return "".join(parts)


def anomalies_view(anomalies: Dict[str, anomalies_pb2.Anomalies]) -> str:
    """The anomalies ExampleValidator found against the schema, or that there were none.

    Args:
      anomalies: Split -> its anomalies.

    Returns:
      Markup.
    """
    rows = []
    for split, found in anomalies.items():
        for feature, info in sorted(found.anomaly_info.items()):
            rows.append([
                html.text(split), html.text(feature),
                html.text(anomalies_pb2.AnomalyInfo.Severity.Name(info.severity)),
                html.text(info.short_description), html.text(info.description),
            ])
        if found.HasField("dataset_anomaly_info"):
            info = found.dataset_anomaly_info
            rows.append([
                html.text(split), html.text("(dataset)"),
                html.text(anomalies_pb2.AnomalyInfo.Severity.Name(info.severity)),
                html.text(info.short_description), html.text(info.description),
            ])
    checked = ", ".join(anomalies) or "no split"
    if not rows:
        return html.paragraph(f"No anomalies: {checked} match the schema.", "good")
    return html.paragraph(f"{len(rows)} anomalies in {checked}:", "bad") + html.table(
        ["split", "feature", "severity", "anomaly", "description"], rows
    )


def section(statistics: Optional[Found], anomalies: Optional[Found]) -> str:
    """The data section.

    Args:
      statistics: StatisticsGen's output in this run, if it ran.
      anomalies: ExampleValidator's output in this run, if it ran.

    Returns:
      Markup.
    """
    note = html.paragraph(
        "StatisticsGen's statistics of the train and eval splits (TFDV's "
        "DatasetFeatureStatisticsList, laid out as TFDV's Facets Overview shows it; "
        "drawn here because Facets loads its code from the web).", "note"
    )
    stats = (
        statistics_view(read_statistics(statistics)) if statistics
        else html.paragraph("StatisticsGen did not run in this run.", "note")
    )
    found = (
        anomalies_view(read_anomalies(anomalies)) if anomalies
        else html.paragraph("ExampleValidator did not run in this run.", "note")
    )
    return note + html.subsection("Anomalies (ExampleValidator, against the schema)", found) + stats
