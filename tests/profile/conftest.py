import pytest


@pytest.fixture(autouse=True)
def _quiet(quiet_ai):
    """The profile page is tested with the AI quiet and auto-assign off (see tests/conftest.py)."""
