"""Languages: the catalogues are complete, the reader's language is chosen in the documented order,
pages say which language they are in, and mails are written in their recipient's language."""
import re

import pytest

from models import config, i18n, mail
from models.catalogues import extract, problems
from models.i18n import LANGUAGES, choose, normalise, parse_accept_language
from models.mail import OutboxMessage
from models.user import User
from tests.support import deliver_mail, link_in

NON_SOURCE = sorted(set(LANGUAGES) - {"en"})


# ---- catalogues ----------------------------------------------------------------------------------

def test_every_catalogue_has_every_message_translated_and_none_fuzzy():
    """Fails when the source has a message a catalogue lacks, or a catalogue has an untranslated or
    fuzzy entry, or a translation whose placeholders do not match. Fix: `make messages`, then
    translate what it lists in locale/<lang>/LC_MESSAGES/messages.po."""
    found = problems(extract())
    assert found == {}, "\n".join(f"{lang}: {issue}" for lang, issues in found.items() for issue in issues)


def test_the_template_extractor_finds_plurals_and_markers_in_tornado_templates():
    ids = {message.id if isinstance(message.id, str) else tuple(message.id) for message in extract() if message.id}
    assert "Sign this petition" in ids  # templates/petition.html
    assert ("%(count)s signature", "%(count)s signatures") in ids  # plural _() with three arguments
    assert "Please confirm your signature: %(title)s" in ids  # a mail subject
    assert "Overdue answers" in ids  # N_() in models/
    assert "Tick this box to sign: the terms must be accepted." in ids  # a form's validation message


# ---- choosing the language -------------------------------------------------------------------------

def test_accept_language_is_ranked_by_quality_and_region_variants_fall_back():
    assert parse_accept_language("fr;q=0.4, nl-BE, de;q=0.7, en;q=0") == ["nl-BE", "de", "fr"]
    assert parse_accept_language("") == []
    assert parse_accept_language("da, no;q=0.5") == ["da", "no"]
    assert normalise("nl-BE") == normalise("nl_NL") == "nl"
    assert normalise("no") == normalise("nn") == normalise("nb-NO") == "nb"
    assert normalise("sv") is None and normalise("") is None
    settings = config.Settings()
    assert choose("da, no;q=0.5", settings=settings) == "nb"  # Danish is not offered: the next one is
    assert choose("sv, da", settings=settings) == "en"  # nothing offered: the default
    assert choose("de;q=0.9, fr", None, "", settings=settings) == "fr"
    # the switcher's cookie or the account's preference come before Accept-Language
    assert choose("de", "nl", settings=settings) == "nl"
    assert choose("de", "xx", settings=settings) == "de"  # an unknown preference is passed over


def test_portal_languages_restricts_the_set_and_portal_default_language_applies():
    settings = config.Settings(languages=("nl", "de"), default_language="de")
    assert i18n.available(settings) == ["nl", "de"]
    assert choose("fr, nl;q=0.5", settings=settings) == "nl"
    assert choose("fr", settings=settings) == "de"
    assert choose("fr", "fr", settings=settings) == "de"  # a cookie for a language no longer offered
    env = config.from_environment({"PORTAL_LANGUAGES": "nb,fr", "PORTAL_DEFAULT_LANGUAGE": "fr",
                                   "PORTAL_TIMEZONE": "Europe/Oslo", "PORTAL_DATA_DIR": "/tmp",
                                   "PORTAL_COOKIE_SECRET": "x"})
    assert env.languages == ("nb", "fr") and env.default_language == "fr" and env.timezone == "Europe/Oslo"


