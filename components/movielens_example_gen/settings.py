"""The ExampleGen's settings: declared once, read back from execution properties.

``Settings`` is the one declaration of MovieLensExampleGen's settings: the
component takes an instance, its spec's parameters are derived from the
fields (``components.settings_codec``), and its driver and executor read
the same type back. The pipeline and the command line build it too.
"""

import dataclasses
from typing import Any, Dict, Mapping, Optional

from components import settings_codec
from components.movielens_example_gen import spec
from movielens_simulator import synthetic as synthetic_lib
from components.movielens_example_gen.split_rules import RANDOM, SplitConfig


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to read and how to split it.

    Attributes:
      source: ``grouplens``, ``tfds`` or ``synthetic`` (``spec.SOURCES``).
      input_path: For ``grouplens``: a release's .zip or extracted folder
        (ml-100k, ml-1m, ml-latest-small, ml-20m, ml-25m), local or on
        ``gs://``/``s3://``; may contain ``{SPAN}`` to select among drops.
      tfds_name: For ``tfds``: a ratings builder such as
        ``movielens/100k-ratings``.
      tfds_data_dir: For ``tfds``: the data dir (None: TFDS's default).
      tfds_download: For ``tfds``: download when the data is not prepared.
      synthetic_config: For ``synthetic``: keyword arguments of
        ``synthetic.SyntheticConfig`` (sizes, seed, spans, ...).
      split_mode: ``random`` (stable hash) or ``temporal`` (newest ratings
        in eval).
      eval_fraction: Share of ratings in the eval split.
      max_bad_rows: Bad input rows tolerated; they are counted and quoted in
        the ``examples`` artifact's properties. Above it the run fails
        naming file, line and reason of the first ones.
      span: The span to read; ``spec.LATEST_SPAN`` (-1) for the newest.
      window_spans: Read a rolling window of up to this many spans, ending
        at ``span``: ``train`` holds the train splits of them all, ``eval``
        only the newest span's (what a retrain is measured on), and the
        corpus is the newest span's. 1: that span alone.
      keep_duplicate_ratings: For ``grouplens``: keep a rating line equal to
        an earlier one (same user, movie, rating and timestamp). By default
        it is dropped, as the same event recorded twice; either way it is
        counted and reported, not a bad row.
    """

    source: str = spec.SOURCE_SYNTHETIC
    input_path: Optional[str] = None
    tfds_name: Optional[str] = None
    tfds_data_dir: Optional[str] = None
    tfds_download: bool = True
    synthetic_config: Dict[str, Any] = dataclasses.field(default_factory=dict)
    split_mode: str = RANDOM
    eval_fraction: float = 0.2
    max_bad_rows: int = 0
    span: int = spec.LATEST_SPAN
    keep_duplicate_ratings: bool = False
    window_spans: int = 1

    def __post_init__(self):
        """Checks the settings.

        Raises:
          ValueError: Naming the setting and what it must be.
        """
        if self.source not in spec.SOURCES:
            raise ValueError(
                f"source must be one of {spec.SOURCES}, got {self.source!r}"
            )
        if self.source == spec.SOURCE_GROUPLENS and not self.input_path:
            raise ValueError("source 'grouplens' needs input_path (archive or folder)")
        if self.source == spec.SOURCE_TFDS and not self.tfds_name:
            raise ValueError(
                "source 'tfds' needs tfds_name, e.g. 'movielens/100k-ratings'"
            )
        if self.source == spec.SOURCE_TFDS and not self.tfds_name.endswith("-ratings"):
            raise ValueError(
                f"tfds_name must name a '-ratings' builder, got {self.tfds_name!r}"
            )
        if self.window_spans < 1:
            raise ValueError(f"window_spans must be >= 1, got {self.window_spans}")
        if self.max_bad_rows < 0:
            raise ValueError(f"max_bad_rows must be >= 0, got {self.max_bad_rows}")
        SplitConfig(mode=self.split_mode, eval_fraction=self.eval_fraction)  # Checks both.
        if self.source == spec.SOURCE_SYNTHETIC:
            _check_synthetic(self.synthetic_config)

    @property
    def split(self) -> SplitConfig:
        """The train/eval split these settings ask for."""
        return SplitConfig(mode=self.split_mode, eval_fraction=self.eval_fraction)

    def to_exec_properties(self) -> Dict[str, Any]:
        """Returns the execution properties holding these settings."""
        return settings_codec.to_exec_properties(self)

    @classmethod
    def from_exec_properties(cls, properties: Mapping[str, Any]) -> "Settings":
        """Reads the settings from a component's execution properties.

        Args:
          properties: The execution properties (``component.MovieLensExampleGenSpec``).

        Returns:
          The checked settings.

        Raises:
          ValueError: If a setting is invalid.
        """
        return settings_codec.from_exec_properties(cls, properties)


def _check_synthetic(settings: Mapping[str, Any]) -> None:
    """Builds the synthetic config once, so bad settings fail before Beam runs."""
    try:
        synthetic_lib.SyntheticConfig(**settings)
    except TypeError as error:
        raise ValueError(f"Synthetic data settings {dict(settings)}: {error}") from None
    except ValueError as error:
        raise ValueError(f"Synthetic data: {error}") from None
