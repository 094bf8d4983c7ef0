"""Trainer hyperparameters, with defaults and checks."""

import dataclasses
from typing import Any, Mapping, Optional, Tuple

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
      max_steps: Step budget: training stops after this many optimizer
        steps (batches) even if epochs are left, the last epoch then cut
        short; None trains every epoch. The default, 2,000, leaves the
        default 10 epochs whole up to ~1M ratings (1,960 steps) and caps
        bigger data at a fixed amount of work (two epochs at 5M; measured
        in docs/benchmarks.md). What stopped training
        (``epochs`` or ``max_steps``), the epochs and steps trained are in
        the Trainer's report and its progress lines.
      batch_size: Ratings per step.
      use_title_hash: Add the hashed-title embedding (Keras ``Hashing`` path)
        to the candidate tower.
      top_k: Results returned by the serving signatures.
      seed: Seed of initialisation and shuffling.
      shuffle_buffer: Examples held by the training shuffle when streaming
        from the files (``cache_examples`` off, or a split above
        ``cache_max_examples``), which take turns giving a record
        (``data.streamed_batches``); 0 keeps file order. In memory any
        value above 0 reshuffles the whole split every epoch.
      cache_examples: Transform the training split once and keep it in
        memory between epochs.
      cache_max_examples: A training split of more ratings than this streams
        from its files even with ``cache_examples`` (the Trainer's log says
        so); null: no limit. The default, 5,000,000, holds ml-1m-sized data
        in memory (epochs then only gather rows) and streams ml-20m and
        ml-25m: at 25M the Trainer peaked at 9.96 GiB with its 20M
        training ratings in memory, 4.06 GiB streamed (docs/benchmarks.md).
      history_in_query: The query tower averages embeddings of the user's
        history (the movies they rated in training before the query time;
        in training, a random sample of the other movies the user rated in
        the training data, ``history_keep_rate``).
      history_keep_rate: In training, the chance that each of the user's
        other training movies is in a query's history, drawn anew every
        step; the movies left out stay in the softmax as competitors. At 1
        the history is every other movie, and the model can learn to find
        the held-out one by subtraction: training loss falls while the
        model as served falls to popularity (measured in trainer/README.md).
      exclude_rated_from_loss: Leave the movies in a training query's
        history out of the exact softmax, as the served model leaves the
        history out of its answers (without ``history_in_query``: the
        user's other rated movies).
      user_id_in_query: The query tower embeds the user id itself (besides
        their history and demographics).
      time_in_query: The query tower reads the time's z-score (clipped to
        the analysed range). Off by default: a query without a time is asked
        at the latest training time, which for most users lies long after
        their ratings, and on the random split that moved their answers
        towards the movies of the data's last weeks (measured in
        trainer/README.md).
        The fine time bucket never enters the query tower: it names the
        rating session (``features.SESSION_NAMING_FEATURES``).
      max_eval_examples: The Trainer's own report ranks a uniform random
        sample of this many eval ratings (seeded: the same split gives the
        same sample; the Evaluator's ``max_eval_examples`` samples by the
        same reservoir method), or every eval rating when null or when the
        split is smaller.
        Ranking all of ml-25m's 5M eval ratings against its 62k movies
        would take over an hour by the 5M run's cost (stopped, not run to
        the end: trainer/README.md); 100,000 bounds the report at any size
        (a top-10 accuracy near 0.2 then has a standard error of ~0.0013).
        The report says how many it ranked of how many it read.
      temperature: If > 0, both towers' outputs are L2-normalised and the
        query's is divided by it, so a score is the cosine similarity over
        the temperature (sharper than a plain dot product can learn to be
        without growing the embeddings); 0 keeps plain dot products.
        Measured in trainer/README.md.
    """

    embedding_dim: int = 32
    tower_layers: Tuple[int, ...] = ()
    output_dim: int = 64
    loss: str = LOSS_AUTO
    exact_softmax_max_candidates: int = 20_000
    optimizer: str = "adam"
    learning_rate: float = 0.003
    epochs: int = 10
    max_steps: Optional[int] = 2000
    batch_size: int = 4096
    use_title_hash: bool = False
    top_k: int = 100
    seed: int = 42
    shuffle_buffer: int = 100_000
    cache_examples: bool = True
    cache_max_examples: Optional[int] = 5_000_000
    history_in_query: bool = True
    history_keep_rate: float = 0.8
    user_id_in_query: bool = True
    exclude_rated_from_loss: bool = True
    time_in_query: bool = False
    max_eval_examples: Optional[int] = 100_000
    temperature: float = 0.15

    def __post_init__(self):
        _check_types(self)
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("embedding_dim", "output_dim", "epochs", "batch_size", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(
                f"max_steps must be >= 1 (optimizer steps), or null for no step budget, "
                f"got {self.max_steps}"
            )
        if self.cache_max_examples is not None and self.cache_max_examples < 1:
            raise ValueError(
                f"cache_max_examples must be >= 1, or null for no limit, "
                f"got {self.cache_max_examples}"
            )
        if self.max_eval_examples is not None and self.max_eval_examples < 1:
            raise ValueError(
                f"max_eval_examples must be >= 1, or null to rank every eval rating, "
                f"got {self.max_eval_examples}"
            )
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.history_keep_rate <= 1.0:
            raise ValueError(
                f"history_keep_rate must be in (0, 1], got {self.history_keep_rate}"
            )
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
        if not isinstance(values, Mapping):
            raise ValueError(
                f"Trainer settings must be a JSON object of names to values, got {values!r}"
            )
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown trainer settings {unknown}; known: {sorted(known)}")
        values = dict(values)
        if isinstance(values.get("tower_layers"), list):
            values["tower_layers"] = tuple(values["tower_layers"])
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


_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _check_types(config: TrainerConfig) -> None:
    """Raises ValueError naming the first setting whose value has the wrong type."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        wanted = field.type
        if wanted == Optional[int]:
            ok = value is None or _is_int(value)
            what = "an integer or null"
        elif wanted == Tuple[int, ...]:
            ok = isinstance(value, tuple) and all(_is_int(v) for v in value)
            what = "a list of integers"
        elif wanted is int:
            ok, what = _is_int(value), _TYPE_NAMES[int]
        elif wanted is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            what = _TYPE_NAMES[float]
        else:
            ok, what = isinstance(value, wanted), _TYPE_NAMES[wanted]
        if not ok:
            raise ValueError(
                f"Trainer setting {field.name!r} must be {what}, got {value!r} "
                f"({type(value).__name__})"
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
