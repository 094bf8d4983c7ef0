"""Measures the timeline and split structure of synthetic MovieLens data.

Generates N synthetic ratings and reports what the real ml-100k shows (its
measured values in ``movielens_simulator/synthetic_stats.py``):
the median user's rating span, the share of ratings within an hour / a day of
the user's first, distinct users per 1,000-quantile timestamp bucket, the
cold-user and cold-movie shares of a temporal 80/20 split, and the filtered
top-k accuracy of the oracle, popularity and recent popularity on the random
and temporal splits.

    python benchmarks/synthetic_structure.py --ratings 100000 --output s.json
"""

import argparse
import json
import sys
import time

from movielens_simulator import synthetic, synthetic_stats


def main() -> int:
    """Generates the data, measures it and writes the JSON.

    Returns:
      The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    config = synthetic.SyntheticConfig(num_ratings=args.ratings, seed=args.seed)
    started = time.perf_counter()
    ratings = list(synthetic.generate_ratings(config, 0, 1))
    generated = time.perf_counter() - started
    result = {
        "config": {"num_ratings": args.ratings, "seed": args.seed,
                   "num_users": config.num_users, "num_movies": config.num_movies},
        "generate_seconds": generated,
        **synthetic_stats.structure_statistics(config, ratings),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
