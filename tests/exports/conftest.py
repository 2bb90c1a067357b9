"""Fixtures of the export tests."""

import pytest

from exports import tasks


@pytest.fixture
def queued(monkeypatch):
    """The ids of the export jobs queued: the task is recorded, not run."""
    sent = []
    monkeypatch.setattr(tasks.run_export, "delay", sent.append)
    return sent
