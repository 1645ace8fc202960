import sys
from pathlib import Path

import pytest

from benchhost import seed


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The seeder creates the demo users; hashing their passwords properly is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    """60 bench products (and the demo's users, vendors, categories, brands, zones and
    promotions): how many."""
    created, _ = seed.seed(60)
    assert created == 60
    return 60


# The peer run's modules (benchmarks/peers) import one another by name, as run.py loads them.
PEERS_DIR = str(Path(__file__).resolve().parent.parent / "peers")
if PEERS_DIR not in sys.path:
    sys.path.insert(0, PEERS_DIR)
