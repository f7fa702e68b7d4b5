"""Accessibility and reflow in a real headless Chromium over the demo data (issue 11).

- axe-core (the npm package, injected into each page) over every page for every role, in two
  languages: no WCAG 2.0/2.1 A or AA violation;
- every page fits 320 CSS pixels: document.scrollWidth <= 320 (nothing scrolls sideways);
- signing and the clerk's recipient update done with the keyboard alone;
- after a failed submit focus is on the error summary, the title starts with "Error:", and each
  wrong field has aria-invalid and an aria-describedby that names its error;
- screenshots of the main pages at 390 and 1280 px in test-artifacts/screenshots/.

axe-core comes from node_modules (`npm install`, as .ci/run does); without it the test installs
the package with npm into test-artifacts, and skips only when that fails locally.
"""
import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from models import demo
from models.organisation import Organisation
from models.petition import Petition
from models.response import Response
from tests.test_browser import browser  # noqa: F401 (the same Chromium fixture)

pytestmark = pytest.mark.browser
HERE = Path(__file__).resolve().parent.parent
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ["en-GB", "nl-NL"]


def _required():
    return os.environ.get("PORTAL_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def axe_source(artifacts_dir):
    candidates = [HERE / "node_modules/axe-core/axe.min.js",
                  Path(artifacts_dir) / "npm/node_modules/axe-core/axe.min.js"]
    for path in candidates:
        if path.exists():
            return path.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm:
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(Path(artifacts_dir) / "npm"),
                        "axe-core@^4.11.0"], check=False, capture_output=True, timeout=600)
        if candidates[1].exists():
            return candidates[1].read_text(encoding="utf-8")
    if _required():
        pytest.fail("axe-core is missing: run `npm install` (package.json) first")
    pytest.skip("axe-core is missing (npm install) and could not be installed")


