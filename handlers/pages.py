"""The pages a public service must have (terms, privacy, accessibility, contact) and their editing
by site admins. Texts and defaults are in models/sitepage.py."""
import tornado.web

from forms.pages import SitePageForm
from handlers.admin import AdminHandler
from handlers.base import BaseHandler
from models import sitepage
from models.errors import InvalidInput
from models.sanitize import from_markdown


class SitePageHandler(BaseHandler):
    """GET /pages/<slug>: the page, in the reader's language when it is the shipped default."""

    def get(self, slug):
        if slug not in sitepage.SLUGS:
            raise tornado.web.HTTPError(404)
        title, _source, html, row = sitepage.get_page(slug, self.locale.translate)
        self.render("pages/page.html", slug=slug, title=title, html=html, row=row)


class AdminPagesHandler(AdminHandler):
    """GET /admin/pages: the four pages, edited or default."""

    def get(self):
        self.require_admin()
        rows = [(slug,) + sitepage.get_page(slug, self.locale.translate) for slug in sitepage.SLUGS]
        self.render("admin/pages.html", rows=rows)


class AdminPageHandler(AdminHandler):
    """GET/POST /admin/pages/<slug>: edit a page's Markdown with a preview; empty text restores the default."""

    def get(self, slug):
        self.require_admin()
        if slug not in sitepage.SLUGS:
            raise tornado.web.HTTPError(404)
        title, source, _html, row = sitepage.get_page(slug, self.locale.translate)
        form = SitePageForm(formdata=None, title=title, body=source)
        self.render("admin/page.html", slug=slug, form=form, preview=None, row=row,
                    saved=self.get_argument("saved", "") == "1")

    def post(self, slug):
        self.require_admin()
        if slug not in sitepage.SLUGS:
            raise tornado.web.HTTPError(404)
        form = SitePageForm(self.form_data())
        row = sitepage.SitePage.get_or_none(sitepage.SitePage.slug == slug)
        if self.get_body_argument("preview", None) is not None:
            preview = from_markdown(sitepage.fill(form.body.data or ""))
            return self.render("admin/page.html", slug=slug, form=form, preview=preview, row=row, saved=False)
        try:
            sitepage.save_page(slug, self.actor, form.title.data, form.body.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(422)
            return self.render("admin/page.html", slug=slug, form=form, preview=None, row=row, saved=False)
        self.redirect(f"/admin/pages/{slug}?saved=1", status=303)
