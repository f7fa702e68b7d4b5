"""Browser hardening in a real Chromium: no page of ours renders inside another site's frame, and
our own pages raise no Content-Security-Policy violation (nothing inline without its nonce)."""
import http.server
import threading

import pytest

from tests.support import free_port
from tests.test_browser import browser, sign_in  # noqa: F401 -- the fixture

pytestmark = pytest.mark.browser


def test_pages_refuse_to_be_framed_and_raise_no_csp_violation(browser, live_server, make):  # noqa: F811
    admin = make.admin()
    organisation = make.organisation()
    petition = make.petition(organisation=organisation)
    page = browser.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, live_server.url, admin.email)
    for path in ("/", f"/petitions/{petition.slug}", f"/petitions/{petition.slug}/sign", "/admin", "/account",
                 "/my-data", "/api/v1/docs", "/admin/api-keys"):
        page.goto(live_server.url + path)
        page.wait_for_load_state()
        assert page.locator("main").count() == 1, path
    assert violations == []

    # /admin, signed in, inside a frame of another origin (the finding: it rendered). A page of another
    # origin (localhost instead of 127.0.0.1, another port) frames it; Chromium must refuse to show it.
    html = f'<html><body><iframe src="{live_server.url}/admin" width="600" height="400"></iframe></body></html>'

    class Framing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Framing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        framing = browser.new_page()
        framing.goto(f"http://localhost:{server.server_address[1]}/")
        framing.wait_for_load_state("load")  # the load event waits for the frame too
        frames = [f for f in framing.frames if f != framing.main_frame]
        assert len(frames) == 1
        assert not frames[0].url.startswith(live_server.url), frames[0].url
        assert "Petitions portal" not in frames[0].content()
    finally:
        server.shutdown()
        server.server_close()
    page.close()
