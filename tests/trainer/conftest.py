"""Shared trainer-test data: one small analysed synthetic dataset."""

import pytest

from tests.trainer import trainer_fixtures


@pytest.fixture(scope="session")
def analysed_data(tmp_path_factory) -> trainer_fixtures.AnalysedData:
    """~3,000 synthetic ratings through ExampleGen and the preprocessing_fn."""
    return trainer_fixtures.build(
        str(tmp_path_factory.mktemp("trainer_data")), {"num_ratings": 3000, "seed": 7}
    )
