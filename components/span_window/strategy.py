"""A resolver strategy for the rolling window of the newest N spans."""

from typing import Dict, List

from tfx import types
from tfx.dsl.components.common import resolver

SPAN_PROPERTY = "span"


class LatestSpansStrategy(resolver.ResolverStrategy):
    """Resolves the newest artifact of each of the ``num_spans`` newest spans.

    Unlike TFX's ``SpanRangeStrategy``, a span produced more than once (its
    data was regenerated) contributes only its newest artifact, so no rating
    is trained on twice.
    """

    def __init__(self, num_spans: int):
        """Builds the strategy.

        Args:
          num_spans: How many of the newest spans to resolve (at least 1).
        """
        if num_spans < 1:
            raise ValueError(f"num_spans must be >= 1, got {num_spans}")
        self._num_spans = num_spans

    def resolve_artifacts(
        self, store, input_dict: Dict[str, List[types.Artifact]]
    ) -> Dict[str, List[types.Artifact]]:
        """Keeps, per input, the newest artifact of each of the newest spans.

        Args:
          store: Unused (MLMD store).
          input_dict: Input key to every artifact of the channel.

        Returns:
          Input key to the chosen artifacts, newest span first.
        """
        del store
        result = {}
        for key, artifacts in input_dict.items():
            newest_per_span: Dict[int, types.Artifact] = {}
            for artifact in artifacts:
                span = artifact.get_int_custom_property(SPAN_PROPERTY)
                if span not in newest_per_span or artifact.id > newest_per_span[span].id:
                    newest_per_span[span] = artifact
            spans = sorted(newest_per_span, reverse=True)[: self._num_spans]
            result[key] = [newest_per_span[span] for span in spans]
        return result
