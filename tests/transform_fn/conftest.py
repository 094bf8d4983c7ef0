"""Fixtures over a module's ``transformed`` fixture (a ``TransformRun``)."""

import pytest


@pytest.fixture(scope="module")
def rows_out(transformed):
    """The transformed instances, sorted."""
    return transformed.rows


@pytest.fixture(scope="module")
def tf_transform_output(transformed):
    """The ``TFTransformOutput`` of the run."""
    return transformed.output
