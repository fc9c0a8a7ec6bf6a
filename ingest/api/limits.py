"""Refusing oversized request bodies with 413 before they are parsed.

The declared Content-Length is checked first; a body sent without one (chunked)
is counted as it streams in, so neither form can make the server buffer more.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024


def _too_large_message(limit: int) -> str:
    return (
        f"request body is larger than {limit} bytes; split it "
        "(the activity batch takes at most 500 events)"
    )


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                response = JSONResponse({"detail": _too_large_message(limit)}, status_code=413)
                await response(scope, receive, send)
                return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPExceptions met while reading the body.
                    raise HTTPException(status_code=413, detail=_too_large_message(limit))
            return message

        await self.app(scope, counting_receive, send)
