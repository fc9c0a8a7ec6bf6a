"""Before the first pipeline run the admin API says so (503 with a hint), never a 500.

Overrides wait for it too: their segment must be one the published catalogue holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.auth import admin_headers
from tests.support.cohort import drop_published, reset_app_tables

pytestmark = pytest.mark.anyio


@pytest.fixture
def nothing_published(engine: Engine) -> Iterator[None]:
    drop_published(engine)
    reset_app_tables(engine)
    with engine.begin() as connection:
        connection.execute(text("insert into app.users (id, created_at) values (7, now())"))
    yield
    reset_app_tables(engine)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/segments",
        "/admin/api/segments/sizes",
        "/admin/api/segments/catalogue",
        # Before the first publication there is no catalogue to check a name against.
        "/admin/api/segments/ANY_NAME/users",
        "/admin/api/segments/ANY_NAME/export",
        "/admin/api/segments/changes",
        "/admin/api/segments/changes/recent",
        "/admin/api/users/7/segment",
        "/admin/api/users/7/segment/history",
    ],
)
@pytest.mark.usefixtures("nothing_published")
async def test_unpublished_segments_answer_503_with_a_hint(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers=admin_headers())
    assert response.status_code == 503
    assert "segment_users.py" in response.json()["detail"]


@pytest.mark.usefixtures("nothing_published")
async def test_override_waits_for_a_published_catalogue(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    response = await client.put(
        "/admin/api/users/7/segment",
        json={"segment": "ANY_NAME", "reason": "launch"},
        headers=admin_headers(),
    )
    assert response.status_code == 503
    assert "segment_users.py" in response.json()["detail"]
    with engine.connect() as connection:
        stored = connection.execute(text("select count(*) from app.segment_overrides"))
        assert stored.scalar_one() == 0
