"""RetrievalEvaluator: top-k metrics over the whole corpus, baselines, blessing."""
