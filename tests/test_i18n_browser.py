"""Languages in a real Chromium: a visitor whose browser asks for Dutch signs entirely in Dutch,
confirms from the Dutch mail (real SMTP), switches to Norwegian and stays there; a clerk whose
account prefers German works a petition in German. Screenshots of the home page, a petition page
with sign-form errors and the clerk's petition page in Dutch and German go to
<artifacts>/languages/.
"""
import os

import pytest

from models import clock
from models.petition import Petition
from tests.support import deliver_mail, link_in
from tests.test_browser import browser, sign_in  # noqa: F401 - the Chromium fixture

pytestmark = pytest.mark.browser

WORDS = {  # what each page says in each language
    "nl": {"home": "Petities", "sign": "Onderteken deze petitie", "error": "Vul een geldig e-mailadres in",
           "clerk": "Vastleggen wat er gebeurt"},
    "de": {"home": "Petitionen", "sign": "Diese Petition unterzeichnen",
           "error": "Geben Sie eine gültige E-Mail-Adresse an", "clerk": "Erfassen, was geschieht"},
}


@pytest.mark.parametrize("language", ["nl", "de"])
def test_screenshots_of_the_home_petition_and_clerk_pages(browser, live_server, make, artifacts_dir,  # noqa: F811
                                                          language):
    folder = os.path.join(artifacts_dir, "languages")
    os.makedirs(folder, exist_ok=True)
    organisation = make.organisation(name="Gemeente Rivierstad", language=language)
    clerk = make.clerk(organisation, language=language, name="Sanne de Boer")
    petition = make.petition(organisation=organisation, title="Meer groen op het Stationsplein", language="nl",
                             statement="Het plein is heet en stenig.")
    make.signature(petition)
    closed = make.petition("to_process", organisation=organisation, title="Tempo 30 vor allen Schulen",
                           language="de")
    words = WORDS[language]
    context = browser.new_context(locale=language, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").inner_text() == words["home"]
        page.screenshot(path=os.path.join(folder, f"{language}-home.png"), full_page=True)

        page.goto(f"{live_server.url}/petitions/{petition.slug}")
        assert words["sign"] in page.inner_text("#sign")
        assert page.locator("h1").get_attribute("lang") == "nl"
        page.fill("input[name=full_name]", "Jan")
        page.fill("input[name=email]", "not an address")
        page.click("#sign button.primary")
        page.wait_for_load_state()
        assert words["error"] in page.inner_text("#sign")
        page.screenshot(path=os.path.join(folder, f"{language}-petition-sign-errors.png"), full_page=True)

        sign_in(page, live_server.url, clerk.email)
        page.goto(f"{live_server.url}/workspace/petitions/{closed.id}")
        assert words["clerk"] in page.inner_text("#recipient-form")
        assert page.locator("h1").get_attribute("lang") == "de"
        page.screenshot(path=os.path.join(folder, f"{language}-clerk-petition.png"), full_page=True)
    finally:
        context.close()


def test_a_dutch_visitor_signs_and_confirms_in_dutch_then_switches_to_norwegian(  # noqa: F811
        browser, live_server, make, smtp, use_smtp, artifacts_dir):
    use_smtp(smtp)
    petition = make.petition(title="Meer bomen in de Dorpsstraat", language="nl")
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/petitions/{petition.slug}")
        page.fill("input[name=full_name]", "Jan de Vries")
        page.fill("input[name=email]", "jan@example.nl")
        page.check("input[name=accept_terms]")
        page.click("#sign button.primary")
        page.wait_for_load_state()
        assert "Kijk in uw e-mail" in page.locator("h1").inner_text()
        deliver_mail()
        message = smtp.wait_for(1)[0]
        assert message["Subject"].startswith("Bevestig uw handtekening") and message["Content-Language"] == "nl"
        page.goto(link_in(message))
        page.click("#confirm")
        page.wait_for_load_state()
        assert "uw handtekening is bevestigd" in page.locator("h1").inner_text()
        assert Petition.get_by_id(petition.id).signature_count == 1

        page.click("nav.languages a[hreflang=nb]")  # the switcher: a plain link, no JavaScript needed
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "nb"
        page.goto(live_server.url + "/organisations")  # and it stays Norwegian
        assert page.locator("html").get_attribute("lang") == "nb"
        assert "Organisasjoner du kan rette opprop til" in page.locator("h1").inner_text()
    finally:
        context.close()


def test_a_clerk_who_prefers_german_works_a_petition_in_german(browser, live_server, make):  # noqa: F811
    organisation = make.organisation(name="Stadt Flussheim", language="de")
    clerk = make.clerk(organisation, language="de", name="Jonas Weber")
    petition = make.petition("to_process", organisation=organisation, title="Tempo 30 vor allen Schulen",
                             language="de")
    context = browser.new_context(locale="en-GB")  # the browser asks for English; the account says German
    page = context.new_page()
    try:
        sign_in(page, live_server.url, clerk.email)
        page.goto(f"{live_server.url}/workspace/petitions/{petition.id}")
        assert page.locator("html").get_attribute("lang") == "de"
        # handed over today: a handover date cannot precede the petition's opening (it opened today)
        page.fill("input[name=date_projected]", clock.today().isoformat())
        page.fill("input[name=reference_field]", "AZ-2026-17")
        page.select_option("select[name=status]", "in_process")
        page.click("#recipient-form button.primary")
        page.wait_for_load_state()
        assert "Gespeichert." in page.inner_text("#recipient-form")
        assert "Übergeben, wird beantwortet" in page.inner_text("#current-status")
        assert Petition.get_by_id(petition.id).reference_field == "AZ-2026-17"
    finally:
        context.close()

