"""FastAPI dependencies shared by the routes, as `Annotated` aliases.

- `SessionDep`: an `AsyncSession` for the request; commit explicitly.
- `CurrentUserId`: the player's id from a valid bearer token (401 otherwise); the
  per-user rate limit applies (429).
- `AdminDep`: an `Admin` (its `.subject` names the actor in audit rows); 401 for a bad
  token, 403 for a valid token without the "admin" role.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.api.rate_limit import get_rate_limiter
from ingest.auth import InvalidToken, TokenClaims, decode_token
from ingest.db import get_async_session_factory

# auto_error=False: the 401 body is ours, with a message that says what to send.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <JWT>`, HS256, claims sub (user id), exp, roles.",
)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with get_async_session_factory()() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


# The dependencies below are `async def` although they never await: they only compute
# (the verified-token cache, a token bucket), and a plain `def` dependency runs in the
# thread pool, which costs more per request than the work itself.
async def get_token_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> TokenClaims:
    if credentials is None:
        raise _unauthorized(
            "missing or non-Bearer Authorization header: send 'Authorization: Bearer <token>'"
        )
    try:
        claims = decode_token(credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from error
    # The request log line names the caller (never the token).
    request.state.user_id = claims.user_id
    return claims


ClaimsDep = Annotated[TokenClaims, Depends(get_token_claims)]


async def get_current_user_id(claims: ClaimsDep) -> int:
    """The player's id; it comes from the token only, never from a request body.

    Player routes are rate limited per user here (429 with Retry-After when over).
    """
    get_rate_limiter().check(claims.user_id)
    return claims.user_id


CurrentUserId = Annotated[int, Depends(get_current_user_id)]


@dataclass(frozen=True)
class Admin:
    subject: str


def get_admin(claims: ClaimsDep) -> Admin:
    if not claims.is_admin:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="this route needs a token with the 'admin' role",
        )
    return Admin(subject=claims.subject)


AdminDep = Annotated[Admin, Depends(get_admin)]
