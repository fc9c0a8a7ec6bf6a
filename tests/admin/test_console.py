"""The console's files are served with a restrictive Content-Security-Policy."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/static/console.js",
        "/admin/static/console.css",
        "/admin/static/messages.en.json",
        "/admin/static/messages.ko.json",
    ],
)
async def test_console_files_carry_a_strict_csp(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_console_page_loads_only_its_own_assets(client: httpx.AsyncClient) -> None:
    page = (await client.get("/admin")).text
    assert '<script src="/admin/static/console.js" defer></script>' in page
    assert "<script>" not in page and "http://" not in page and "https://" not in page


async def test_console_serves_no_other_files(client: httpx.AsyncClient) -> None:
    assert (await client.get("/admin/static/index.html")).status_code == 404
    assert (await client.get("/admin/static/..%2Fconsole.py")).status_code == 404
