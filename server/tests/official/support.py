"""Small helpers shared by the test modules (no fixtures here: see conftest.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import alter_sdk


def parse_ts(s: str) -> datetime:
    """An RFC 3339 timestamp as the server sends it (``...Z`` or an offset)."""
    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    assert t.tzinfo is not None, f"timestamp without offset: {s!r}"
    return t.astimezone(timezone.utc)


def is_uuid(s: Any) -> bool:
    try:
        return isinstance(s, str) and str(uuid.UUID(s)) == s
    except ValueError:
        return False


def label() -> str:
    return f"lbl-{uuid.uuid4().hex[:10]}"


async def all_pages(client: Any, limit: int, **filters: Any) -> list[Any]:
    """Walks every page with limit/offset, checking has_more/total on each."""
    items: list[Any] = []
    offset = 0
    total = None
    while True:
        page = await client.list_grants(limit=limit, offset=offset, **filters)
        assert isinstance(page, alter_sdk.UnifiedGrantListResult)
        if total is None:
            total = page.total
        assert page.total == total, "total changed between pages"
        assert page.limit == limit and page.offset == offset
        assert len(page.grants) <= limit
        items.extend(page.grants)
        offset += len(page.grants)
        assert page.has_more == (offset < total), (offset, total, page.has_more)
        if not page.has_more:
            break
        assert page.grants, "has_more with an empty page"
    assert len(items) == total
    return items
