"""One definition of retrieval ranking metrics, shared by every component.

The Trainer's report, the RetrievalEvaluator and the synthetic generator's
oracle all rank a score matrix with ``target_ranks`` and summarize with
``accuracy_at_k`` / ``user_recall_at_k``, so their numbers compare; the
Evaluator and the Trainer's report sample a big eval split with
``uniform_sample``.
"""

from retrieval_metrics.ranking import (
    accuracy_at_k,
    exclusion_mask,
    target_ranks,
    user_recall_at_k,
)
from retrieval_metrics.sampling import EVAL_SAMPLE_SEED, uniform_sample

__all__ = [
    "EVAL_SAMPLE_SEED",
    "accuracy_at_k",
    "exclusion_mask",
    "target_ranks",
    "uniform_sample",
    "user_recall_at_k",
]
