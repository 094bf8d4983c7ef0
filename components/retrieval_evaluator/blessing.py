"""The blessing decision and the ModelBlessing artifact, as TFX's Evaluator writes it.

The decision compares top-k accuracy under the primary protocol (filtered)
on all eval ratings, at ``blessing_k`` (or, when the corpus is too small for
it, the largest cut-off measured; the reasons say so): of the model against
a minimum, optionally against the best counted baseline plus a margin, and
against the baseline (served) model minus a tolerance when there is one.
The artifact gets a ``BLESSED`` or ``NOT_BLESSED`` file and the custom
properties TFX's Evaluator sets (``blessed``, ``current_model``,
``current_model_id``, ``baseline_model``, ``baseline_model_id``,
``blessing_message``), so TFX's Pusher and ``LatestBlessedModelStrategy``
read it unchanged.
"""

import dataclasses
import os
from typing import Any, Dict, List, Mapping, Optional

from tfx import types
from tfx.utils import io_utils

from components.retrieval_evaluator import spec
from components.retrieval_evaluator.metrics import Results
from components.retrieval_evaluator.settings import Cutoffs, Settings

# Accuracies are shares of a finite count: a difference below this is float
# noise (0.2 + 0.1 > 0.3 in binary), never a real one.
_EPSILON = 1e-9


@dataclasses.dataclass(frozen=True)
class Check:
    """One blessing condition and its outcome."""

    name: str
    passed: bool
    value: float
    threshold: float
    message: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """Whether the model is blessed, and why (at top-``k``)."""

    blessed: bool
    k: int
    checks: List[Check]
    notes: List[str]
    best_baseline: Optional[Dict[str, Any]] = None
    counted_baselines: List[str] = dataclasses.field(default_factory=list)

    @property
    def reasons(self) -> List[str]:
        """Every check's message (failed ones first), then the notes."""
        ordered = sorted(self.checks, key=lambda check: check.passed)
        return [check.message for check in ordered] + list(self.notes)

    def to_json(self, has_baseline: bool) -> Dict[str, Any]:
        """Returns the decision as metrics.json's ``blessing`` section."""
        return {
            "blessed": self.blessed,
            "k": self.k,
            "protocol": spec.PRIMARY_PROTOCOL,
            "group": spec.ALL,
            "baseline_model_present": has_baseline,
            "counted_baselines": list(self.counted_baselines),
            "best_baseline": self.best_baseline,
            "checks": [dataclasses.asdict(check) for check in self.checks],
            "reasons": self.reasons,
        }


def _at_least(name: str, value: float, threshold: float, what: str) -> Check:
    passed = value >= threshold - _EPSILON
    verb = "passed" if passed else "FAILED"
    return Check(
        name=name,
        passed=passed,
        value=value,
        threshold=threshold,
        message=f"{verb}: {what}: {value:.4f} {'>=' if passed else '<'} {threshold:.4f}",
    )


def _accuracy(results: Results, ranker: str, k: int) -> float:
    return results[spec.PRIMARY_PROTOCOL][ranker][spec.ALL].top_k_accuracy[k]


