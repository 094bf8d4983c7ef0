"""The report's evaluation section, from the RetrievalEvaluator's ``metrics.json``.

The blessing and its reasons, the new model beside the served one, and the
accuracy@k and recall@k curves of every ranker for each protocol (filtered,
unfiltered) and group of eval ratings (all, warm, cold), as the Evaluator
reports them (``components/retrieval_evaluator/README.md``).
"""

from typing import Any, Dict, List, Mapping, Optional

from components.retrieval_evaluator import spec
from pipeline.report import html, plots

_FAMILIES = {spec.ACCURACY: "accuracy", spec.RECALL: "recall"}
_SERVED = "served model"


def ranker_label(ranker: str) -> str:
    """How the page names a ranker (the served model by that name)."""
    return _SERVED if ranker == spec.BASELINE else ranker


def _curves(content: Mapping[str, Any], family: str) -> str:
    protocol = content["protocol"]
    ks = protocol["top_ks"]
    panels = []
    for name in protocol["protocols"]:
        for group in protocol["groups"]:
            lines = {}
            for ranker in content["rankers"]:
                result = content["metrics"][name][ranker][group]
                if result is not None:
                    lines[ranker_label(ranker)] = (ks, [result[family][str(k)] for k in ks])
            panels.append((f"{name}, {group}", lines or None))
    return plots.curve_panels(
        panels,
        columns=len(protocol["groups"]),
        ylabel=f"{_FAMILIES[family]}@k",
        highlighted={spec.CANDIDATE: plots.MODEL_COLOUR, _SERVED: plots.SERVED_COLOUR},
        dashed=[_SERVED],
    )


def _blessing(blessing: Mapping[str, Any]) -> str:
    verdict = html.paragraph(
        f"{'Blessed' if blessing['blessed'] else 'Not blessed'}: top-{blessing['k']} accuracy, "
        f"{blessing['protocol']}, {blessing['group']} eval ratings",
        "good" if blessing["blessed"] else "bad",
    )
    checks = html.table(
        ["check", "passed", "value", "threshold", "message"],
        [
            [html.text(check["name"]), html.text("yes" if check["passed"] else "NO"),
             html.number(check["value"]), html.number(check["threshold"]),
             html.text(check["message"])]
            for check in blessing["checks"]
        ],
    )
    return verdict + checks + html.subsection("Reasons", html.bullet_list(blessing["reasons"]))


def _served_beside_new(content: Mapping[str, Any]) -> str:
    primary = content["protocol"]["primary"]
    by_ranker = content["metrics"][primary]
    if spec.BASELINE not in by_ranker:
        return html.paragraph(
            "No served model yet (nothing pushed before this run): no comparison.", "note"
        )
    new, served = by_ranker[spec.CANDIDATE][spec.ALL], by_ranker[spec.BASELINE][spec.ALL]
    rows = []
    for family, label in _FAMILIES.items():
        for k in content["protocol"]["top_ks"]:
            value, old = new[family][str(k)], served[family][str(k)]
            rows.append([html.text(f"{label}@{k}"), html.number(value),
                         html.number(old), html.number(value - old)])
    return html.paragraph(
        f"Served model: {content['models'][spec.BASELINE]}; {primary}, all eval ratings.", "note"
    ) + html.table(["metric", "new model", "served model", "new - served"], rows)


def _tables(content: Mapping[str, Any]) -> str:
    protocol = content["protocol"]
    parts = []
    for name in protocol["protocols"]:
        for family, label in _FAMILIES.items():
            rows = []
            for ranker in content["rankers"]:
                for group in protocol["groups"]:
                    result = content["metrics"][name][ranker][group]
                    values = result[family] if result else {}
                    rows.append(
                        [html.text(ranker_label(ranker)), html.text(group)]
                        + [html.number(values.get(str(k))) for k in protocol["top_ks"]]
                    )
            parts.append(html.subsection(
                f"{label}@k, {name}",
                html.table(["ranker", "group"] + [f"k={k}" for k in protocol["top_ks"]], rows),
            ))
    return html.details("Every number", "".join(parts))


def _counts(content: Mapping[str, Any]) -> str:
    counts, protocol = content["counts"], content["protocol"]
    lines = [
        f"{counts['eval']:,} eval ratings of {counts['eval_users']:,} users (warm "
        f"{counts['warm']:,}, cold {counts['cold']:,}); {counts['corpus']:,} movies in the "
        f"corpus; query time: {protocol['query_time']}.",
    ]
    if protocol.get("sampled"):
        lines.append(f"Sample: {protocol['sample']}.")
    if protocol.get("left_out_reason"):
        lines.append(f"Cut-offs left out: {protocol['left_out_reason']}")
    lines += [f"Skipped baseline {reason}" for reason in content["skipped_baselines"].values()]
    return "".join(html.paragraph(line, "note") for line in lines)


def _definitions(content: Mapping[str, Any]) -> str:
    definitions: Dict[str, str] = content["protocol"]["definitions"]
    items: List[str] = [f"{ranker_label(name)}: {text}" for name, text in definitions.items()]
    return html.details("Definitions", html.bullet_list(items))


def section(content: Optional[Mapping[str, Any]]) -> str:
    """The evaluation section.

    Args:
      content: The parsed ``metrics.json`` of this run (None: no evaluation).

    Returns:
      Markup.
    """
    if content is None:
        return html.paragraph("The Evaluator did not run in this run.", "note")
    return "".join([
        _counts(content),
        html.subsection("Blessing", _blessing(content["blessing"])),
        html.subsection("New model beside the served model", _served_beside_new(content)),
        html.subsection(
            "Accuracy@k: every ranker, filtered and unfiltered, all, warm and cold ratings",
            html.figure(_curves(content, spec.ACCURACY)),
        ),
        html.subsection(
            "Recall@k: every ranker, filtered and unfiltered, all, warm and cold ratings",
            html.figure(_curves(content, spec.RECALL)),
        ),
        _tables(content),
        _definitions(content),
    ])
