"""The admin web console: one HTML page, its script, stylesheet and message catalogues
(one per language, `messages.<language>.json`), served as files.

The page holds no data; it calls the admin API with the admin's token. Every
response carries a strict Content-Security-Policy: only this origin's script and
stylesheet run, no inline code, no framing, no third-party requests.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

CONSOLE_DIR = Path(__file__).resolve().parent.parent.parent / "console"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
STATIC_FILES = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "messages.en.json": "application/json; charset=utf-8",
    "messages.ko.json": "application/json; charset=utf-8",
}

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def console_page() -> FileResponse:
    return FileResponse(
        CONSOLE_DIR / "index.html", media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS
    )


@router.get("/static/{name}")
def console_asset(name: str) -> FileResponse:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no console file '{name}'")
    return FileResponse(CONSOLE_DIR / name, media_type=media_type, headers=SECURITY_HEADERS)
