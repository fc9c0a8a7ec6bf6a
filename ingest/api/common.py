"""Path parameters and documented error responses that several routes share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from ingest.schemas.users import MAX_USER_ID

UserIdPath = Annotated[int, Path(ge=1, le=MAX_USER_ID, description="The player's id.")]

# What any admin write route can answer besides its success (documented in OpenAPI).
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid token"},
    403: {"description": "The token lacks the admin role"},
    413: {"description": "Body larger than 1 MiB"},
    422: {"description": "Invalid body; `detail` names each bad field"},
}

# Routes over the published segments answer 503 until a pipeline run has published them.
NOT_PUBLISHED: dict[int | str, dict[str, Any]] = {
    503: {"description": "Segments have not been published yet"}
}
