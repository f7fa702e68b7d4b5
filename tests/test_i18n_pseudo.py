"""Hard-coded text is caught with a pseudo-language: in `x-pseudo` every message is wrapped in ⟦ ⟧
(models.i18n.PseudoLocale, dates and numbers too). Every page is fetched in it, as every kind of
visitor; what is visible outside the markers must be data (petition texts, names, addresses,
references: anything stored in the database) or marked as not to be translated (`translate="no"`,
`<code>`, `<pre>`: codes, language names in their own language, technical documentation).

After merging other branches, rerun this file: a new page that is not visited here fails
test_every_page_route_is_visited (add its address to `pages()`), and a string that is not wrapped
fails test_no_visible_text_outside_the_markers with the words and the page.
"""
import datetime as dt
import inspect
import re
from html.parser import HTMLParser

import peewee as pw
import pytest

from models import clock, config, i18n, mail
from models.audit import Actor
from models.db import BaseModel
from models.mail import OutboxMessage
from models.petition import Petition, update_recipient_fields
from tests.support import PASSWORD

SKIP_TAGS = {"script", "style", "code", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# Routes that are not pages: JSON, CSV, XML, redirects and form posts only.
# Names of the API dialects the portal speaks: names, not words to translate.
PROPER_NAMES = ("We the People API", "We the People", "OSDI API", "OSDI", "JSON", "CSV", "Standard Webhooks")
NOT_PAGES = re.compile(r"^/(api/|v1/|language|sitemap|signout|healthz|metrics|widgets/|open-data/)|export\\.(csv|json)|openapi"
                       r"|\\\.\(json\|csv\)")  # data files (/petitions/x.json), scripts, probes


class VisibleText(HTMLParser):
    """Text nodes and human-readable attributes, minus what is marked as not to be translated."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, skipped)
        self.parts = []

    @property
    def skipping(self):
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in SKIP_TAGS or attrs.get("translate") == "no"
        if not (self.skipping or skipped):
            self.parts += [attrs[name] for name in ATTRIBUTES if attrs.get(name)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def without_markers(text):
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\u27e6[^\u27e6\u27e7]*\u27e7", " ", text)
    return text


def stored_text():
    """Every text value in the database, and the text between the tags of the rich ones."""
    values = set()
    for model in _models():
        fields = [f for f in model._meta.sorted_fields if isinstance(f, (pw.CharField, pw.TextField))]
        if not fields:
            continue
        for row in model.select(*fields).tuples():
            for value in row:
                if isinstance(value, str) and value.strip():
                    values.add(value.strip())
                    values.update(part.strip() for part in re.split(r"<[^>]+>|\n", value) if part.strip())
                    values.add(value.strip()[:59])  # shortened in lists, with "…"
    return sorted(values, key=len, reverse=True)


def _models():
    seen, todo = set(), list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.add(model)
            todo += model.__subclasses__()
    return seen


def _without_codes(text):
    text = re.sub(r"https?://\S+", " ", text)  # addresses are not words
    text = re.sub(r"(?<![\w/])/[\w./{}-]*", " ", text)  # nor paths (/user/api-tokens)
    return re.sub(r"[\w-]+(?:\.[\w-]+)+", " ", text)  # nor dotted codes and file names (petition.closed, a.csv.gz)


def leftover_words(html, data):
    text = _without_codes(without_markers(visible_text(html)))
    for value in list(data) + list(PROPER_NAMES):
        if value in text:
            text = text.replace(value, " ")
    text = _without_codes(text)
    return sorted(set(re.findall(r"[^\W\d_]{2,}", text)))


# ---- a world with every role and a petition in every status ----------------------------------------

class World:
    def __init__(self, make):
        from models.account import invite, request_password_reset, sign_up
        from models.answering import publish_response, save_draft

        day = dt.timedelta(days=1)
        self.org = make.organisation(name="Gemeente Testdorp", description="Wij besturen het dorp.")
        self.manager = make.clerk(self.org, role="manager", name="Marijke Manager")
        self.clerk = make.clerk(self.org, name="Kees Klerk")
        self.moderator = make.user(is_moderator=True, name="Mona Moderator")
        self.admin = make.user(is_admin=True, name="Adam Admin")
        self.lead = make.user(name="Lotte Leider")
        p = {}
        # the handed-over petition opened a month ago: its handover date (20 days ago) and its
        # answer-due date (yesterday, overdue now) were valid when the clerk recorded them
        month_ago, recorded = clock.now() - 30 * day, clock.now() - 20 * day
        for status in ("concept", "staging", "live", "to_process", "in_process", "rejected", "withdrawn"):
            with clock.frozen(month_ago if status == "in_process" else clock.now()):
                p[status] = make.petition(status, organisation=self.org, lead=self.lead,
                                          title=f"Verzoekschrift nummer {len(p) + 1} over het park",
                                          statement="Omdat het moet.", language="nl")
        self.petitions = p
        make.signature(p["live"], full_name="Jan de Vries", city="Utrecht", show_name=True, comment="Eens!")
        self.hidden = make.petition("live", organisation=self.org, lead=self.lead, title="Verborgen verzoekschrift")
        Petition.update(hidden=True, hidden_reason="Dubbel ingediend").where(Petition.id == self.hidden.id).execute()
        clerk = Actor.for_user(self.clerk)
        with clock.frozen(recorded):
            update_recipient_fields(p["in_process"], clerk, {"reference_field": "KEN-2026-01",
                                                             "date_projected": recorded.date().isoformat(),
                                                             "answer_due_date": (clock.today() + 19 * day).isoformat()})
        update_recipient_fields(p["to_process"], clerk, {"answer_due_date": (clock.today() + 3 * day).isoformat()})
        answered = make.petition("to_process", organisation=self.org, lead=self.lead, title="Beantwoord verzoekschrift")
        self.response = publish_response(save_draft(self.org, clerk, "Ons antwoord", "<p>Wij doen het.</p>",
                                                    [answered.id]), clerk)
        self.answered = Petition.get_by_id(answered.id)
        self.draft = save_draft(self.org, clerk, "Concept-antwoord", "<p>Binnenkort.</p>", [p["to_process"].id])
        from models.signature import submit

        OutboxMessage.delete().execute()
        submit(p["live"], full_name="Piet Puk", email="piet@example.nl")
        invite(self.manager, self.org, "nieuw@example.nl")
        request_password_reset(self.lead.email)
        sign_up("nieuwe.gebruiker@example.nl", "Nieuwe Gebruiker", "een lang wachtwoord")
        bodies = "\n".join(mail.content(m)[1] for m in OutboxMessage.select())  # some are rendered at delivery
        from models import webhooks

        settings = config.current()
        config.configure(settings.with_(webhooks_allow_http=True))
        try:
            self.endpoint, _secret = webhooks.create_endpoint(self.org, Actor.for_user(self.manager),
                                                              "http://127.0.0.1:9/hooks", list(webhooks.EVENTS))
        finally:
            config.configure(settings)
        self.tokens = {kind: re.search(rf"/{kind}/([A-Za-z0-9_\-]+)", bodies).group(1)
                       for kind in ("signatures/confirm", "signatures/withdraw", "invitations", "reset",
                                    "confirm-email")}

    def pages(self):
        """(role, method, path, form) for every page, as each kind of visitor sees it."""
        p, org, t = self.petitions, self.org, self.tokens
        live, draft_id = p["live"], p["concept"].id
        anonymous = [
            "/", "/?q=park", "/petitions", "/petitions?q=park&status=open", "/answered", "/organisations",
            f"/organisations/{org.slug}", f"/petitions/{live.slug}", f"/petitions/{live.slug}/chart.svg", f"/petitions/{self.answered.slug}", f"/petitions/{p['to_process'].slug}",
            f"/petitions/{live.slug}/signed", "/responses", f"/responses/{self.response.id}",
            "/signin", "/signup", "/reset", f"/signatures/confirm/{t['signatures/confirm']}",
            f"/reset/{t['reset']}", f"/invitations/{t['invitations']}", f"/confirm-email/{t['confirm-email']}",
            f"/signatures/withdraw/{t['signatures/withdraw']}", "/my-data",
            "/pages/terms", "/pages/privacy", "/pages/accessibility", "/pages/contact",
            "/no/such/page", "/api/v1/docs", "/v1/docs", "/api/osdi/v1/docs",
            "/open-data", "/accountability", f"/organisations/{org.slug}/accountability",
            f"/petitions/{live.slug}/widget/count", f"/petitions/{live.slug}/widget/sign",
        ]
        rows = [("anonymous", "GET", path, None) for path in anonymous]
        rows += [("anonymous", "POST", f"/petitions/{live.slug}/sign", {"email": "not an address"}),
                 ("anonymous", "POST", "/signin", {"email": "x@example.org", "password": "wrong"}),
                 ("anonymous", "POST", "/signup", {"email": "bad"}),
                 ("anonymous", "POST", "/my-data", {"email": "not an address"})]
        petitioner = ["/my/petitions", f"/my/petitions/{draft_id}", f"/my/petitions/{live.id}",
                      f"/my/petitions/{p['rejected'].id}", f"/my/petitions/{self.answered.id}", "/my/petitions/new",
                      f"/my/petitions/{draft_id}/edit", "/account", "/account/password", "/user/api-tokens",
                      f"/petitions/{live.slug}/api-settings"]
        rows += [("petitioner", "GET", path, None) for path in petitioner]
        rows += [("petitioner", "POST", "/my/petitions/new", {"title": "x"}),
                 ("petitioner", "POST", f"/my/petitions/{self.answered.id}/withdraw", {})]
        clerk = ["/workspace", f"/workspace/{org.slug}", f"/workspace/{org.slug}?show=overdue",
                 f"/workspace/petitions/{p['in_process'].id}", f"/workspace/petitions/{p['to_process'].id}",
                 f"/workspace/petitions/{self.answered.id}", f"/workspace/{org.slug}/responses/new",
                 f"/workspace/responses/{self.response.id}", f"/workspace/responses/{self.draft.id}",
                 f"/workspace/responses/{self.draft.id}/edit", f"/workspace/responses/{self.draft.id}/publish",
                 "/moderation", f"/moderation/{p['staging'].id}",
                 f"/admin/organisations/{org.slug}/members", f"/workspace/{org.slug}/webhooks",
                 f"/workspace/{org.slug}/webhooks/{self.endpoint.id}"]
        rows += [("manager", "GET", path, None) for path in clerk]
        rows += [("manager", "POST", f"/workspace/petitions/{p['to_process'].id}",
                  {"status": "rejected", "date_projected": "not a date"})]
        moderator = ["/moderation", f"/moderation/{p['staging'].id}", f"/moderation/{p['withdrawn'].id}"]
        rows += [("moderator", "GET", path, None) for path in moderator]
        admin = ["/admin", "/admin/organisations", "/admin/organisations/new", f"/admin/organisations/{org.slug}",
                 f"/admin/organisations/{org.slug}/members", "/admin/users", "/admin/petitions",
                 "/admin/petitions?hidden=1", "/admin/jobs", "/admin/pages", "/admin/pages/privacy",
                 "/admin/api-keys", f"/moderation/{p['rejected'].id}",
                 f"/moderation/{self.hidden.id}"]
        rows += [("admin", "GET", path, None) for path in admin]
        return rows

    def user(self, role):
        return {"petitioner": self.lead, "manager": self.manager, "moderator": self.moderator,
                "admin": self.admin}.get(role)


@pytest.fixture
def pseudo(database):
    config.configure(database.with_(pseudo_locale=True))
    yield
    config.configure(database)


async def each_page(web, world, language):
    """(role, method, path, reply) for every page of World.pages(), fetched as its visitor in `language`."""
    signed_in = None
    for role, method, path, form in world.pages():
        user = world.user(role)
        if user is not signed_in:
            web.cookies.clear()
            if user is not None:
                await web.sign_in(user, PASSWORD)
            signed_in = user
        web.cookies["language"] = language
        reply = await (web.get(path) if method == "GET" else web.post(path, form))
        assert reply.code < 500, f"{role} {method} {path}: {reply.code}"
        # the page says its language (widgets name the language of the page that embeds them; the
        # chart is an image, its words are checked all the same)
        assert f'<html lang="{i18n.html_lang(language)}">' in reply.text or reply.code in (302, 303) \
            or "/widget/" in path or reply.headers.get("Content-Type", "").startswith("image/svg+xml"), \
            (language, path)
        yield role, method, path, reply


@pytest.mark.gen_test(timeout=300)
async def test_no_visible_text_outside_the_markers(web, make, pseudo):
    world = World(make)
    data = stored_text()
    found = {}
    async for role, method, path, reply in each_page(web, world, i18n.PSEUDO):
        words = leftover_words(reply.text, data)
        if words:
            found[f"{role} {method} {path} ({reply.code})"] = words
    assert not found, "text outside the translation markers:\n" + "\n".join(
        f"  {page}: {' '.join(words)}" for page, words in found.items())


def test_every_page_route_is_visited(make):
    """A page route that pages() does not visit would escape the pseudo-language check."""
    from tornado.web import RequestHandler

    import portal
    from handlers.base import JsonHandler

    world = World(make)
    visited = [path.split("?")[0] for _, _, path, _ in world.pages()]
    missing = []
    for pattern, handler, *_ in portal.ROUTES:
        if issubclass(handler, JsonHandler) or NOT_PAGES.search(pattern) or handler.get is RequestHandler.get:
            continue
        regex = re.compile(pattern + "$")
        try:  # a handler class may serve a page and its actions; GET on an action's address is a 405
            inspect.signature(handler.get).bind(None, *([""] * regex.groups))
        except TypeError:
            continue
        if not any(regex.match(path) for path in visited):
            missing.append(f"{pattern} ({handler.__module__}.{handler.__name__})")
    assert not missing, "pages the pseudo-language test does not visit; add them to World.pages():\n  " + \
        "\n  ".join(missing)


def test_the_pseudo_language_is_only_offered_when_switched_on(database):
    assert config.current().pseudo_locale is False
    assert i18n.PSEUDO not in i18n.available(config.current())


@pytest.mark.gen_test(timeout=600)
async def test_every_page_in_every_language_has_no_english_left(web, make):
    """The same pages in nl, de, nb and fr: no visible text holds an English message that the
    language translates (a message not wrapped, or wrapped but not translated, shows here)."""
    from tests.test_i18n import NON_SOURCE, _english_left_in

    world = World(make)
    found = {}
    for language in NON_SOURCE:
        english = _english_left_in(language)
        async for role, method, path, reply in each_page(web, world, language):
            text = visible_text(reply.text)
            left = sorted(part for part in english if part in text)
            if left:
                found[f"{language} {role} {method} {path}"] = left
    assert not found, "English left on translated pages:\n" + "\n".join(
        f"  {page}: {left}" for page, left in found.items())
