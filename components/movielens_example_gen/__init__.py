"""ExampleGen over MovieLens: rating examples and the movie candidate corpus.

Public face: ``MovieLensExampleGen`` (the component), ``Settings`` (its
settings), ``BadInputError`` (bad input rows, with file, line and reason), the
split modes ``RANDOM`` and ``TEMPORAL``,
and these modules: ``spec`` (output keys, sources, artifact properties),
``records`` (a rating or movie as the ``tf.train.Example`` the ExampleGen
writes), ``spans`` (which span a run reads, and its fingerprint), ``split_rules``
(the train/eval split's modes, names, rating key and hash),
``formats`` (GroupLens release layouts) and ``tfds_source`` (TFDS builder
names).
"""

from components import public_face

_EXPORTS = {
    "MovieLensExampleGen": "component",
    "Settings": "settings",
    "BadInputError": "bad_rows",
    "RANDOM": "split_rules",
    "TEMPORAL": "split_rules",
}
__all__ = [*_EXPORTS, "spec", "records", "spans", "split_rules", "formats", "tfds_source"]
__getattr__ = public_face(__name__, _EXPORTS)
