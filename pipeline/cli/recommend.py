"""``recommend``: the pushed model's top K movies for a user."""

import argparse

from pipeline.cli import errors, options

EXAMPLE = """\
examples:
  movielens-tfx recommend --user 42
  movielens-tfx recommend --user 42 --k 20 --timestamp now --work-dir work_dir
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "recommend", help="top K movies for a user from the pushed model",
        description="Asks the newest pushed model (or --model-dir) for a user's top K "
                    "movies, as a server would: the movies the user rated in training "
                    "are left out.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    parser.add_argument("--user", required=True, help="user id")
    parser.add_argument("--k", type=int, default=10, help="number of movies, 1 to the model's K")
    parser.add_argument("--timestamp", default=None,
                        help="query time: unix seconds or 'now' (None: the model's latest "
                             "training time)")
    parser.add_argument("--include-rated", action="store_true",
                        help="keep the movies the user rated in training")
    parser.add_argument("--work-dir", default=options.DEFAULT_WORK_DIR,
                        help="the work directory whose newest pushed model answers")
    parser.add_argument("--model-dir", default=None, help="a pushed model version directory")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Prints the recommendations.

    Args:
      args: Parsed options.

    Returns:
      0 once printed.
    """
    # pylint: disable=import-outside-toplevel  # TensorFlow
    from components.versioned_pusher import latest_pushed_model
    from pipeline import recommend

    with errors.checking_request():
        model_dir = args.model_dir or latest_pushed_model(
            options.WorkPaths.under(args.work_dir).serving_dir
        )
        if model_dir is None:
            raise ValueError(f"no pushed model under {args.work_dir}; run the pipeline first")
        timestamp = None if args.timestamp is None else recommend.parse_timestamp(args.timestamp)
        answer = recommend.recommend(model_dir, args.user, args.k, timestamp, args.include_rated)
    print(f"Top {len(answer.movies)} movies for user {args.user} ({model_dir}):")
    print(f"  {answer.basis()}")
    for rank, (movie_id, title, score) in enumerate(answer.movies, start=1):
        print(f"{rank:3d}. {title}  [movie {movie_id}, score {score:.3f}]")
    return 0
