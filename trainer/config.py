"""Trainer hyperparameters, with defaults and checks."""

import dataclasses
from typing import Any, Mapping, Tuple

LOSS_AUTO = "auto"
LOSS_EXACT = "exact_softmax"
LOSS_IN_BATCH = "in_batch_softmax"
LOSSES = (LOSS_AUTO, LOSS_EXACT, LOSS_IN_BATCH)
OPTIMIZERS = ("adam", "adagrad", "sgd")


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    """Hyperparameters of the two-tower model and its training.

    Attributes:
      embedding_dim: Width of every embedding table.
      tower_layers: Hidden ReLU layer widths of each tower (may be empty).
      output_dim: Width of the query and candidate embeddings.
      loss: ``exact_softmax`` (softmax over the whole corpus each step),
        ``in_batch_softmax`` (in-batch negatives with a log-Q popularity
        correction, for large corpora) or ``auto`` (exact up to
        ``exact_softmax_max_candidates`` movies).
      exact_softmax_max_candidates: Corpus size up to which ``auto`` picks the
        exact softmax.
      optimizer: ``adam``, ``adagrad`` or ``sgd``.
      learning_rate: The optimizer's learning rate.
      epochs: Passes over the training data.
      batch_size: Ratings per step.
      use_title_hash: Add the hashed-title embedding (Keras ``Hashing`` path)
        to the candidate tower.
      top_k: Results returned by the serving signatures.
      seed: Seed of initialisation and shuffling.
      shuffle_buffer: Examples held by the training shuffle.
      cache_examples: Transform the training split once and keep it in
        memory between epochs.
    """

    embedding_dim: int = 32
    tower_layers: Tuple[int, ...] = ()
    output_dim: int = 64
    loss: str = LOSS_AUTO
    exact_softmax_max_candidates: int = 20_000
    optimizer: str = "adam"
    learning_rate: float = 0.01
    epochs: int = 10
    batch_size: int = 4096
    use_title_hash: bool = False
    top_k: int = 100
    seed: int = 42
    shuffle_buffer: int = 100_000
    cache_examples: bool = True

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("embedding_dim", "output_dim", "epochs", "batch_size", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainerConfig":
        """Builds a config from a mapping, e.g. the Trainer's ``custom_config``.

        Args:
          values: Field name to value; unknown names are an error.

        Returns:
          The config.

        Raises:
          ValueError: On unknown names or invalid values.
        """
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown trainer settings {unknown}; known: {sorted(known)}")
        values = dict(values)
        if "tower_layers" in values:
            values["tower_layers"] = tuple(int(v) for v in values["tower_layers"])
        return cls(**values)

    def resolved_loss(self, num_candidates: int) -> str:
        """The loss to train with for a corpus of ``num_candidates`` movies.

        Args:
          num_candidates: Size of the candidate corpus.

        Returns:
          ``exact_softmax`` or ``in_batch_softmax``.
        """
        if self.loss != LOSS_AUTO:
            return self.loss
        if num_candidates <= self.exact_softmax_max_candidates:
            return LOSS_EXACT
        return LOSS_IN_BATCH
