"""Verifying the bearer tokens that authenticate players and admins.

Tokens are HS256 JWTs signed with `JWT_SECRET`. Claims: `sub` (the user id, an
integer written as a string), `exp` (required) and `roles` (a list of strings;
"admin" opens the admin API). Only HS256 is accepted, so `alg: none` and tokens
signed with another algorithm are refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from ingest.config import get_settings
from ingest.schemas.users import MAX_USER_ID

ALGORITHM = "HS256"
ADMIN_ROLE = "admin"
# Verified tokens are remembered: a client sends the same token with every request, and
# checking the signature costs more than the rest of a small request. The key is the whole
# token (signature included) and the secret, and expiry is checked again on every use.
_VERIFIED_CACHE_SIZE = 10_000
_verified: dict[tuple[str, str], tuple[TokenClaims, float]] = {}


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why, for the 401 body."""


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    user_id: int
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


def signing_secret(secret: str | None = None) -> str:
    if secret is not None:
        return secret
    configured = get_settings().jwt_secret
    assert configured is not None  # Settings fills in the development key or refuses to start
    return configured.get_secret_value()


def decode_token(token: str, secret: str | None = None) -> TokenClaims:
    """Verify signature, algorithm and expiry; return the claims or raise InvalidToken."""
    key = (token, signing_secret(secret))
    cached = _verified.get(key)
    if cached is not None:
        claims, expires_at = cached
        if time.time() < expires_at:
            return claims
        del _verified[key]
        raise InvalidToken("the token has expired; get a new one")
    claims = _verify(*key)
    if len(_verified) >= _VERIFIED_CACHE_SIZE:
        _verified.clear()
    return claims


def _verify(token: str, secret: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired; get a new one") from error
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(f"the token lacks the required claim '{error.claim}'") from error
    except jwt.InvalidAlgorithmError as error:
        raise InvalidToken(f"the token must be signed with {ALGORITHM}") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidToken("the token signature does not verify") from error
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"the token is malformed: {error}") from error

    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isascii() or not subject.isdigit():
        raise InvalidToken("the token's 'sub' claim must be the user id as a string of digits")
    user_id = int(subject)
    if user_id < 1 or user_id > MAX_USER_ID:
        raise InvalidToken("the token's 'sub' claim is not a valid user id")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("the token's 'roles' claim must be a list of strings")
    verified = TokenClaims(subject=subject, user_id=user_id, roles=tuple(roles))
    _verified[(token, secret)] = (verified, float(claims["exp"]))
    return verified
