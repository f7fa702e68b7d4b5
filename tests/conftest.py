"""Shared fixtures. Every test runs against SQLite and against PostgreSQL (when
PORTAL_TEST_POSTGRES_URL is set; mandatory when PORTAL_REQUIRE_POSTGRES=1, as in .ci/run).

- `database`: settings bound to a fresh database of one backend (session scope, parametrised)
- `app`, `base_url`, `http_client`: pytest-tornado's running app over real HTTP
- `web`: a small cookie- and XSRF-aware client over http_client (tests/support.py)
- `smtp`: a real aiosmtpd server on localhost; `use_smtp(smtp)` switches the portal to it
- `live_server`: the app in a thread of its own (for Chromium and for other processes)
- `make`: factories for organisations, users, petitions in any status, signatures
"""
import os
import shutil
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from models import clock, config
from models.db import bind, db, is_postgres, migrate
from models.user import set_password_cost
from tests import support

BACKENDS = ["sqlite", "postgres"]
# pytest-tornado fails an async test after 5 seconds by default: on a loaded CI machine honest tests
# took longer. Every async test gets this much unless ASYNC_TEST_TIMEOUT or --async-test-timeout says
# otherwise; tests wait on conditions, so a generous limit costs nothing when all is well.
SUITE_ASYNC_TIMEOUT = 120.0


def pytest_configure(config):
    explicit = os.environ.get("ASYNC_TEST_TIMEOUT") or any(
        arg.startswith("--async-test-timeout") for arg in config.invocation_params.args)
    if not explicit and hasattr(config.option, "async_test_timeout"):
        config.option.async_test_timeout = SUITE_ASYNC_TIMEOUT
set_password_cost(time_cost=1, memory_cost=8192)  # argon2id still, cheap enough for tests


def _postgres_admin_url():
    url = os.environ.get("PORTAL_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("PORTAL_REQUIRE_POSTGRES") == "1":
            pytest.fail("PORTAL_REQUIRE_POSTGRES=1 but PORTAL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need PORTAL_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1/postgres)")
    return url


def _create_postgres_database(admin_url):
    import psycopg2

    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    parsed = urlparse(admin_url)
    try:
        connection = psycopg2.connect(admin_url)
    except psycopg2.OperationalError as error:
        if os.environ.get("PORTAL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return name, urlunparse(parsed._replace(path="/" + name))


def _drop_postgres_database(admin_url, name):
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    """Settings bound to a new, migrated database of one backend."""
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    pg_name = None
    if request.param == "postgres":
        admin_url = _postgres_admin_url()
        pg_name, url = _create_postgres_database(admin_url)
    else:
        url = f"sqlite:///{data_dir / 'portal.db'}"
    settings = config.Settings(data_dir=data_dir, database_url=url, base_url="http://127.0.0.1:1",
                               cookie_secret="test-cookie-secret-" + uuid.uuid4().hex, mail_transport="file",
                               run_jobs_in_serve=False)
    config.configure(settings)
    bind(url)
    migrate()
    settings = settings.with_(extra={"backend": request.param})
    config.configure(settings)
    yield settings
    db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    if pg_name:
        _drop_postgres_database(admin_url, pg_name)


def _empty_all_tables():
    # FTS5's shadow tables (petition_search_data, …) belong to their virtual table: never touched directly
    tables = [t for t in db.get_tables() if t != "schema_migration" and not t.startswith("petition_search_")]
    if not tables:
        return
    if is_postgres():
        db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f'DELETE FROM "{table}"')
        if "sqlite_sequence" in [r[0] for r in db.execute_sql("SELECT name FROM sqlite_master").fetchall()]:
            db.execute_sql("DELETE FROM sqlite_sequence")
        db.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(autouse=True)
def clean_database(database):
    """Each test starts with empty tables, an empty mail folder and the real clock."""
    config.configure(database)
    clock.set_global(None)
    db.connect(reuse_if_open=True)
    _empty_all_tables()
    shutil.rmtree(database.mail_dir, ignore_errors=True)
    yield
    clock.set_global(None)
    config.configure(database)
    if not db.is_closed():
        db.close()


@pytest.fixture
def backend(database):
    return database.extra["backend"]


@pytest.fixture
def app(database, http_port):
    """The application for pytest-tornado; mails link to this server."""
    import portal

    settings = config.configure(database.with_(base_url=f"http://localhost:{http_port}"))
    return portal.make_app(settings)


@pytest.fixture
def web(http_client, base_url):
    return support.WebClient(http_client, base_url)


@pytest.fixture
def make():
    return support.Factory()


@pytest.fixture
def smtp():
    server = support.SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def use_smtp(database):
    """Call use_smtp(smtp) to deliver the portal's mail to that aiosmtpd server."""

    def switch(server):
        return config.configure(config.current().with_(mail_transport="smtp", smtp_host="127.0.0.1",
                                                       smtp_port=server.port))

    return switch


@pytest.fixture
def live_server(database):
    server = support.LiveServer(database)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relaxed_rate_limits(monkeypatch):
    """API tests make many calls at once; the rate-limit tests set their own limits."""
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "100000")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1000000")


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.abspath(os.environ.get("PORTAL_TEST_ARTIFACTS", "test-artifacts"))
    os.makedirs(path, exist_ok=True)
    return path
