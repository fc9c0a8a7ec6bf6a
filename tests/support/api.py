"""Calling the service in tests: a GET that must succeed, its JSON body."""

from __future__ import annotations

from typing import Any

import httpx


async def get_json(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> Any:
    """The JSON body of `GET path`; fails the test with the body when it is not a 200."""
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
