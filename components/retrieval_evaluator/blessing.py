"""The blessing decision and the ModelBlessing artifact, as TFX's Evaluator writes it.

The decision compares top-``blessing_k`` accuracy: of the model against a
minimum, optionally against the popularity baseline plus a margin, and against
the last blessed (baseline) model minus a tolerance when there is one. The
artifact gets a ``BLESSED`` or ``NOT_BLESSED`` file and the custom properties
TFX's Evaluator sets (``blessed``, ``current_model``, ``current_model_id``,
``baseline_model``, ``baseline_model_id``, ``blessing_message``), so TFX's
Pusher and ``LatestBlessedModelStrategy`` read it unchanged.
"""

import dataclasses
import os
from typing import Any, Dict, List, Mapping, Optional

from tfx import types
from tfx.utils import io_utils

from components.retrieval_evaluator import spec
from components.retrieval_evaluator.metrics import RankerResult
from components.retrieval_evaluator.settings import Settings

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
    """Whether the model is blessed, and why."""

    blessed: bool
    checks: List[Check]
    notes: List[str]

    @property
    def reasons(self) -> List[str]:
        """Every check's message (failed ones first), then the notes."""
        ordered = sorted(self.checks, key=lambda check: check.passed)
        return [check.message for check in ordered] + list(self.notes)

    def to_json(self, k: int, has_baseline: bool) -> Dict[str, Any]:
        """Returns the decision as metrics.json's ``blessing`` section."""
        return {
            "blessed": self.blessed,
            "k": k,
            "baseline_model_present": has_baseline,
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


def decide(settings: Settings, results: Mapping[str, RankerResult]) -> Decision:
    """Decides the blessing from the rankers' results.

    Args:
      settings: The thresholds.
      results: Results of ``spec.CANDIDATE`` and ``spec.POPULARITY``, and of
        ``spec.BASELINE`` when there is a baseline model.

    Returns:
      Blessed when every check passes.
    """
    k = settings.blessing_k
    accuracy = results[spec.CANDIDATE].top_k_accuracy[k]
    label = f"top-{k} accuracy"
    checks = [
        _at_least(
            "min_top_k_accuracy",
            accuracy,
            settings.min_top_k_accuracy,
            f"model {label} vs min_top_k_accuracy",
        )
    ]
    popularity = results[spec.POPULARITY].top_k_accuracy[k]
    if settings.min_margin_over_popularity is not None:
        margin = settings.min_margin_over_popularity
        checks.append(
            _at_least(
                "min_margin_over_popularity",
                accuracy,
                popularity + margin,
                f"model {label} vs popularity ({popularity:.4f}) + margin {margin:.4f}",
            )
        )
    notes = []
    if spec.BASELINE in results:
        baseline = results[spec.BASELINE].top_k_accuracy[k]
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
            "no baseline model (no blessed model yet): only the thresholds were checked"
        )
    if accuracy < popularity and settings.min_margin_over_popularity is None:
        notes.append(
            f"note: model {label} {accuracy:.4f} is below popularity's {popularity:.4f} "
            "(not a blessing condition: set min_margin_over_popularity to require it)"
        )
    return Decision(
        blessed=all(check.passed for check in checks), checks=checks, notes=notes
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
