"""Settings from the environment (COMPOUND_*); read once per process."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPOUND_")

    # A SQLite file in the working directory unless told otherwise.
    database_url: str = f"sqlite:///{Path.cwd() / 'compound.db'}"
    environment: str = "development"  # development | production
    secret_key: str = DEFAULT_SECRET
    default_locale: str = "zh_Hans"
    sql_echo: bool = False
    # Addresses or networks of the reverse proxies whose X-Forwarded-For is believed (comma-separated).
    trusted_proxies: str = ""
    # Refused with a 413 before they are read: any request body, and a file upload (to the paths that take one).
    max_body_bytes: int = 2 * 2**20
    max_upload_bytes: int = 50 * 2**20
    # An import file stops being read at this many rows, and a workbook at this much unzipped XML.
    import_max_rows: int = 200_000
    import_max_unzipped_bytes: int = 64 * 2**20
    # The scheduler process (`compound scheduler`): when the daily jobs run, in each compound's local time
    # ("HH:MM"); how often it looks for a run that is due (a missed one after downtime, an abandoned one);
    # how long a job's lease lasts without renewal (a killed holder blocks no one longer than this); how many
    # times a failed daily run is tried again on the same day.
    scheduler_daily_at: str = "02:00"
    scheduler_check_seconds: int = 60
    scheduler_lease_seconds: int = 120
    scheduler_attempts: int = 3


@lru_cache
def get_settings() -> Settings:
    return Settings()
