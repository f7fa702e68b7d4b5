"""Accounts over real HTTP: sign-in and sign-out, throttling, next= redirects, sign-up with email
confirmation, password reset, invitations, password change."""
import datetime as dt

import pytest

from models import clock
from models.account import AccountToken, SignInAttempt
from models.mail import OutboxMessage
from models.user import User
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


@pytest.mark.gen_test
async def test_failed_sign_ins_are_throttled_per_account(web, make):
    user = make.user()
    for _ in range(5):
        reply = await web.post("/signin", {"email": user.email, "password": "nope nope"})
        assert reply.code == 400
    # Now even the right password is refused, with a clear 429 and what to do.
    reply = await web.post("/signin", {"email": user.email, "password": PASSWORD})
    assert reply.code == 429 and "Too many failed sign-ins for this account" in reply.text
    assert "session" not in web.cookies
    # The count is in the database (several processes share it), keyed by a hash, not the address.
    assert SignInAttempt.select().count() == 5
    assert not SignInAttempt.select().where(SignInAttempt.account_key.contains("@")).exists()
    # Another account from the same address is not locked by this account's failures.
    other = make.user()
    assert (await web.post("/signin", {"email": other.email, "password": PASSWORD})).code == 303
    # After the window the account may sign in again.
    clock.set_global(clock.now() + dt.timedelta(minutes=16))
    assert (await web.post("/signin", {"email": user.email, "password": PASSWORD})).code == 303


@pytest.mark.gen_test
async def test_failed_sign_ins_are_throttled_per_address(web, make):
    for n in range(20):  # many accounts guessed from one address
        assert (await web.post("/signin", {"email": f"nobody{n}@example.org", "password": "guess guess"})).code == 400
    user = make.user()
    reply = await web.post("/signin", {"email": user.email, "password": PASSWORD})
    assert reply.code == 429 and "from your network" in reply.text


@pytest.mark.gen_test
async def test_sign_up_confirm_by_mailed_link_then_sign_in(web, make, database):
    page = await web.get("/signup")
    assert page.code == 200
    bad = await web.post("/signup", {"name": "", "email": "nope", "password": "short"})
    assert bad.code == 400
    assert "Give a name of 1 to 255 characters." in bad.text and "valid email address" in bad.text and "at least 8" in bad.text
    assert User.select().count() == 0
    reply = await web.post("/signup", {"name": "Pat Petitioner", "email": "pat@example.org", "password": "a good password"})
    assert reply.code == 200 and "Check your mail" in reply.text
    user = User.get(User.email == "pat@example.org")
    assert user.email_confirmed_at is None
    # Unconfirmed: the right password does not sign in yet.
    refused = await web.post("/signin", {"email": "pat@example.org", "password": "a good password"})
    assert refused.code == 403 and "Confirm your email address first" in refused.text
    deliver_mail()
    [message] = mails_in(database.mail_dir)
    assert message["To"] == "pat@example.org"
    assert "a good password" not in message.get_body(("plain",)).get_content()
    path = _path(link_in(message, r"https?://\S+/confirm-email/[A-Za-z0-9_\-]+"))
    # A bare GET (mail scanners) confirms nothing.
    shown = await web.get(path)
    assert shown.code == 200 and "Confirm my address" in shown.text
    assert User.get_by_id(user.id).email_confirmed_at is None
    confirmed = await web.post(path, {})
    assert confirmed.code == 303 and confirmed.location == "/my/petitions"
    assert User.get_by_id(user.id).email_confirmed_at is not None
    again = await web.post(path, {})
    assert again.code == 410 and "used already" in again.text
    # The token is stored hashed only.
    token = path.rsplit("/", 1)[1]
    assert not AccountToken.select().where(AccountToken.token_hash == token).exists()


@pytest.mark.gen_test
async def test_sign_up_with_a_taken_address_reveals_nothing(web, make):
    user = make.user()
    reply = await web.post("/signup", {"name": "Someone", "email": user.email, "password": "another password"})
    assert reply.code == 200 and "Check your mail" in reply.text
    [message] = OutboxMessage.select()
    assert message.kind == "account_exists" and message.to_address == user.email
    assert User.get_by_id(user.id).check_password(PASSWORD)


@pytest.mark.gen_test
async def test_password_reset_by_mailed_link_works_once_and_signs_out_elsewhere(web, make, database, http_client,
                                                                                 base_url):
    from tests.support import WebClient

    user = make.user()
    elsewhere = WebClient(http_client, base_url)
    await elsewhere.sign_in(user)
    assert (await web.get("/reset")).code == 200
    unknown = await web.post("/reset", {"email": "nobody@example.org"})
    known = await web.post("/reset", {"email": user.email})
    assert unknown.code == known.code == 200 and unknown.text == known.text
    assert (await web.post("/reset", {"email": "not an address"})).code == 400
    deliver_mail()
    [message] = mails_in(database.mail_dir)
    path = _path(link_in(message, r"https?://\S+/reset/[A-Za-z0-9_\-]+"))
    form = await web.get(path)
    # the page shows the form, not whose account it is: a forwarded or leaked link names nobody
    assert form.code == 200 and 'name="password"' in form.text and user.email not in form.text
    short = await web.post(path, {"password": "short"})
    assert short.code == 400 and "at least 8 characters" in short.text
    done = await web.post(path, {"password": "a brand new password"})
    assert done.code == 303 and "session" in web.cookies
    assert (await web.get("/account/password")).code == 200
    assert (await web.post(path, {"password": "yet another password"})).code == 410
    # The old session elsewhere is signed out; the old password no longer works, the new one does.
    assert (await elsewhere.get("/account/password")).code == 302
    assert (await elsewhere.post("/signin", {"email": user.email, "password": PASSWORD})).code == 400
    assert (await elsewhere.post("/signin", {"email": user.email, "password": "a brand new password"})).code == 303


