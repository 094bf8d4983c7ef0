"""RetrievalEvaluator: top-k metrics over the whole corpus, popularity baseline, blessing."""
