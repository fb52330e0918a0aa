"""Test isolation: every test session gets its own JIXIAO_HOME.

The user's cache (~/.cache/jixiao) is never read or written by tests. Within a session
the home is shared, so the slow tests convert the embedding model and build the index
once, not once per test. Set JIXIAO_TEST_HOME to reuse a home across sessions.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def jixiao_home(tmp_path_factory: pytest.TempPathFactory):
    home = os.environ.get("JIXIAO_TEST_HOME") or str(tmp_path_factory.mktemp("jixiao-home"))
    old = os.environ.get("JIXIAO_HOME")
    os.environ["JIXIAO_HOME"] = home
    yield home
    if old is None:
        os.environ.pop("JIXIAO_HOME", None)
    else:
        os.environ["JIXIAO_HOME"] = old
