"""The ExampleGen's settings, read and checked from execution properties."""

import dataclasses
import json
from typing import Any, Dict, Mapping, Optional

from components.movielens_example_gen import spec, synthetic as synthetic_lib
from components.movielens_example_gen.splits import SplitConfig


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to read and how to split it.

    Attributes:
      source: One of ``spec.SOURCES``.
      input_path: GroupLens archive or folder; may contain ``{SPAN}``.
      tfds_name: TFDS ratings builder, e.g. ``movielens/100k-ratings``.
      tfds_data_dir: TFDS data dir (None: TFDS's default).
      tfds_download: Whether TFDS may download and prepare missing data.
      synthetic: Keyword arguments of ``synthetic.SyntheticConfig``.
      split: The train/eval split.
      max_bad_rows: Bad rows tolerated (counted and reported) before failing.
      span: The span to read; ``spec.LATEST_SPAN`` for the newest.
    """

    source: str
    input_path: Optional[str]
    tfds_name: Optional[str]
    tfds_data_dir: Optional[str]
    tfds_download: bool
    synthetic: Dict[str, Any]
    split: SplitConfig
    max_bad_rows: int
    span: int

    def __post_init__(self):
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
        if self.max_bad_rows < 0:
            raise ValueError(f"max_bad_rows must be >= 0, got {self.max_bad_rows}")
        if self.source == spec.SOURCE_SYNTHETIC:
            _check_synthetic(self.synthetic)

    @classmethod
    def from_exec_properties(cls, properties: Mapping[str, Any]) -> "Settings":
        """Reads the settings from a component's execution properties.

        Args:
          properties: The execution properties (``spec.MovieLensExampleGenSpec``).

        Returns:
          The checked settings.

        Raises:
          ValueError: If a setting is missing or invalid.
        """
        synthetic_json = properties.get(spec.SYNTHETIC_CONFIG_KEY) or "{}"
        return cls(
            source=properties[spec.SOURCE_KEY],
            input_path=properties.get(spec.INPUT_PATH_KEY) or None,
            tfds_name=properties.get(spec.TFDS_NAME_KEY) or None,
            tfds_data_dir=properties.get(spec.TFDS_DATA_DIR_KEY) or None,
            tfds_download=bool(properties.get(spec.TFDS_DOWNLOAD_KEY, 1)),
            synthetic=json.loads(synthetic_json),
            split=SplitConfig(
                mode=properties[spec.SPLIT_MODE_KEY],
                eval_fraction=float(properties[spec.EVAL_FRACTION_KEY]),
            ),
            max_bad_rows=int(properties[spec.MAX_BAD_ROWS_KEY]),
            span=int(properties[spec.SPAN_KEY]),
        )


def _check_synthetic(settings: Mapping[str, Any]) -> None:
    """Builds the synthetic config once, so bad settings fail before Beam runs."""
    try:
        synthetic_lib.SyntheticConfig(**settings)
    except TypeError as error:
        raise ValueError(f"Synthetic data settings {dict(settings)}: {error}") from None
    except ValueError as error:
        raise ValueError(f"Synthetic data: {error}") from None