def sign_in(page, base_url, email):
    page.goto(base_url + "/signin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("#signin")
    page.wait_for_load_state()
    assert "/signin" not in page.url, f"could not sign in as {email}"


def _pages():
    """{role: [paths]} over the demo data: every kind of page each role can reach."""
    by_title = {p.title: p for p in Petition.select()}
    live = by_title["Ban single-use plastic at public events"]
    closing = by_title["Safe cycle lanes to all secondary schools"]
    closed = by_title["Extend night bus services in Riverton"]
    handed = by_title["Restore funding for rural libraries"]
    answered = by_title["Lower the speed limit near schools to 30 km/h"]
    rejected = by_title["Rename the city after our football club"]
    withdrawn = by_title["Weekly farmers' market in the town square"]
    staging = by_title["Protect the old oak avenue on Mill Road"]
    draft = by_title["Free drinking water fountains in every park"]
    response = Response.select().where(Response.published_at.is_null(False)).get()
    council = Organisation.get(Organisation.slug == "riverton-city-council")
    return {
        None: ["/", "/petitions", "/petitions?q=school+speed", "/petitions?status=rejected",
               "/petitions?q=nothing+matches+this", f"/petitions/{live.slug}", f"/petitions/{closing.slug}",
               f"/petitions/{closed.slug}", f"/petitions/{handed.slug}", f"/petitions/{answered.slug}",
               f"/petitions/{rejected.slug}", f"/petitions/{withdrawn.slug}", f"/petitions/{live.slug}/signed",
               "/organisations", f"/organisations/{council.slug}", "/answered", "/responses",
               f"/responses/{response.id}", "/pages/terms", "/pages/privacy", "/pages/accessibility",
               "/pages/contact", "/signin", "/signup", "/reset", "/api/v1/docs", "/v1/docs", "/api/osdi/v1/docs",
               "/signatures/confirm/not-a-real-token", "/no-such-page"],
        "anna@demo.example": ["/my/petitions", f"/my/petitions/{draft.id}", f"/my/petitions/{draft.id}/edit",
                              f"/my/petitions/{live.id}", f"/my/petitions/{handed.id}", "/my/petitions/new",
                              "/user/api-tokens", f"/petitions/{live.slug}/api-settings", f"/petitions/{draft.slug}"],
        "clerk.council@demo.example": ["/workspace/riverton-city-council",
                                       "/workspace/riverton-city-council?show=no_handover",
                                       f"/workspace/petitions/{closed.id}", f"/workspace/petitions/{answered.id}",
                                       f"/workspace/riverton-city-council/responses/new?petition={closed.id}",
                                       f"/workspace/responses/{response.id}"],
        "moderator@demo.example": ["/moderation", f"/moderation/{staging.id}"],
        "admin@demo.example": ["/admin", "/admin/organisations", "/admin/organisations/new",
                               f"/admin/organisations/{council.slug}", f"/admin/organisations/{council.slug}/members",
                               "/admin/users", "/admin/petitions", "/admin/petitions?hidden=1", "/admin/jobs",
                               "/admin/pages", "/admin/pages/privacy", f"/moderation/{rejected.id}"],
    }


def _axe(page, source):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", WCAG)


def _check(page, base_url, path, source, problems, language):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + path)
    page.wait_for_load_state()
    for violation in _axe(page, source):
        problems.append(f"{language} {path}: axe {violation['id']} ({violation['impact']}): {violation['help']} "
                        f"at {violation['nodes']}")
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > 320:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 321 && !e.closest('.table-scroll, pre'))
            .slice(0, 3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)""")
        problems.append(f"{language} {path}: {width}px wide at 320px ({wide})")
    for violation in _axe(page, source):  # reflowed: the same page must still pass
        problems.append(f"{language} {path} at 320px: axe {violation['id']}: {violation['help']} "
                        f"at {violation['nodes']}")


def test_every_page_for_every_role_passes_axe_and_fits_320px(browser, live_server, axe_source, artifacts_dir):
    demo.load()
    pages = _pages()
    problems = []
    for language in LANGUAGES:
        for role, paths in pages.items():
            context = browser.new_context(locale=language)
            page = context.new_page()
            if role:
                sign_in(page, live_server.url, role)
            for path in paths:
                _check(page, live_server.url, path, axe_source, problems, language)
            context.close()
    assert not problems, "\n".join(problems)


def _tab_to(page, selector, limit=80):
    """Press Tab until `selector` has the focus (the keyboard is all a keyboard user has)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def submit(page):
    """Press Enter in a form and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def _error_state(page):
    return page.evaluate("""() => ({
        title: document.title,
        focused: document.activeElement && document.activeElement.id,
        summary: [...document.querySelectorAll('#error-summary a')].map(a => a.getAttribute('href')),
        alerts: document.querySelectorAll('[role=alert]').length,
        invalid: [...document.querySelectorAll('[aria-invalid=true]')].map(e => ({
            id: e.id, described: (e.getAttribute('aria-describedby') || '').split(' ')
                .filter(id => { const d = document.getElementById(id); return d && d.classList.contains('error'); })
        })),
    })""")


def test_signing_with_the_keyboard_alone_and_errors_that_find_their_field(browser, live_server, artifacts_dir,
                                                                          axe_source):
    demo.load()
    petition = Petition.get(Petition.title == "Ban single-use plastic at public events")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/petitions/{petition.slug}")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    _tab_to(page, "input[name=full_name]")
    page.keyboard.type("X")  # too short: no surname
    _tab_to(page, "button.primary")
    submit(page)
    state = _error_state(page)
    assert state["title"].startswith("Error:"), state
    assert state["focused"] == "error-summary", state
    assert state["alerts"] == 1, state  # one live announcement
    assert {"#full_name", "#email", "#accept_terms"} <= set(state["summary"]), state
    invalid = {item["id"]: item["described"] for item in state["invalid"]}
    assert {"full_name", "email", "accept_terms"} <= set(invalid), state
    assert all(invalid[name] == [f"{name}-error"] for name in ("full_name", "email", "accept_terms")), state
    assert _axe(page, axe_source) == []  # the page with errors passes too
    shots = Path(artifacts_dir) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "sign-errors-390.png"), full_page=True)
    # the summary's link takes the keyboard to the field
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.name") == "full_name"
    page.keyboard.press("Control+A")
    page.keyboard.type("Kim Keyboard")
    _tab_to(page, "input[name=email]")
    page.keyboard.type("kim@keyboard.example")
    for box in ("input[name=wants_notice]", "input[name=accept_terms]"):
        _tab_to(page, box)
        page.keyboard.press("Space")
    _tab_to(page, "button.primary")
    submit(page)
    assert page.url.endswith(f"/petitions/{petition.slug}/signed")
    assert page.locator("#resend").count() == 1
    context.close()


def test_a_clerk_records_the_handover_with_the_keyboard_alone(browser, live_server, artifacts_dir, axe_source):
    demo.load()
    petition = Petition.get(Petition.title == "Extend night bus services in Riverton")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/signin")
    _tab_to(page, "input[name=email]")
    page.keyboard.type("clerk.council@demo.example")
    _tab_to(page, "input[name=password]")
    page.keyboard.type(demo.PASSWORD)
    submit(page)
    assert page.url.endswith("/workspace/riverton-city-council")  # members land on their work
    page.goto(f"{live_server.url}/workspace/petitions/{petition.id}")
    # first a nonsense date: the error summary takes the focus. Dates are <input type=date>: the
    # keyboard types the segments in the en-US order (month, day, year) and each overwrites its segment.
    _tab_to(page, "input[name=answer_due_date]")
    page.keyboard.type("01012020")
    submit(page)
    state = _error_state(page)
    assert state["focused"] == "error-summary" and state["title"].startswith("Error:"), state
    assert [item for item in state["invalid"] if item["id"] == "answer_due_date"][0]["described"] == [
        "answer_due_date-error"], state
    assert _axe(page, axe_source) == []
    # then the handover itself
    handover = petition.closed_at.date()
    due = handover + dt.timedelta(days=60)
    _tab_to(page, "input[name=date_projected]")
    page.keyboard.type(handover.strftime("%m%d%Y"))
    _tab_to(page, "input[name=reference_field]")
    page.keyboard.type("RCC-KEY-1")
    _tab_to(page, "input[name=answer_due_date]")
    page.keyboard.type(due.strftime("%m%d%Y"))
    submit(page)
    assert "saved=1" in page.url, page.content()[:2000]
    stored = Petition.get_by_id(petition.id)
    assert stored.status == "in_process" and stored.reference_field == "RCC-KEY-1"
    assert stored.date_projected == handover and stored.answer_due_date == due
    context.close()


MAIN_PAGES = ["/", "/petitions?q=school", "/pages/privacy"]


def test_screenshots_of_the_main_pages(browser, live_server, artifacts_dir):
    demo.load()
    folder = Path(artifacts_dir) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    live = Petition.get(Petition.title == "Ban single-use plastic at public events")
    answered = Petition.get(Petition.title == "Lower the speed limit near schools to 30 km/h")
    closed = Petition.get(Petition.title == "Extend night bus services in Riverton")
    public = MAIN_PAGES + [f"/petitions/{live.slug}", f"/petitions/{answered.slug}"]
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for path in public:
            page.goto(live_server.url + path)
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        sign_in(page, live_server.url, "clerk.council@demo.example")
        for path in ("/workspace/riverton-city-council", f"/workspace/petitions/{closed.id}"):
            page.goto(live_server.url + path)
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        context.close()
    assert len(list(folder.glob("*-390.png"))) >= 7 and len(list(folder.glob("*-1280.png"))) >= 7
