"""Issuing tokens for development and tests.

    pulse token --user-id 42 [--admin] [--ttl-seconds N]
    python -m ingest.tokens --user-id 42 [--admin] [--ttl-seconds N]   (the same)

prints a token signed with the configured `JWT_SECRET`. In production the
platform issues tokens; this tool exists so that a developer can call the API.
"""

from __future__ import annotations

import argparse
import time

import jwt

from ingest.auth import ADMIN_ROLE, ALGORITHM, signing_secret


def make_token(
    user_id: int, admin: bool = False, ttl_seconds: int = 3600, secret: str | None = None
) -> str:
    """A signed token for `user_id`, valid for `ttl_seconds` (negative: already expired)."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + ttl_seconds,
        "roles": [ADMIN_ROLE] if admin else [],
    }
    return jwt.encode(claims, signing_secret(secret), algorithm=ALGORITHM)


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    parser = argparse.ArgumentParser(prog=prog, description="Print a Pulse API token.")
    parser.add_argument("--user-id", type=int, required=True)
    parser.add_argument("--admin", action="store_true", help="grant the admin role")
    parser.add_argument("--ttl-seconds", type=int, default=3600)
    args = parser.parse_args(argv)
    print(make_token(args.user_id, admin=args.admin, ttl_seconds=args.ttl_seconds))


if __name__ == "__main__":
    main()
