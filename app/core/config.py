"""Settings from the environment (SCALEUP_*), one object for the whole process."""

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCALEUP_", extra="ignore")

    environment: str = "development"  # development | production
    database_url: str = "sqlite:///./var/scaleup.db"
    storage_dir: Path = Path("./var/documents")
    secret_key: str = DEFAULT_SECRET
    max_upload_bytes: int = 20 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    # A whole province's statistics roster (500,000 rows ≈ 50 MB of CSV) is one upload.
    max_roster_bytes: int = 200 * 1024 * 1024
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_attempts_per_15min: int = 10
    city_code: str = "650100"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("SCALEUP_SECRET_KEY must be set outside development")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment == "development"


@lru_cache
def get_settings() -> Settings:
    return Settings()
