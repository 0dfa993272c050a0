import pytest


@pytest.fixture(autouse=True)
def _manual(manual_only):
    """Service rules are tested without the automation (see tests/conftest.py)."""
