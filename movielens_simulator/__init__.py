"""MovieLens-shaped synthetic data with planted structure, and its statistics.

``synthetic`` generates users, movies and ratings whose structure is known
(taste clusters, rating sessions, release-driven popularity over time), so
model quality has a known ceiling; ``synthetic_stats`` measures a ratings
set the way the real MovieLens is described (sessions, cold share of a
temporal split). Used by the ExampleGen's ``synthetic`` source, the tests
and the benchmarks.
"""
