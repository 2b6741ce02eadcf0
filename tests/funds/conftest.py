"""Fixtures of the spending tests: files under a temporary MEDIA_ROOT, the demo's 太平镇."""

import pytest

from townships.models import Township


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")  # category 1 in the demo: 200,000 yuan
