"""Browser tests in a real headless Chromium (Playwright, sync API) against the live server.

A clerk signs in, finds an overdue petition under "needs attention", records the handover date,
reference and answer-due date, moves it to in_process, writes, previews and publishes a response;
the lead petitioner signs in and sees the response and the history; a signer who asked to be told
receives the response notice in a real SMTP server. Screenshots go to `artifacts_dir`.

These are plain test functions (not gen_test): sync Playwright must not share a running loop.
"""
import datetime as dt
import os
from pathlib import Path

import pytest

from models import clock, notices
from models.audit import Actor
from models.petition import Petition, transition
from models.response import Response
from tests.support import PASSWORD, deliver_mail

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PORTAL_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            raise
        pytest.skip("browser tests need Playwright for Python")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page, base_url, email):
    page.goto(base_url + "/signin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#signin")
    page.wait_for_load_state()


def test_a_clerk_works_a_petition_to_completed_and_everyone_hears(browser, live_server, make, smtp, use_smtp,
                                                                   artifacts_dir, backend):
    use_smtp(smtp)  # after live_server: keeps its base URL for the links in the mails
    today = clock.today()
    council = make.organisation(name="Riverton City Council", answer_period_days=42)
    clerk = make.clerk(council, name="Carl Council", email="carl@council.example")
    lead = make.user(name="Anna Activist", email="anna@petitioner.example")
    petition = make.petition(status="live", organisation=council, lead=lead, title="Drinking water fountains in parks")
    told = make.signature(petition, email="told@signer.example", full_name="Tess Told", wants_notice=True)
    make.signature(petition, email="quiet@signer.example", full_name="Quinn Quiet", wants_notice=False)
    petition = transition(petition, "to_process", Actor.job("close_petitions"))
    # an answer-due date that has passed while the handover was never recorded: overdue
    Petition.update(answer_due_date=today - dt.timedelta(days=3)).where(Petition.id == petition.id).execute()
    make.petition(status="live", organisation=council, title="Night buses until 4 am")
    handover, due = today, today + dt.timedelta(days=40)
    folder = Path(artifacts_dir) / f"browser-{backend}"
    folder.mkdir(parents=True, exist_ok=True)

    clerk_context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = clerk_context.new_page()
    sign_in(page, live_server.url, clerk.email)
    page.goto(live_server.url + "/workspace")
    assert page.url.endswith(f"/workspace/{council.slug}")
    overdue = page.locator("#attention-overdue")
    assert overdue.locator(".attention-count").inner_text() == "1"
    assert "attention" in overdue.get_attribute("class")
    page.screenshot(path=str(folder / "workspace-inbox.png"), full_page=True)

    overdue.locator("a").click()
    page.wait_for_load_state()
    row = page.locator("tr[data-petition]")
    assert row.count() == 1 and "answer overdue" in row.inner_text()
    row.locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/workspace/petitions/{petition.id}")
    assert "Overdue answers" in page.locator("article.panel").inner_text()
    values = page.locator("select[name=status] option").evaluate_all("els => els.map(e => e.value)")
    assert values == ["to_process", "in_process", "rejected"]

    page.fill("input[name=date_projected]", handover.isoformat())
    page.fill("input[name=reference_field]", "RCC-2026-0042")
    page.fill("input[name=answer_due_date]", due.isoformat())
    page.select_option("select[name=status]", "in_process")
    page.click("#recipient-form button.primary")
    page.wait_for_load_state()
    assert "Saved." in page.locator("#recipient-form").inner_text()
    assert page.locator("#current-status").get_attribute("data-status") == "in_process"
    assert page.locator("#fact-reference_field").inner_text() == "RCC-2026-0042"
    assert page.locator("#fact-date_projected").inner_text() == handover.isoformat()
    assert page.locator("#fact-answer_due_date").inner_text() == due.isoformat()
    history = page.locator("#history").inner_text()
    assert "Handed over, being answered" in history and "Carl Council · via web" in history
    page.screenshot(path=str(folder / "clerk-petition-page.png"), full_page=True)

    page.click("#write-response")
    page.wait_for_load_state()
    assert page.locator(f"input[name=petitions][value='{petition.id}']").is_checked()
    page.fill("input[name=title]", "Fountains in all parks by summer")
    page.fill("textarea[name=body]", "<p>The council will install <strong>14 fountains</strong>.</p>"
                                     "<script>alert('x')</script>")
    page.click("form button.primary")
    page.wait_for_load_state()
    assert "Preview of a draft response" in page.content()
    assert page.locator("#preview strong").inner_text() == "14 fountains"
    assert page.locator("#preview script").count() == 0
    page.screenshot(path=str(folder / "response-preview.png"), full_page=True)
    page.click("#publish")
    page.wait_for_load_state()
    assert "Published." in page.content()
    assert Petition.get_by_id(petition.id).status == "completed"
    clerk_context.close()

    # the lead petitioner sees the response and the history
    lead_context = browser.new_context()
    mine = lead_context.new_page()
    sign_in(mine, live_server.url, lead.email)
    mine.goto(f"{live_server.url}/my/petitions/{petition.id}")
    assert "Fountains in all parks by summer" in mine.locator("#response").inner_text()
    lead_history = mine.locator("#history").inner_text()
    assert "RCC-2026-0042" in lead_history and "Answered" in lead_history
    mine.goto(f"{live_server.url}/petitions/{petition.slug}")
    assert "14 fountains" in mine.locator("#response").inner_text()
    mine.screenshot(path=str(folder / "public-petition-with-response.png"), full_page=True)
    lead_context.close()

    # the signer who asked to be told gets the response notice (the job's batch walk, then delivery)
    response = Response.select().where(Response.organisation == council).get()
    assert notices.queue_signer_notices(response, batch_size=100)["signers"] == 1
    deliver_mail()
    smtp.wait_for(1)
    [notice] = [m for m in smtp.to(told.email) if "has been answered" in m["Subject"]]
    body = notice.get_content()
    assert "Fountains in all parks by summer" in body and f"{live_server.url}/responses/{response.id}" in body
    assert not [m for m in smtp.to("quiet@signer.example") if "answered" in m["Subject"]]
    assert [m for m in smtp.to(lead.email) if "has answered your petition" in m["Subject"]]

    # the clerk's view of the notices
    clerk_again = browser.new_context().new_page()
    sign_in(clerk_again, live_server.url, clerk.email)
    clerk_again.goto(f"{live_server.url}/workspace/responses/{response.id}")
    assert clerk_again.locator("#notices-sent").inner_text() == "2"  # the signer and the lead petitioner
    clerk_again.context.close()
    print(f"\nscreenshots in {folder}")
    assert (folder / "workspace-inbox.png").stat().st_size > 1000
