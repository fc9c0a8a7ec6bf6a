"""Settings: the JWT secret has no usable default outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.config import DEVELOPMENT_JWT_SECRET, Settings


def test_development_falls_back_to_the_development_secret(monkeypatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    settings = Settings(pulse_env="development")
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET


@pytest.mark.parametrize("env", ["production", "test"])
def test_missing_secret_outside_development_refuses_with_a_clear_message(
    monkeypatch, env: str
) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        Settings(pulse_env=env)


def test_production_refuses_the_published_development_secret(monkeypatch) -> None:
    monkeypatch.setenv("JWT_SECRET", DEVELOPMENT_JWT_SECRET)
    with pytest.raises(ValidationError, match="development key"):
        Settings(pulse_env="production")


def test_production_accepts_a_real_secret(monkeypatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "a-real-secret-of-reasonable-length")
    settings = Settings(pulse_env="production")
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == "a-real-secret-of-reasonable-length"