def decide(
    settings: Settings,
    cutoffs: Cutoffs,
    results: Results,
    skipped: Optional[Mapping[str, str]] = None,
) -> Decision:
    """Decides the blessing from the rankers' results.

    Args:
      settings: The thresholds.
      cutoffs: ``settings.cutoffs`` of the corpus: the k the checks use.
      results: ``metrics.Results`` of ``spec.CANDIDATE``, the baselines that
        ran, and ``spec.BASELINE`` when there is a baseline model.
      skipped: Baselines that did not run, with the reason.

    Returns:
      Blessed when every check passes.
    """
    skipped = dict(skipped or {})
    k = cutoffs.blessing_k
    accuracy = _accuracy(results, spec.CANDIDATE, k)
    label = f"top-{k} accuracy ({spec.PRIMARY_PROTOCOL})"
    checks = [
        _at_least(
            "min_top_k_accuracy",
            accuracy,
            settings.min_top_k_accuracy,
            f"model {label} vs min_top_k_accuracy",
        )
    ]
    notes = [cutoffs.blessing_note] if cutoffs.blessing_note else []
    ran = [name for name in spec.BASELINE_NAMES if name in results[spec.PRIMARY_PROTOCOL]]
    wanted = settings.blessing_baselines or tuple(spec.BASELINE_NAMES)
    counted = [name for name in ran if name in wanted]
    for name in wanted:
        if name in skipped and settings.blessing_baselines is not None:
            notes.append(f"baseline {name} does not count: skipped ({skipped[name]})")
    best = None
    if counted:
        name = max(counted, key=lambda ranker: _accuracy(results, ranker, k))
        value = _accuracy(results, name, k)
        best = {"name": name, "top_k_accuracy": value, "gap": accuracy - value}
    margin = settings.min_margin_over_baselines
    if margin is not None and best is not None:
        checks.append(
            _at_least(
                "min_margin_over_baselines",
                accuracy,
                best["top_k_accuracy"] + margin,
                f"model {label} vs best baseline {best['name']} "
                f"({best['top_k_accuracy']:.4f}) + margin {margin:.4f}",
            )
        )
    elif margin is not None:
        notes.append(
            "min_margin_over_baselines not checked: none of the counted baselines "
            f"{list(wanted)} ran"
        )
    if spec.BASELINE in results[spec.PRIMARY_PROTOCOL]:
        baseline = _accuracy(results, spec.BASELINE, k)
        tolerance = settings.baseline_tolerance
        checks.append(
            _at_least(
                "baseline_tolerance",
                accuracy,
                baseline - tolerance,
                f"model {label} vs baseline model ({baseline:.4f}) - tolerance "
                f"{tolerance:.4f}",
            )
        )
    else:
        notes.append(
            "no baseline model (no model served yet): the served-model check was not made"
        )
    if best is not None:
        gap = best["gap"]
        if abs(gap) <= _EPSILON:
            relation = "level with"
        else:
            relation = "ahead of" if gap > 0 else "BEHIND"
        amount = "" if relation == "level with" else f" by {abs(gap):.4f}"
        requirement = (
            "" if margin is not None
            else " (not a blessing condition: set min_margin_over_baselines to require a lead)"
        )
        notes.append(
            f"note: model {label} {accuracy:.4f} is {relation} the best baseline "
            f"{best['name']} ({best['top_k_accuracy']:.4f}){amount}{requirement}"
        )
    return Decision(
        blessed=all(check.passed for check in checks),
        k=k,
        checks=checks,
        notes=notes,
        best_baseline=best,
        counted_baselines=counted,
    )


def write_blessing(
    blessing: types.Artifact,
    decision: Decision,
    model: types.Artifact,
    baseline_model: Optional[types.Artifact],
    exec_properties: Mapping[str, Any],
) -> None:
    """Writes the ModelBlessing exactly as TFX's Evaluator does, plus the message.

    Args:
      blessing: The output ModelBlessing artifact.
      decision: The decision.
      model: The evaluated Model artifact.
      baseline_model: The baseline Model artifact, if any.
      exec_properties: The execution properties (for ``current_component_id``).
    """
    blessing.set_string_custom_property(spec.CURRENT_MODEL_PROPERTY, model.uri)
    blessing.set_int_custom_property(spec.CURRENT_MODEL_ID_PROPERTY, model.id)
    if baseline_model is not None:
        blessing.set_string_custom_property(spec.BASELINE_MODEL_PROPERTY, baseline_model.uri)
        blessing.set_int_custom_property(spec.BASELINE_MODEL_ID_PROPERTY, baseline_model.id)
    if spec.COMPONENT_ID_EXEC_PROPERTY in exec_properties:
        blessing.set_string_custom_property(
            spec.COMPONENT_ID_PROPERTY, exec_properties[spec.COMPONENT_ID_EXEC_PROPERTY]
        )
    blessing.set_string_custom_property(
        spec.BLESSING_MESSAGE_PROPERTY, "; ".join(decision.reasons)
    )
    if decision.blessed:
        io_utils.write_string_file(os.path.join(blessing.uri, spec.BLESSED_FILE), "")
        blessing.set_int_custom_property(spec.BLESSED_PROPERTY, spec.BLESSED_VALUE)
    else:
        io_utils.write_string_file(os.path.join(blessing.uri, spec.NOT_BLESSED_FILE), "")
        blessing.set_int_custom_property(spec.BLESSED_PROPERTY, spec.NOT_BLESSED_VALUE)