@pytest.mark.gen_test
async def test_browser_language_sets_html_lang_content_language_and_vary(web, make):
    petition = make.petition(title="Meer bomen in de Dorpsstraat", language="nl")
    page = await web.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert page.code == 200
    assert '<html lang="nl">' in page.text and page.headers["Content-Language"] == "nl"
    assert "Accept-Language" in page.headers["Vary"] and "Cookie" in page.headers["Vary"]
    assert "Open petities" in page.text and "Open petitions" not in page.text
    # the petition's own text says which language it is in
    detail = await web.get(f"/petitions/{petition.slug}", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in detail.text
    assert re.search(r'<h1 lang="nl">Meer bomen in de Dorpsstraat</h1>', detail.text)
    assert "Diese Petition unterzeichnen" in detail.text
    norwegian = await web.get("/", headers={"Accept-Language": "nn-NO, en;q=0.1"})
    assert '<html lang="nb">' in norwegian.text and "Åpne opprop" in norwegian.text


@pytest.mark.gen_test
async def test_the_switcher_keeps_the_choice_in_a_cookie_over_accept_language(web):
    home = await web.get("/", headers={"Accept-Language": "de"})
    assert 'href="/language/nb?next=%2F"' in home.text  # a plain link: works without JavaScript
    switched = await web.get("/language/nb?next=/organisations", headers={"Accept-Language": "de"})
    assert switched.code == 302 and switched.location == "/organisations"
    assert web.cookies["language"] == "nb"
    page = await web.get("/organisations", headers={"Accept-Language": "de"})
    assert '<html lang="nb">' in page.text and "Organisasjoner du kan rette opprop til" in page.text
    elsewhere = await web.get("/language/fr?next=//evil.example/")
    assert elsewhere.location == "/"  # next= is a local path or nothing
    unknown = await web.get("/language/sv")
    assert unknown.code == 400 and web.cookies["language"] == "fr"


@pytest.mark.gen_test
async def test_a_signed_in_users_choice_is_kept_on_the_account_and_follows_them(web, make):
    user = make.user()
    await web.sign_in(user)
    reply = await web.post("/language", {"language": "de", "next": "/my/petitions"})
    assert reply.code == 302 and reply.location == "/my/petitions"
    assert User.get_by_id(user.id).language == "de"
    # another browser: no cookie, a Dutch Accept-Language; after signing in the account's choice wins
    web.cookies.clear()
    await web.sign_in(user)
    page = await web.get("/my/petitions", headers={"Accept-Language": "nl"})
    assert '<html lang="de">' in page.text and "Meine Petitionen" in page.text
    refused = await web.post("/language", {"language": "tlh"})
    assert refused.code == 400 and User.get_by_id(user.id).language == "de"


@pytest.mark.gen_test
async def test_sign_up_keeps_the_language_the_account_was_made_in(web):
    reply = await web.post("/signup", {"name": "Anja Vos", "email": "anja@example.org", "password": "long enough pw"},
                           headers={"Accept-Language": "nl"})
    assert reply.code == 200
    user = User.get(User.email == "anja@example.org")
    assert user.language == "nl"
    confirmation = OutboxMessage.get(OutboxMessage.to_address == "anja@example.org")
    assert confirmation.language == "nl" and confirmation.subject == "Bevestig uw e-mailadres"


# ---- dates and numbers ------------------------------------------------------------------------------

def test_dates_times_and_numbers_are_written_the_way_each_locale_writes_them(database):
    import datetime as dt

    moment = dt.datetime(2026, 12, 3, 14, 2)
    assert i18n.format_datetime("nl", moment) == "3 december 2026, 14:02"
    assert i18n.format_date("de", moment.date()) == "3. Dezember 2026"
    assert i18n.format_number("en", 1800) == "1,800"
    assert i18n.format_number("nl", 1800) == "1.800" and i18n.format_number("de", 1800) == "1.800"
    assert i18n.format_number("nb", 1800).replace("\xa0", " ") == "1 800"
    assert i18n.format_number("fr", 1800).replace("\u202f", " ") == "1 800"
    config.configure(database.with_(timezone="Europe/Amsterdam"))
    try:  # the database keeps UTC; pages show PORTAL_TIMEZONE and name it where it matters
        assert i18n.format_datetime("nl", moment, zone=True) == "3 december 2026, 15:02 (Europe/Amsterdam)"
        # a closing date ends at midnight where the portal is, not in UTC
        from models.petitioning import closing_time

        end = closing_time(dt.date(2026, 12, 10))
        assert end == dt.datetime(2026, 12, 10, 22, 59, 59)
        assert i18n.format_datetime("nl", end, zone=True) == "10 december 2026, 23:59 (Europe/Amsterdam)"
    finally:
        config.configure(database)


# ---- mail in the recipient's language ----------------------------------------------------------------

@pytest.mark.gen_test
async def test_a_signer_who_signs_in_dutch_gets_the_confirmation_and_the_response_notice_in_dutch(
        web, make, smtp, use_smtp):
    from models.answering import publish_response, save_draft
    from models.audit import Actor
    from models.notices import queue_signer_notices

    use_smtp(smtp)
    organisation = make.organisation(language="en")
    clerk = make.clerk(organisation)
    petition = make.petition(organisation=organisation, title="Free water fountains in the parks")
    form = {"full_name": "Jan de Vries", "email": "jan@example.nl", "accept_terms": "y", "wants_notice": "y"}
    dutch = {"Accept-Language": "nl-NL,nl;q=0.9"}
    signed = await web.post(f"/petitions/{petition.slug}/sign", form, headers=dutch)
    assert signed.code == 303
    signed = await web.get(signed.location, headers=dutch)
    assert signed.code == 200 and "Kijk in uw e-mail" in signed.text
    deliver_mail()
    confirmation = smtp.wait_for(1)[0]
    assert confirmation["Subject"] == "Bevestig uw handtekening: Free water fountains in the parks"
    assert confirmation["Content-Language"] == "nl"
    body = confirmation.get_body(("plain",)).get_content()
    assert "Beste Jan de Vries," in body and "Mijn handtekening bevestigen" in body
    # the link opens a Dutch page (the cookie-less browser still asks for Dutch); the POST confirms
    link = link_in(confirmation).split("/", 3)[3]
    page = await web.get("/" + link, headers={"Accept-Language": "nl"})
    assert "Bevestig uw handtekening" in page.text
    confirmed = await web.post("/" + link, {}, headers={"Accept-Language": "nl"})
    assert confirmed.code == 200 and "uw handtekening is bevestigd" in confirmed.text

    # the organisation answers in English; the signer's notice is still in Dutch
    actor = Actor.for_user(clerk)
    from models.petition import transition
    transition(petition, "to_process", Actor.system("test"))
    response = save_draft(organisation, actor, "Fountains next summer", "<p>We will build them.</p>", [petition.id])
    publish_response(response, actor)
    queue_signer_notices(response)
    deliver_mail()
    notices = [m for m in smtp.wait_for(3) if m["To"] == "jan@example.nl" and m is not confirmation]
    assert len(notices) == 1
    notice = notices[0]
    assert notice["Subject"] == "De petitie “Free water fountains in the parks” is beantwoord"
    text = notice.get_body(("plain",)).get_content()
    assert "Beste Jan de Vries," in text and "die u hebt ondertekend" in text
    # the lead petitioner (no preference, an English organisation) gets theirs in English
    lead = [m for m in smtp.messages if m["To"] == petition.lead_petitioner.email]
    assert lead and all(m["Content-Language"] == "en" for m in lead)
    assert any("has answered your petition" in m["Subject"] for m in lead)


def test_mail_to_an_organisation_is_in_its_language_and_accounts_in_their_own(make):
    from models.audit import Actor
    from models.petition import transition

    organisation = make.organisation(language="de", contact_email="post@stadt.example")
    clerk = make.clerk(organisation, language="fr")
    lead = make.user(language="nb")
    petition = make.petition(organisation=organisation, lead=lead)
    transition(petition, "to_process", Actor.system("test"))
    by_address = {m.to_address: m for m in OutboxMessage.select().where(OutboxMessage.kind == "petition_closed")}
    assert by_address["post@stadt.example"].language == "de"
    assert by_address["post@stadt.example"].subject.startswith("Petition geschlossen und bereit zur Übergabe")
    assert by_address[clerk.email].language == "fr"
    assert by_address[clerk.email].subject.startswith("Pétition clôturée")
    status = OutboxMessage.get((OutboxMessage.kind == "status_changed") & (OutboxMessage.to_address == lead.email))
    assert status.language == "nb" and status.subject.startswith("Oppropet ditt er nå:")


def test_every_mail_template_renders_in_every_language_without_english_left(make):
    """Each mail, rendered in each language, contains none of the English messages that language
    translates (so a message that the template forgot to wrap, or that lacks a translation, shows)."""
    import datetime as dt
    from pathlib import Path

    from models import privacy
    from models.petition import Petition
    from models.response import Response

    organisation = make.organisation(name="Stadt Flussheim")
    user = make.user(name="Ada Example")
    petition = make.petition(organisation=organisation, lead=user, title="Bäume für den Marktplatz")
    Petition.update(answer_due_date=dt.date(2026, 12, 24), closed_at=dt.datetime(2026, 12, 1, 9),
                    closes_at=dt.datetime(2026, 12, 31, 23)).where(Petition.id == petition.id).execute()
    petition = Petition.get_by_id(petition.id)
    signature = make.signature(petition, full_name="Jan de Vries")
    response = Response.create(organisation=organisation, title="Answer title", body="<p>Body</p>",
                               created_by=user, published_at=dt.datetime(2026, 12, 2))

    class Invitation:
        role = "clerk"

    class Endpoint:
        id, url, failure_count, disabled_reason = 1, "https://cases.example.org/hooks", 8, "HTTP 500"

    context = dict(petition=petition, signature=signature, user=user, response=response, petitions=[petition],
                   url="http://x/link", hours=1, days=7, days_left=3, number=1, maximum=3, delete_after_days=30,
                   note="A note", label=i18n.N_("Open for signatures"), changed={"reference_field": "R-1"},
                   organisation=organisation, inviter=user, invitation=Invitation(), threshold=1000,
                   for_organisation=False, endpoint=Endpoint(), withdraw_url="http://x/withdraw",
                   items=[{"signature": signature, "petition": petition, "withdraw_url": "http://x/withdraw",
                           "withdrawable": withdrawable} for withdrawable in (True, False)],
                   periods=privacy.periods())
    templates = sorted(p.stem for p in (Path(__file__).parent.parent / "templates" / "mail").glob("*.txt"))
    assert len(templates) >= 16
    for language in NON_SOURCE:
        untranslated = _english_left_in(language)
        for template in templates:
            subject, body = mail.render(template, language=language, **context)
            left = [text for text in untranslated if text in subject + "\n" + body]
            assert not left, f"{template} in {language} still says: {left}"


def _english_left_in(language):
    """Parts of English messages (placeholders cut out, long enough to be recognisable) that the
    language's translation does not contain: finding one in a rendered page or mail means English
    was left there."""
    locale = i18n.get_locale(language)
    found = set()
    for message in extract():
        if not message.id:
            continue
        singular, plural = (message.id, None) if isinstance(message.id, str) else message.id
        translated = locale.translate(singular) if plural is None else " ".join(
            locale.translate(singular, plural, n) for n in (1, 2, 5, 1000000))
        for text in (singular, plural or ""):
            for part in re.split(r"%\(\w+\)[sd]", text):
                part = part.strip(" .,:;“”\"'()")
                if len(part) >= 18 and part not in translated:
                    found.add(part)
    return found


@pytest.mark.gen_test
async def test_the_admin_sets_an_organisations_language_on_its_form(web, make):
    from models.organisation import Organisation

    await web.sign_in(make.admin())
    form = await web.get("/admin/organisations/new")
    assert '<option lang="nl" translate="no" value="nl">Nederlands</option>' in form.text
    reply = await web.post("/admin/organisations/new", {
        "name": "Gemeente Rivierstad", "kind": "council", "language": "nl", "contact_email": "",
        "description": "", "answer_period_days": "56", "signature_threshold": "500"})
    assert reply.code in (302, 303)
    organisation = Organisation.get(Organisation.name == "Gemeente Rivierstad")
    assert organisation.language == "nl"
    refused = await web.post(f"/admin/organisations/{organisation.slug}", {
        "name": "Gemeente Rivierstad", "kind": "council", "language": "tlh", "contact_email": "",
        "description": "", "answer_period_days": "56", "signature_threshold": "500"})
    assert refused.code == 400 and "Choose one of: en, nl, de, nb, fr." in refused.text
    assert Organisation.get_by_id(organisation.id).language == "nl"


@pytest.mark.gen_test
async def test_petitions_eu_put_answers_in_the_requested_language_and_errors_stay_english(web, make):
    import json

    from tests.support_api import new_key

    organisation = make.organisation()
    petition = make.petition("to_process", organisation=organisation)
    _key, token = new_key(make, scopes=("update",), organisation=organisation)
    body = json.dumps({"reference_field": "REF-7"})
    reply = await web.fetch(f"/api/v1/petitions/{petition.id}?api_key={token}&language=de", method="PUT", body=body,
                            headers={"Content-Type": "application/json"})
    assert reply.code == 200 and reply.json()["message"] == "Änderungsanfrage erhalten."
    again = await web.fetch(f"/api/v1/petitions/{petition.id}?api_key={token}&language={{no}}", method="PUT",
                            body=body, headers={"Content-Type": "application/json"})
    assert again.json()["message"] == "Ingenting endret: oppropet har allerede disse verdiene."
    english = await web.fetch(f"/api/v1/petitions/{petition.id}?api_key={token}", method="PUT", body=body,
                              headers={"Content-Type": "application/json"})
    assert english.json()["message"] == "Nothing changed: the petition already has these values."
    refused = await web.fetch(f"/api/v1/petitions/{petition.id}?api_key={token}&language=nl", method="PUT",
                              body=json.dumps({"status": "completed"}), headers={"Content-Type": "application/json"})
    assert refused.code in (400, 409) and "Allowed moves from to_process" in refused.json()["message"]
