"""Embeddable widgets: a page served from another localhost port (an allowed domain) embeds the
count and the sign form in Chromium: the count shows, a signature goes in, confirming raises the
count; the same page on a domain that is not allowed is refused. Plus the snippets and headers
over plain HTTP."""
import http.server
import re

import pytest

from models.api import issue_key, update_api_settings
from models.audit import Actor
from models.mail import OutboxMessage
from models.petition import Petition
from models.signature import Signature, confirm
from tests.support import free_port
from tests.support_jobs import sign_in_cookie
from tests.support_webhooks import LocalServer
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)


class HostSite(LocalServer):
    """Another website: serves one page at / (on 127.0.0.1 or localhost, a port of its own)."""

    def __init__(self, html, host="127.0.0.1", port=None):
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}/"
        page = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.serve(Handler)


def host_page(portal, petition, token):
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Campaign</title></head><body>
<h1>Our campaign</h1>
<iframe id="count" src="{portal}/petitions/{petition.slug}/widget/count?lang=en&refresh=1" title="Signatures"
        width="320" height="130"></iframe>
<div id="sign" data-petition-widget="sign" data-petition="{petition.slug}" data-key="{token}" lang="en"></div>
<script src="{portal}/widgets/petition.js?lang=en" async></script>
</body></html>"""


def widget_petition(make, allowed):
    organisation = make.organisation(signature_threshold=10)
    lead = make.user()
    petition = make.petition(organisation=organisation, lead=lead, title="Safe cycle lanes")
    make.signature(petition)
    make.signature(petition)
    update_api_settings(petition, Actor.system(), api_enabled=True, allowed_domains=allowed, hidden=False)
    _, token = issue_key(lead, "Sign widget", ["create"])
    return Petition.get_by_id(petition.id), token


def wait_for_mail_token():
    message = OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature").order_by(
        OutboxMessage.id.desc()).first()
    return re.search(r"/signatures/confirm/([A-Za-z0-9_\-]+)", message.body).group(1)


@pytest.mark.browser
def test_widgets_on_an_allowed_site_count_and_collect_signatures(browser, live_server, make):  # noqa: F811
    host_port = free_port()
    petition, token = widget_petition(make, f"127.0.0.1:{host_port}")
    with HostSite(host_page(live_server.url, petition, token), port=host_port) as site:
        page = browser.new_page()
        page.goto(site.url)
        frame = page.frame_locator("#count")
        frame.locator("#widget-count").wait_for(timeout=60000)
        assert frame.locator("#widget-count").inner_text() == "2"
        assert frame.locator("html").get_attribute("lang") == "en"
        assert frame.locator("#widget-progress").get_attribute("max") == "10"
        page.fill("#sign input[name=full_name]", "Wanda Widget")
        page.fill("#sign input[name=email]", "wanda@example.net")
        page.click("#sign button[type=submit]")
        page.wait_for_function("document.querySelector('#sign [role=status]').textContent.length > 12",
                               timeout=60000)
        assert "Your signature was not sent" in page.inner_text("#sign [role=status]")
        assert page.get_attribute("#sign input[name=accept_terms]", "aria-invalid") == "true"
        page.check("#sign input[name=accept_terms]")
        page.click("#sign button[type=submit]")
        page.wait_for_function("document.querySelector('#sign [role=status]').textContent.indexOf('Thank you') >= 0",
                               timeout=60000)
        signature = Signature.get(Signature.email == "wanda@example.net")
        assert signature.confirmed_at is None and signature.origin == site.url.rstrip("/")
        confirm(wait_for_mail_token())
        frame.locator("#widget-count").filter(has_text="3").wait_for(timeout=60000)
        page.close()


@pytest.mark.browser
def test_widgets_on_a_site_that_is_not_allowed_are_refused(browser, live_server, make):  # noqa: F811
    petition, token = widget_petition(make, "campaign.example.org")
    with HostSite(host_page(live_server.url, petition, token), host="localhost") as site:
        page = browser.new_page()
        blocked = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(site.url)
        page.wait_for_load_state("load")
        frame = next(f for f in page.frames if f != page.main_frame)
        assert frame.url.startswith("chrome-error://") or "widget-count" not in frame.content()
        page.wait_for_selector("#sign input[name=full_name]", timeout=60000)
        page.fill("#sign input[name=full_name]", "Eve Elsewhere")
        page.fill("#sign input[name=email]", "eve@example.net")
        page.check("#sign input[name=accept_terms]")
        page.click("#sign button[type=submit]")
        page.wait_for_function("document.querySelector('#sign [role=status]').textContent.length > 12",
                               timeout=60000)
        assert "Thank you" not in page.inner_text("#sign [role=status]")
        assert Signature.select().where(Signature.email == "eve@example.net").count() == 0
        page.close()


@pytest.mark.gen_test
async def test_widget_headers_and_snippets(make, web, database):
    petition, _ = widget_petition(make, "campaign.example.org\n127.0.0.1:8000")
    reply = await web.get(f"/petitions/{petition.slug}/widget/count?lang=nb")
    assert reply.code == 200 and '<html lang="nb">' in reply.text
    policy = reply.headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ")[1].split(";")[0].split()
    assert ancestors == ["https://campaign.example.org:*", "http://campaign.example.org:*",
                         "https://127.0.0.1:8000", "http://127.0.0.1:8000"]
    assert "max-age=30" in reply.headers["Cache-Control"]
    update_api_settings(petition, Actor.system(), api_enabled=True, allowed_domains="", hidden=False)
    closed = await web.get(f"/petitions/{petition.slug}/widget/count")
    assert "frame-ancestors 'none'" in closed.headers["Content-Security-Policy"]
    assert (await web.get("/petitions/no-such/widget/count")).code == 404
    assert (await web.get(f"/petitions/{petition.slug}/widget/count?refresh=soon")).code == 400
    script = await web.get("/widgets/petition.js?lang=en")
    assert script.code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert "Your full name" in script.text
    sign_in_cookie(web, database, petition.lead_petitioner)
    settings = await web.get(f"/petitions/{petition.slug}/api-settings")
    assert 'id="snippet-count"' in settings.text and "YOUR_WIDGET_KEY" in settings.text
    created = await web.post(f"/petitions/{petition.slug}/widget-key")
    assert created.code == 201 and "YOUR_WIDGET_KEY" not in created.text
    token = re.search(r'data-key=&quot;([^&]+)&quot;', created.text).group(1)
    assert token.startswith("pp_") or len(token) > 20
    other = make.user()
    sign_in_cookie(web, database, other)
    assert (await web.post(f"/petitions/{petition.slug}/widget-key")).code == 404
