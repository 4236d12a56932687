"""Settings from the environment (COMPOUND_*); read once per process."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPOUND_")

    # A SQLite file in the working directory unless told otherwise.
    database_url: str = f"sqlite:///{Path.cwd() / 'compound.kit.db'}"
    environment: str = "development"  # development | production
    secret_key: str = DEFAULT_SECRET
    default_locale: str = "zh_Hans"
    sql_echo: bool = False
    # Addresses or networks of the reverse proxies whose X-Forwarded-For is believed (comma-separated).
    trusted_proxies: str = ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
