"""All settings of the portal in one pydantic-settings object, read from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Portal settings; every field can be set as PORTAL_<NAME> (DATABASE_URL without prefix)."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    data_dir: Path = Path("var")
    # DATABASE_URL selects PostgreSQL (or any SQLAlchemy URL); empty means SQLite in data_dir.
    database_url: str = Field(default="", validation_alias=AliasChoices("DATABASE_URL", "PORTAL_DATABASE_URL"))
    jwt_private_key_path: Path | None = None
    # The shared secret channel connectors (Teams) present as `Authorization: Bearer <key>`.
    channel_service_key_file: Path | None = None
    jwt_issuer: str = "werkgeversportaal"
    access_token_minutes: int = 30
    chat_token_minutes: int = 15
    mfa_token_minutes: int = 5
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    timezone: str = "Europe/Amsterdam"
    months_ahead_limit: int = 3
    default_language: str = "nl"
    # The assistant's HTTP API (Rasa), which the service desk's console reads and writes conversations
    # through; empty means no assistant is connected (the console then only lists and resolves).
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 5.0
    rasa_api_key_path: Path | None = None
    # Where the chat widget on the portal pages reaches Rasa's Socket.IO channel (also allowed in the CSP).
    chat_socket_url: str = "http://127.0.0.1:5005"
    # The rasa-webchat bundle installed by `npm ci` in web/; empty means web/node_modules in this checkout.
    webchat_js: Path | None = None
    # Collective uploads (§4.4): limits on what is read, and a pause per row while processing so tests and
    # demos can watch the status move (0 in production: processing runs as fast as it can).
    collective_max_upload_bytes: int = 5_000_000
    collective_max_rows: int = 20_000
    collective_row_delay_seconds: float = 0.0
    # Slows applying each row (tests only: a portal killed in the middle of applying a collective change).
    collective_apply_row_delay_seconds: float = 0.0
    # Where users reach the portal: the links in e-mails point here.
    public_url: str = "http://127.0.0.1:8000"
    # E-mail goes out through SMTP when smtp_host is set; otherwise it stays in the outbox (`portal outbox`).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = "Werkgeversportaal <no-reply@werkgeversportaal.example>"
    # How often mails that SMTP did not take yet are tried again (and, at start, the ones a restart left).
    smtp_retry_seconds: float = 60.0
    # Activation and password reset codes (§1): valid this long, this many tries, this many mails per hour.
    verification_code_minutes: int = 15
    verification_code_attempts: int = 5
    verification_mails_per_hour: int = 5

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver made explicit for PostgreSQL."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'portal.db').resolve()}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def private_key_path(self) -> Path:
        """Where the token-signing key lives (created on first start when missing)."""
        return self.jwt_private_key_path or self.data_dir / "keys" / "jwt-es256.pem"

    @property
    def channel_service_key_path(self) -> Path:
        """Where the channel connectors' service key lives (created on first start when missing)."""
        return self.channel_service_key_file or self.data_dir / "keys" / "channel-service.key"

    @property
    def webchat_js_path(self) -> Path:
        """The rasa-webchat script served as /static/vendor/rasa-webchat.js."""
        repo_root = Path(__file__).resolve().parents[3]
        return self.webchat_js or repo_root / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"

    @property
    def rasa_key_path(self) -> Path:
        """The key the portal signs Rasa API tokens with; Rasa gets the public half (`.pub.pem` beside it)."""
        return self.rasa_api_key_path or self.data_dir / "keys" / "rasa-api-es256.pem"

    @property
    def tz(self) -> ZoneInfo:
        """The insurer's time zone, which decides what 'today' is."""
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
