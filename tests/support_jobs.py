"""Helpers for the scheduled-jobs tests: session cookies, published responses, real subprocesses."""
import os
import subprocess
import sys
import time
from pathlib import Path

import tornado.web

from models import clock
from models.response import Response, ResponsePetition
from tests.support import SmtpServer

ROOT = Path(__file__).resolve().parent.parent


def sign_in_cookie(web, settings, user):
    """Sign in by setting the session cookie the way the sign-in page would (that page is another
    branch's): a signed "user id:session generation"."""
    value = tornado.web.create_signed_value(settings.cookie_secret, "session", f"{user.id}:{user.session_generation}")
    web.cookies["session"] = value.decode()


def published_response(petitions, title="Our answer"):
    """A published response answering the petitions, with its notices waiting for the job (what
    publishing does; the publishing step itself is another branch's)."""
    petitions = petitions if isinstance(petitions, (list, tuple)) else [petitions]
    response = Response.create(organisation=petitions[0].organisation_id, title=title, body="<p>Yes.</p>",
                               published_at=clock.now(), notices_state="queued")
    for petition in petitions:
        ResponsePetition.create(response=response, petition=petition)
    return response


def child_env(settings, **extra):
    """Environment for a `python portal.py ...` child process on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATABASE_URL=settings.database_url, PORTAL_DATA_DIR=str(settings.data_dir),
               PORTAL_COOKIE_SECRET=settings.cookie_secret, PORTAL_MAIL_TRANSPORT="file",
               PORTAL_BASE_URL=settings.base_url, PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_cli(settings, *args, **extra_env):
    return subprocess.Popen([sys.executable, str(ROOT / "portal.py"), *args], cwd=str(ROOT),
                            env=child_env(settings, **extra_env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def run_cli(settings, *args, timeout=120, **extra_env):
    process = start_cli(settings, *args, **extra_env)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def wait_for(predicate, timeout=120.0, what="condition"):
    """Wait for something another process does (not a fixed sleep: returns as soon as it holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class RefusingSmtp(SmtpServer):
    """A real aiosmtpd server that refuses one recipient permanently (550)."""

    def __init__(self, refuse):
        super().__init__()
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"
