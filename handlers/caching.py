"""Cacheable reads: Cache-Control with a short max-age, an ETag and 304 on If-None-Match, and an
in-process micro-cache (models/cache.py, `pages`: about a second) for the verified count and the
public pages signed-out visitors read.

A page kept in the micro-cache is rendered with placeholders where each visitor's own values go
(the XSRF field of its forms) and those are filled in per request, so visitors never share a token.
Its ETag is taken over the shared text, so a browser revalidating gets a 304 and keeps its copy,
whose token still matches its own cookie. Pages for signed-in visitors are never cached.
"""
import functools
import hashlib

from models import cache

# How long a browser or proxy may reuse an answer without asking again; with the micro-cache, a
# count or page shown is at most MAX_AGE + cache.pages' bound (1 s by default) old.
MAX_AGE = 2
XSRF_PLACEHOLDER = "\x00xsrf-form-field\x00"
NONCE_PLACEHOLDER = "csp-nonce-placeholder"  # a page's CSP nonce is per response too (handlers/base.py)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:32] + '"'


@functools.lru_cache(maxsize=8)
def _cache_control(public, max_age):
    return f"{'public' if public else 'private'}, max-age={int(max_age)}"


def finish_cacheable(handler, body, etag, public=True, max_age=MAX_AGE):
    """Answer a GET with caching headers: 304 without a body when If-None-Match names `etag`."""
    # straight into the headers (set_header checks each value, on every answer of the hottest reads)
    handler._headers["Cache-Control"] = _cache_control(public, max_age)
    handler._headers["Etag"] = etag
    if "If-None-Match" in handler.request.headers and handler.check_etag_header():
        handler.set_status(304)
        return handler.finish()
    return handler.finish(body)


class CachedPageMixin:
    """For BaseHandler pages that signed-out visitors read a lot (a petition, the home page)."""

    def may_use_page_cache(self):
        return self.request.method in ("GET", "HEAD") and self.current_user is None

    def cached_page(self, key, render):
        """Answer with the page `render()` returns (its text, rendered once per cache.pages bound and
        per language), filling in this visitor's XSRF field. Errors render() raises are not kept."""
        locale = getattr(getattr(self, "locale", None), "code", "")
        html, etag = cache.pages.get((key, locale), lambda: self._render_shared(render))
        self.language_headers()  # Content-Language and Vary, cached or not
        if XSRF_PLACEHOLDER in html or NONCE_PLACEHOLDER in html:
            # each visitor's own token (setting its cookie when it has none): only its browser keeps it;
            # and this response's CSP nonce, the one its header names
            body = html.replace(XSRF_PLACEHOLDER, self.xsrf_form_html()).replace(NONCE_PLACEHOLDER, self.csp_nonce)
            return finish_cacheable(self, body, etag, public=False)
        return finish_cacheable(self, html, etag, public=True)

    def _render_shared(self, render):
        own, own_nonce = self.xsrf_form_html, self.csp_nonce
        self.xsrf_form_html = lambda: XSRF_PLACEHOLDER
        self._csp_nonce = NONCE_PLACEHOLDER
        try:
            html = render()
        finally:
            self.xsrf_form_html, self._csp_nonce = own, own_nonce
        if isinstance(html, bytes):
            html = html.decode("utf-8")
        return html, etag_of(html.encode("utf-8"))
