"""Signing on the web and confirming by mail: real HTTP, real mail files, real SMTP."""
import re
import threading

import pytest

from models import signature as signatures
from models.db import db
from models.mail import OutboxMessage, content
from models.petition import Petition, transition
from models.audit import Actor
from models.sanitize import rich_text
from tests.support import deliver_mail, link_in, mails_in, without_per_response_values

GOOD = {"full_name": "Jane Doe", "email": "Jane.Doe@Example.org", "city": "Riverton",
        "accept_terms": "y", "wants_notice": "y"}


@pytest.mark.gen_test
async def test_sign_confirm_by_mailed_link_and_count_rises(web, make, database):
    petition = make.petition()
    reply = await web.post(f"/petitions/{petition.slug}/sign", GOOD)
    assert reply.code == 303 and reply.location.endswith(f"/petitions/{petition.slug}/signed")
    assert Petition.get_by_id(petition.id).signature_count == 0
    assert deliver_mail()["sent"] == 1
    [message] = mails_in(database.mail_dir)
    assert message["To"] == "jane.doe@example.org"
    link = link_in(message)
    path = link.split(":", 2)[-1].split("/", 1)[1]
    # A bare GET (what a mail scanner does) never confirms.
    page = await web.get("/" + path)
    assert page.code == 200 and "Confirm my signature" in page.text
    assert Petition.get_by_id(petition.id).signature_count == 0
    confirmed = await web.post("/" + path, {})
    assert confirmed.code == 200 and "your signature is confirmed" in confirmed.text
    assert Petition.get_by_id(petition.id).signature_count == 1
    again = await web.post("/" + path, {})
    assert "already confirmed" in again.text
    assert Petition.get_by_id(petition.id).signature_count == 1


@pytest.mark.gen_test
async def test_same_page_whether_or_not_the_address_signed_before(web, make, database, monkeypatch):
    monkeypatch.setenv("PORTAL_SIGN_REPEAT_MAIL_MINUTES", "0")  # the repeat limit: test_rate_limits.py
    petition = make.petition()
    first = await web.post(f"/petitions/{petition.slug}/sign", GOOD, follow=True)
    make_confirmed = signatures.Signature.get()
    signatures.Signature.update(confirmed_at=make_confirmed.created_at).execute()
    second = await web.post(f"/petitions/{petition.slug}/sign", GOOD, follow=True)
    assert first.code == second.code == 200
    assert without_per_response_values(first.text) == without_per_response_values(second.text)
    assert signatures.Signature.select().count() == 1
    kinds = [m.kind for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert kinds[-2:] == ["confirm_signature", "already_signed"]


@pytest.mark.gen_test
async def test_field_errors_rerender_beside_fields_and_store_nothing(web, make):
    petition = make.petition()
    reply = await web.post(f"/petitions/{petition.slug}/sign",
                           {"full_name": "Jane", "email": "not-an-email", "comment": "x" * 1001})
    assert reply.code == 400
    assert "at least an initial and a surname" in reply.text
    assert "valid email address" in reply.text
    assert "terms must be accepted" in reply.text
    assert "at most 1000 characters" in reply.text
    assert 'value="Jane"' in reply.text
    assert signatures.Signature.select().count() == 0 and OutboxMessage.select().count() == 0


@pytest.mark.gen_test
async def test_terms_must_be_accepted_even_when_all_else_is_right(web, make):
    petition = make.petition()
    reply = await web.post(f"/petitions/{petition.slug}/sign", {k: v for k, v in GOOD.items() if k != "accept_terms"})
    assert reply.code == 400 and "terms must be accepted" in reply.text
    assert signatures.Signature.select().count() == 0


@pytest.mark.gen_test
async def test_bad_input_gets_4xx_and_changes_nothing(web, make):
    petition = make.petition()
    closed = make.petition(status="to_process")
    cases = [
        (f"/petitions/{petition.slug}/sign", {**GOOD, "full_name": "J. " + "x" * 300}, 400),
        (f"/petitions/{closed.slug}/sign", GOOD, 403),
        ("/petitions/no-such-petition/sign", GOOD, 404),
    ]
    for path, data, code in cases:
        reply = await web.post(path, data)
        assert reply.code == code, (path, reply.code)
    missing_xsrf = await web.post(f"/petitions/{petition.slug}/sign", GOOD, xsrf=False)
    assert missing_xsrf.code == 403 and "Reload the page" in missing_xsrf.text
    bad_utf8 = await web.fetch(f"/petitions/{petition.slug}/sign", method="POST",
                               body=b"_xsrf=" + (await web.xsrf()).encode() + b"&full_name=%FF%FE&email=a@b.org",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad_utf8.code == 400
    assert signatures.Signature.select().count() == 0


@pytest.mark.gen_test
async def test_closed_petition_says_why_instead_of_a_form(web, make):
    petition = make.petition(status="to_process")
    reply = await web.get(f"/petitions/{petition.slug}")
    assert reply.code == 200 and "not open for signatures" in reply.text and "accept_terms" not in reply.text


@pytest.mark.gen_test
async def test_unknown_and_expired_links_get_a_friendly_page(web, make):
    reply = await web.get("/signatures/confirm/nonsense-token")
    assert reply.code == 404 and "not valid" in reply.text
    petition = make.petition()
    result = signatures.submit(petition, full_name="Jo Bloggs", email="jo@example.org")
    token = link_in(_last_mail_body()).rsplit("/", 1)[1]
    transition(petition, "withdrawn", Actor.for_user(petition.lead_petitioner))
    reply = await web.get(f"/signatures/confirm/{token}")
    assert reply.code == 410 and "closed" in reply.text
    assert signatures.Signature.get_by_id(result.signature.id).confirmed_at is None


def _last_mail_body():
    import email.message

    message = email.message.EmailMessage()
    # confirmation mails are rendered at delivery, from their template and parameters
    message.set_content(content(OutboxMessage.select().order_by(OutboxMessage.id.desc()).first())[1])
    return message


def test_two_concurrent_submissions_with_one_email_make_one_row(make, database):
    petition = make.petition()
    db.close()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sign():
        try:
            with db.connection_context():
                barrier.wait(120)
                results.append(signatures.submit(petition, full_name="Race Condition", email="race@example.org",
                                                 notify_duplicate=False).created)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sorted(results) == [False, False, False, True]
    assert signatures.Signature.select().where(signatures.Signature.email == "race@example.org").count() == 1
    assert OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature").count() == 1


def test_rich_text_is_sanitised_with_an_allow_list():
    dirty = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:evil()">x</a><b>ok</b></p><iframe></iframe>'
    clean = rich_text(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean and "iframe" not in clean
    assert "<b>ok</b>" in clean and clean.startswith("<p>")


def test_a_real_smtp_server_gets_the_mail_and_its_link_confirms(make, smtp, use_smtp):
    use_smtp(smtp)
    petition = make.petition()
    signatures.submit(petition, full_name="Sam Smtp", email="sam@example.org")
    assert deliver_mail()["sent"] == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == "sam@example.org" and "confirm" in message["Subject"].lower()
    token = link_in(message).rsplit("/", 1)[1]
    assert signatures.confirm(token).newly_confirmed
    assert Petition.get_by_id(petition.id).signature_count == 1
