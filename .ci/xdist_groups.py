"""pytest plugin (pyproject's addopts load it for every run): makes pytest-xdist's `--dist loadgroup` work
with pytest 9.

`--dist loadgroup` sends every test of an `xdist_group` to one worker, so that a module's module-scoped
fixtures (a seeded demo city, a gunicorn, an IMAP server) are made once rather than on each worker the
module's tests are spread over. xdist 3.8 marks a grouped test by appending "@group" to `item._nodeid`,
which pytest 9 no longer reads (a node's id lives in `item._id`), so every group would silently be spread
like `--dist load`. This copies xdist's id into the one pytest reads, after xdist wrote it. Without xdist,
or without groups, it changes nothing.
"""

from __future__ import annotations

import pytest
from _pytest.nodeid import coerce_node_id


@pytest.hookimpl(trylast=True)  # after xdist's worker hook has written the "@group" ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        grouped = item.__dict__.get("_nodeid")
        if isinstance(grouped, str) and grouped != item.nodeid:
            item._id = coerce_node_id(grouped)
