"""The service's settings: one pydantic-settings object read from the environment.

It extends Pulse's shared settings (`pulse.settings`: the database, `PULSE_HOME`) with
what only the API needs: the environment, the JWT secret, logging and rate limits.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from pulse.settings import PulseSettings

# Only ever used when PULSE_ENV=development; any other environment refuses to start
# without a real JWT_SECRET.
DEVELOPMENT_JWT_SECRET = "pulse-development-secret-not-for-production"


class Settings(PulseSettings):
    pulse_env: Literal["development", "test", "production"] = "development"
    jwt_secret: SecretStr | None = None
    log_level: str = "INFO"
    # Per-user limit on the player routes (token bucket); 0 turns the limit off.
    pulse_rate_limit_per_second: float = Field(default=50.0, ge=0)
    pulse_rate_limit_burst: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _require_secret_outside_development(self) -> Settings:
        if self.jwt_secret is None or not self.jwt_secret.get_secret_value():
            if self.pulse_env != "development":
                raise ValueError(
                    f"JWT_SECRET must be set when PULSE_ENV={self.pulse_env}: "
                    "Pulse refuses to start with the development signing key outside "
                    "development. Set JWT_SECRET to a long random string."
                )
            self.jwt_secret = SecretStr(DEVELOPMENT_JWT_SECRET)
        elif (
            self.pulse_env == "production"
            and self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
        ):
            raise ValueError("JWT_SECRET is the published development key; set a real secret.")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