@pytest.mark.gen_test
async def test_reset_link_expires(web, make, database):
    user = make.user()
    await web.post("/reset", {"email": user.email})
    deliver_mail()
    path = _path(link_in(mails_in(database.mail_dir)[0], r"https?://\S+/reset/[A-Za-z0-9_\-]+"))
    clock.set_global(clock.now() + dt.timedelta(hours=2))
    reply = await web.post(path, {"password": "a brand new password"})
    assert reply.code == 410 and "expired" in reply.text
    assert User.get_by_id(user.id).check_password(PASSWORD)
    assert (await web.get("/reset/not-a-real-token")).code == 410


@pytest.mark.gen_test
async def test_change_password_signs_out_other_sessions(web, make, http_client, base_url):
    from tests.support import WebClient

    user = make.user()
    other = WebClient(http_client, base_url)
    await other.sign_in(user)
    await web.sign_in(user)
    wrong = await web.post("/account/password", {"current_password": "wrong one", "new_password": "new password 1"})
    assert wrong.code == 400 and "not your current password" in wrong.text
    ok = await web.post("/account/password", {"current_password": PASSWORD, "new_password": "new password 1"})
    assert ok.code == 200 and "Your password is changed" in ok.text
    assert (await web.get("/account/password")).code == 200
    assert (await other.get("/account/password")).code == 302
    assert (await web.post("/account/password", {}, xsrf=False)).code == 403


@pytest.mark.gen_test
async def test_signed_out_pages_redirect_to_sign_in_with_next(web):
    reply = await web.get("/account/password")
    assert reply.code == 302 and reply.location == "/signin?next=%2Faccount%2Fpassword"
    assert (await web.post("/account/password", {"current_password": "x", "new_password": "y"})).code == 403


@pytest.mark.gen_test
async def test_signing_up_again_before_confirming_sends_a_new_link(web, make):
    await web.post("/signup", {"name": "Pat", "email": "pat@example.org", "password": "a good password"})
    clock.set_global(clock.now() + dt.timedelta(minutes=11))
    await web.post("/signup", {"name": "Pat", "email": "pat@example.org", "password": "a good password"})
    assert [m.kind for m in OutboxMessage.select()] == ["confirm_email", "confirm_email"]
    assert User.select().count() == 1


@pytest.mark.gen_test
async def test_passwords_and_link_tokens_never_reach_the_logs(web, make, database, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    user = make.user()
    await web.post("/signin", {"email": user.email, "password": "Secret-Guess-1"})
    await web.post("/signup", {"name": "Pat", "email": "pat@example.org", "password": "Secret-Signup-2"})
    await web.post("/reset", {"email": user.email})
    deliver_mail()
    reset = [m for m in mails_in(database.mail_dir) if "/reset/" in m.get_body(("plain",)).get_content()][0]
    path = _path(link_in(reset, r"https?://\S+/reset/[A-Za-z0-9_\-]+"))
    await web.get(path)
    await web.post(path, {"password": "Secret-Reset-3"})
    everything = "\n".join(record.getMessage() for record in caplog.records)
    for password in ("Secret-Guess-1", "Secret-Signup-2", "Secret-Reset-3"):
        assert password not in everything  # not even peewee's DEBUG lines of SQL parameters
    # At the level the portal logs at (INFO), link tokens are redacted too; only DEBUG SQL of the
    # outbox insert holds the mail body.
    logged = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.INFO)
    assert "/reset/[redacted]" in logged
    assert path.rsplit("/", 1)[1] not in logged


@pytest.mark.gen_test
async def test_reset_requests_cannot_flood_a_mailbox(web, make):
    user = make.user()
    for _ in range(3):
        assert (await web.post("/reset", {"email": user.email})).code == 200
    assert OutboxMessage.select().where(OutboxMessage.kind == "password_reset").count() == 1
    clock.set_global(clock.now() + dt.timedelta(minutes=11))
    await web.post("/reset", {"email": user.email})
    assert OutboxMessage.select().where(OutboxMessage.kind == "password_reset").count() == 2


@pytest.mark.gen_test
async def test_reset_mail_over_real_smtp(web, make, smtp, use_smtp):
    use_smtp(smtp)
    user = make.user()
    await web.post("/reset", {"email": user.email})
    assert deliver_mail()["sent"] == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == user.email and message["Subject"] == "Choose a new password"
    path = _path(link_in(message, r"https?://\S+/reset/[A-Za-z0-9_\-]+"))
    assert (await web.post(path, {"password": "over smtp password"})).code == 303
    assert User.get_by_id(user.id).check_password("over smtp password")
