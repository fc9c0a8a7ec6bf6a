"""Bearer-token checks: who gets 401, who gets 403, against the real app."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from fastapi import APIRouter

from ingest.api.deps import AdminDep, CurrentUserId
from ingest.auth import InvalidToken, decode_token, signing_secret
from ingest.tokens import main as tokens_main
from ingest.tokens import make_token

pytestmark = pytest.mark.anyio

WRONG_KEY = "a-key-that-is-not-the-configured-one-0123456789"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_make_token_round_trips() -> None:
    claims = decode_token(make_token(42, admin=True))
    assert claims.user_id == 42
    assert claims.is_admin


def test_tokens_cli_prints_a_verifiable_token(capsys: pytest.CaptureFixture[str]) -> None:
    tokens_main(["--user-id", "7", "--ttl-seconds", "60"])
    claims = decode_token(capsys.readouterr().out.strip())
    assert claims.user_id == 7
    assert not claims.is_admin


UNSIGNED = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64({"sub": "1", "exp": 2**40}) + "."


@pytest.mark.parametrize(
    "token, reason",
    [
        (make_token(1, ttl_seconds=-10), "expired"),
        (make_token(1, secret=WRONG_KEY), "signature"),
        ("not-a-jwt", "malformed"),
        (UNSIGNED, "HS256"),
        (jwt.encode({"sub": "1"}, signing_secret(), algorithm="HS256"), "exp"),
    ],
    ids=["expired", "wrong-key", "malformed", "alg-none", "no-exp"],
)
def test_untrusted_tokens_are_refused(token: str, reason: str) -> None:
    with pytest.raises(InvalidToken, match=reason):
        decode_token(token)


def test_alg_none_is_refused_even_with_required_claims() -> None:
    header = _b64({"alg": "none", "typ": "JWT"})
    body = _b64({"sub": "1", "exp": int(time.time()) + 600, "roles": ["admin"]})
    with pytest.raises(InvalidToken):
        decode_token(f"{header}.{body}.")


def test_sub_must_be_digits() -> None:
    now = int(time.time())

    token = jwt.encode({"sub": "alice", "exp": now + 60}, signing_secret(), algorithm="HS256")
    with pytest.raises(InvalidToken, match="sub"):
        decode_token(token)


# A probe router mounted on a throwaway app shares the real dependencies.
probe = APIRouter()


@probe.get("/whoami")
def whoami(user_id: CurrentUserId) -> dict[str, int]:
    return {"user_id": user_id}


@probe.get("/admin-only")
def admin_only(admin: AdminDep) -> dict[str, str]:
    return {"subject": admin.subject}


@pytest.fixture
async def probe_client() -> httpx.AsyncClient:
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(probe)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": f"Bearer {make_token(5, ttl_seconds=-1)}"},
        {"Authorization": "Bearer " + make_token(5, secret=WRONG_KEY)},
    ],
    ids=["missing", "basic", "empty-bearer", "malformed", "expired", "wrong-key"],
)
async def test_bad_tokens_get_401_with_a_json_reason(
    probe_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with probe_client:
        response = await probe_client.get("/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


async def test_valid_token_yields_the_user_id(
    probe_client: httpx.AsyncClient, user_headers
) -> None:
    async with probe_client:
        response = await probe_client.get("/whoami", headers=user_headers(31))
    assert response.json() == {"user_id": 31}


async def test_non_admin_on_admin_route_gets_403(
    probe_client: httpx.AsyncClient, user_headers, admin_headers
) -> None:
    async with probe_client:
        player = await probe_client.get("/admin-only", headers=user_headers(31))
        admin = await probe_client.get("/admin-only", headers=admin_headers)
        missing = await probe_client.get("/admin-only")
    assert player.status_code == 403
    assert "admin" in player.json()["detail"]
    assert admin.status_code == 200
    assert admin.json() == {"subject": "1"}
    assert missing.status_code == 401


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.auth

    token = make_token(8, ttl_seconds=60)
    assert decode_token(token).user_id == 8  # verified, then remembered
    later = time.time() + 61
    monkeypatch.setattr(ingest.auth.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        decode_token(token)
