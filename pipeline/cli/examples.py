"""``examples``: only the ExampleGen, into a folder (rating examples and movie corpus)."""

import argparse
import functools

from pipeline.cli import errors, options

EXAMPLE = """\
example:
  movielens-tfx examples --source grouplens --input-path ml-100k.zip --output-dir out
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "examples", help="run only the ExampleGen into a folder",
        description="Runs MovieLensExampleGen alone: rating examples (train and eval) and "
                    "the movie corpus as TFRecords of tf.train.Example.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    options.add_source_arguments(parser)
    parser.add_argument("--output-dir", required=True, help="where examples/ and candidates/ go")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Writes the examples and prints what was written.

    Args:
      args: Parsed options.

    Returns:
      0 once written.
    """
    # pylint: disable=import-outside-toplevel  # TensorFlow and Beam
    from components.movielens_example_gen import spec
    from pipeline import preflight
    from pipeline.examples_command import generate_examples

    with errors.checking_request():
        settings, _, data_note = preflight.inspect_source(
            args.source, functools.partial(options.example_gen_settings, args)
        )
    if data_note:
        print(f"note: {data_note}")
    examples, candidates = generate_examples(
        settings, args.output_dir, preflight.local_beam_args("in_memory", 1, 0)
    )
    prefix = spec.NUM_EXAMPLES_PROPERTY_PREFIX
    print(f"span {examples.span}, fingerprint {examples.get_string_custom_property(spec.FINGERPRINT_KEY)}")
    for split in ("train", "eval"):
        print(f"ratings {split}: {examples.get_int_custom_property(prefix + split)} examples "
              f"in {examples.uri}/Split-{split}")
    print(f"movie corpus: {candidates.get_int_custom_property(prefix + spec.CANDIDATES_SPLIT)} "
          f"examples in {candidates.uri}/Split-{spec.CANDIDATES_SPLIT}")
    print(f"bad rows: {examples.get_int_custom_property(spec.BAD_ROWS_COUNT_PROPERTY)}")
    print(f"duplicate ratings: {examples.get_int_custom_property(spec.DUPLICATE_RATINGS_COUNT_PROPERTY)} "
          f"({'kept' if settings.keep_duplicate_ratings else 'dropped'})")
    quality = examples.get_string_custom_property(spec.SYNTHETIC_QUALITY_PROPERTY)
    if quality:
        print(f"synthetic quality bounds on eval: {quality}")
    return 0
