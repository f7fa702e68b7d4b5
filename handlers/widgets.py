"""Embeddable widgets: a live count with progress (an iframe page) and a sign form (a script that
renders the form in the host page and submits through POST /api/v1/petitions/{slug}/signatures, so
the petition's allowed domains and the usual confirmation mail apply). The snippets are offered on
the petition's API settings page; models/widgets.py holds the rules."""
import json
import secrets

import tornado.locale
import tornado.web

from handlers.base import BaseHandler
from models import api, widgets
from models.errors import NotFound


class WidgetBase(BaseHandler):
    """Widget pages are framed by other sites: their frame policy lists the petition's allowed domains."""

    petition = None

    def frame_ancestors(self):
        # Overrides BaseHandler.frame_ancestors() (the security branch's default is ["'none'"]).
        return widgets.frame_ancestors(self.petition) if self.petition is not None else ["'none'"]

    def get_user_locale(self):
        lang = self.get_query_argument("lang", "")
        return tornado.locale.get(lang.replace("-", "_")) if widgets.LANG_RE.match(lang or "") else None

    def check_xsrf_cookie(self):
        pass  # widgets take no form posts of ours


class WidgetHandler(WidgetBase):
    """GET /petitions/{slug}/widget/count?lang=xx[&refresh=seconds]: the count with progress, to frame."""

    def get(self, key, kind):
        try:
            self.petition = widgets.widget_petition(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        if kind != "count":
            raise tornado.web.HTTPError(404, reason=self.locale.translate(
                "The sign form is a script: see the petition's API settings."))
        petition = self.petition
        try:
            refresh = max(1, min(3600, int(self.get_query_argument("refresh", "30"))))
        except ValueError:
            raise tornado.web.HTTPError(400, reason=self.locale.translate(
                "refresh must be a whole number of seconds (1 to 3600)."))
        nonce = secrets.token_urlsafe(16)
        # Until the security branch's CSP (with frame_ancestors()) is merged, the widget sets its own.
        self.set_header("Content-Security-Policy",
                        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                        f"connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                        f"frame-ancestors {' '.join(self.frame_ancestors())}")
        self.clear_header("X-Frame-Options")
        self.set_header("Cache-Control", f"public, max-age={widgets.COUNT_MAX_AGE}")
        threshold, percent = widgets.progress(petition)
        self.render("widgets/count.html", petition=petition, threshold=threshold, percent=percent,
                    lang=widgets.language(self.get_query_argument("lang", ""), petition), nonce=nonce,
                    refresh=refresh)


class WidgetScriptHandler(WidgetBase):
    """GET /widgets/petition.js?lang=xx: renders every <div data-petition-widget="sign"> of the host page."""

    def get(self):
        self.set_header("Content-Type", "application/javascript; charset=UTF-8")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("X-Content-Type-Options", "nosniff")
        _ = self.locale.translate
        texts = {
            "full_name": _("Your full name"), "email": _("Your email address"),
            "show_name": _("Show my name with my signature"),
            "accept_terms": _("I accept the terms and the privacy notice"),
            "sign": _("Sign"), "sending": _("Sending…"),
            "thanks": _("Thank you. We sent you an email: your signature counts once you confirm it."),
            "problem": _("Your signature was not sent:"),
            "network": _("The petition site could not be reached; try again."),
        }
        self.render("widgets/petition.js", texts=json.dumps(texts, ensure_ascii=False).replace("</", "<\\/"),
                    base=json.dumps(self.settings_.base_url))


class WidgetKeyHandler(BaseHandler):
    """POST /petitions/{slug}/widget-key: a `create` key for the sign widget, shown once inside its snippet."""

    def post(self, key):
        user = self.require_user()
        try:
            petition = api.petition_by_key(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        self.require_roles(petition, api.SETTINGS_ROLES)
        _, token = api.issue_key(user, f"Sign widget: {petition.slug}"[:100], ["create"])
        self.set_header("Cache-Control", "no-store")
        self.set_status(201)
        self.render("widgets/snippets.html", petition=petition, token=token)
