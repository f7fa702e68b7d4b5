"""Settings read from PORTAL_* environment variables (documented in README.md)."""
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


def _bool(value, default=False):
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8888"
    cookie_secret: str = ""
    mail_transport: str = "file"  # "file" or "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Petitions <no-reply@petitions.localhost>"
    run_jobs_in_serve: bool = True
    petition_max_days: int = 365
    petition_default_days: int = 90
    session_days: int = 14
    webhooks_allow_http: bool = False  # http:// and private/loopback webhook endpoints (testing only)
    open_data_licence: str = "CC-BY-4.0"
    extra: dict = field(default_factory=dict)

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _cookie_secret(data_dir: Path) -> str:
    """Generate the secret once and keep it in the data folder, so restarts keep sessions."""
    path = data_dir / "cookie_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def from_environment(env=os.environ) -> Settings:
    data_dir = Path(env.get("PORTAL_DATA_DIR") or "data")
    database_url = env.get("PORTAL_DATABASE_URL") or f"sqlite:///{data_dir / 'portal.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url=(env.get("PORTAL_BASE_URL") or "http://127.0.0.1:8888").rstrip("/"),
        cookie_secret=env.get("PORTAL_COOKIE_SECRET") or _cookie_secret(data_dir),
        mail_transport=(env.get("PORTAL_MAIL_TRANSPORT") or "file").lower(),
        smtp_host=env.get("PORTAL_SMTP_HOST") or "127.0.0.1",
        smtp_port=int(env.get("PORTAL_SMTP_PORT") or 25),
        smtp_user=env.get("PORTAL_SMTP_USER") or "",
        smtp_password=env.get("PORTAL_SMTP_PASSWORD") or "",
        smtp_starttls=_bool(env.get("PORTAL_SMTP_STARTTLS")),
        mail_from=env.get("PORTAL_MAIL_FROM") or "Petitions <no-reply@petitions.localhost>",
        run_jobs_in_serve=_bool(env.get("PORTAL_RUN_JOBS"), default=True),
        petition_max_days=int(env.get("PORTAL_PETITION_MAX_DAYS") or 365),
        petition_default_days=int(env.get("PORTAL_PETITION_DEFAULT_DAYS") or 90),
        session_days=int(env.get("PORTAL_SESSION_DAYS") or 14),
        webhooks_allow_http=_bool(env.get("PORTAL_WEBHOOKS_ALLOW_HTTP")),
        open_data_licence=(env.get("PORTAL_OPEN_DATA_LICENCE") or "CC-BY-4.0").strip(),
    )


def base_url_for(address: str, port: int) -> str:
    """The public address `serve` announces when PORTAL_BASE_URL is unset: where it listens (a
    wildcard address is reached locally as 127.0.0.1)."""
    host = address or "127.0.0.1"
    if host in ("0.0.0.0", "::", "*"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


# The active settings. portal.py and the tests call configure(); everything else reads current().
_current = None


def configure(settings: Settings) -> Settings:
    global _current
    _current = settings
    return settings


def current() -> Settings:
    if _current is None:
        return configure(from_environment())
    return _current
