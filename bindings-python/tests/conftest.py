"""A real grantline-server for the session (ephemeral port; the store from
``GRANTLINE_TEST_STORE``: a fresh SQLite file by default, or ``memory`` or ``postgres``).

Starting, stopping and provisioning come from the one Python server harness,
``tests/harness/server_harness.py`` at the repository root (shared with the official-client
suite); ``Server`` and ``running_server`` are re-exported here for the test modules.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "harness"))
from server_harness import (  # noqa: E402
    Server,
    alter_base_url,
    database_args,
    running_server,
    store_from_env,
)

__all__ = ["Server", "running_server"]


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp, running_server(
        *database_args(store_from_env("file"), Path(tmp))
    ) as srv, alter_base_url(srv.base_url):
        yield srv
