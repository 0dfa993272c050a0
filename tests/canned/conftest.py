import pytest


@pytest.fixture(autouse=True)
def _manual(manual_only):
    """Canned replies are tested without the automation (see tests/conftest.py)."""
