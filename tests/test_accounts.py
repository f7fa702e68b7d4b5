"""Accounts over real HTTP: sign-in and sign-out, throttling, next= redirects, sign-up with email
confirmation, password reset, invitations, password change."""
import datetime as dt

import pytest

from models import clock
from models.account import AccountToken, Invitation, SignInAttempt
from models.mail import OutboxMessage
from models.user import Membership, User
from tests.support import PASSWORD, deliver_mail, link_in, mails_in


def _path(url):
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


@pytest.mark.gen_test
async def test_sign_in_shows_the_form_and_signs_in_and_out(web, make):
    user = make.user()
    page = await web.get("/signin?next=/my/petitions")
    assert page.code == 200 and 'name="email"' in page.text and 'name="password"' in page.text
    assert 'value="/my/petitions"' in page.text
    reply = await web.post("/signin", {"email": user.email.upper(), "password": PASSWORD, "next": "/my/petitions"})
    assert reply.code == 303 and reply.location == "/my/petitions"
    home = await web.get("/")
    assert f"Sign out ({user.name})" in home.text
    out = await web.post("/signout", {})
    assert out.code == 303
    home = await web.get("/")
    assert "Sign out" not in home.text and 'href="/signin"' in home.text


@pytest.mark.gen_test
@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
async def test_next_never_leaves_the_site(web, make, target):
    user = make.user()
    reply = await web.post("/signin", {"email": user.email, "password": PASSWORD, "next": target})
    assert reply.code == 303 and reply.location == "/"


@pytest.mark.gen_test
async def test_wrong_password_rerenders_with_message_and_no_session(web, make):
    user = make.user()
    reply = await web.post("/signin", {"email": user.email, "password": "wrong password"})
    assert reply.code == 400 and "email address or the password is not right" in reply.text
    assert "wrong password" not in reply.text  # never echoed
    assert f'value="{user.email}"' in reply.text
    assert "session" not in web.cookies
    empty = await web.post("/signin", {"email": "", "password": ""})
    assert empty.code == 400 and "Give your email address." in empty.text and "Give your password." in empty.text


@pytest.mark.gen_test
async def test_sign_in_without_xsrf_is_refused(web, make):
    user = make.user()
    reply = await web.post("/signin", {"email": user.email, "password": PASSWORD}, xsrf=False)
    assert reply.code == 403 and "session" not in web.cookies
    out = await web.post("/signout", {}, xsrf=False)
    assert out.code == 403
