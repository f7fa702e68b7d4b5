"""Public pages: open petitions, a petition with its sign form, confirmation, organisations, sitemap."""
from urllib.parse import urlencode

import tornado.web

from forms.signature import SignForm
from handlers import ratelimit
from handlers.base import BaseHandler
from handlers.caching import CachedPageMixin
from models import chart, clock, i18n, search
from models import signature as signatures
from models.audit import Actor
from models.errors import InvalidInput, NotFound, NotSignable
from models.numbers import page_number
from models.organisation import Organisation
from models.pagination import paginate
from models.petition import Petition, roles_of
from models.response import response_for

PER_PAGE = 20


HOME_SECTION = 5


class HomeHandler(CachedPageMixin, BaseHandler):
    """The home page: start a petition, search, and the popular, closing-soon and recently answered ones.
    The old `?q=` search goes to the search page."""

    def get(self):
        q = self.get_argument("q", "").strip()[:200]
        if q:
            return self.redirect("/petitions?" + urlencode({"q": q, "status": "open"}))
        if self.may_use_page_cache():
            return self.cached_page(("home",), self.page)
        self.finish(self.page())

    def page(self):
        live = Petition.public().where((Petition.status == "live")
                                       & (Petition.closes_at.is_null() | (Petition.closes_at > clock.now())))
        popular = list(live.order_by(Petition.signature_count.desc(), Petition.id.desc()).limit(HOME_SECTION))
        closing = list(live.where(Petition.closes_at.is_null(False))
                       .order_by(Petition.closes_at.asc(), Petition.id).limit(HOME_SECTION))
        answered = list(Petition.public().where(Petition.status == "completed")
                        .order_by(Petition.updated_at.desc(), Petition.id.desc()).limit(HOME_SECTION))
        return self.render_string("home.html", popular=popular, closing=closing, answered=answered,
                                  open_count=live.count())


class SearchHandler(BaseHandler):
    """/petitions?q=&status=&organisation=: every public petition, full-text ranked (models/search.py)."""

    def get(self):
        q = self.get_argument("q", "").strip()[:200]
        status = self.get_argument("status", "")
        status = status if status in search.STATUS_GROUPS else ""
        organisation_key = self.get_argument("organisation", "").strip()[:100]
        organisation = None
        if organisation_key:
            try:
                organisation = Organisation.by_slug_or_id(organisation_key)
            except NotFound:
                organisation = None
        query, ranked = search.search_public(q, status, organisation)
        page = paginate(query, _page_number(self), PER_PAGE)
        filters = {"q": q, "status": status, "organisation": organisation.slug if organisation else ""}
        base_query = urlencode({k: v for k, v in filters.items() if v})
        self.render("search.html", page=page, filters=filters, ranked=ranked, groups=search.STATUS_GROUPS,
                    organisations=list(search.organisations_with_public_petitions()),
                    base_query=base_query + "&" if base_query else "")


def visible_petition(handler, slug):
    """A petition the visitor may see: public ones; drafts only for those who work on them."""
    try:
        petition = Petition.by_key(slug)
    except NotFound:
        raise tornado.web.HTTPError(404)
    if petition.is_public:
        return petition
    user = handler.current_user
    if user and not petition.hidden and roles_of(Actor.for_user(user), petition) & {"petitioner", "moderator", "clerk"}:
        return petition
    if user and user.is_admin:
        return petition
    raise tornado.web.HTTPError(404)


class PetitionHandler(CachedPageMixin, BaseHandler):
    def get(self, slug):
        if self.may_use_page_cache():
            # signed-out visitors: the public page, rendered at most once per micro-cache bound
            return self.cached_page(("petition", slug),
                                    lambda: self.page(visible_petition(self, slug), SignForm(formdata=None)))
        petition = visible_petition(self, slug)
        self.show(petition, SignForm(formdata=None))

    def show(self, petition, form, status=200):
        self.set_status(status)
        self.finish(self.page(petition, form))

    def page(self, petition, form):
        recent = (signatures.confirmed_signers(petition).where(signatures.Signature.show_name == True)  # noqa: E712
                  .order_by(signatures.Signature.confirmed_at.desc()).limit(10))
        reason = None
        if not petition.is_signable:
            try:
                signatures.check_signable(petition)
            except NotSignable as error:
                reason = error.message
        return self.render_string("petition.html", petition=petition, form=form, response=response_for(petition),
                                  recent=list(recent), not_signable_reason=reason,
                                  per_day=chart.signatures_per_day(petition))


class SignHandler(PetitionHandler):
    async def post(self, slug):
        petition = visible_petition(self, slug)
        try:
            await ratelimit.admit_signer(self)  # per client address: every attempt counts
        except ratelimit.SigningTooFast as error:
            return self.too_fast(error)
        form = SignForm(self.form_data())
        if not petition.is_signable:
            return self.show(petition, form, status=403)
        fields = dict(full_name=form.full_name.data, email=form.email.data, city=form.city.data,
                      comment=form.comment.data)
        try:
            if not form.validate():  # the terms box: show every other message too, store nothing
                signatures.validate(**fields)
                return self.show(petition, form, status=400)
            email = signatures.validate(**fields)["email"]
            # Past the mail limits of this address nothing is stored or sent, and the visitor sees the
            # same "check your mail" page: the page never tells whether an address signed.
            result = None
            if await ratelimit.mail_refusal(self, email, petition.id) is None:
                # the signer's mails are in the language of the page they signed on
                result = await signatures.submit_async(petition, show_name=form.show_name.data,
                                                       wants_notice=form.wants_notice.data, source="web",
                                                       language=i18n.html_lang(self.locale), **fields)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(petition, form, status=400)
        except NotSignable:
            return self.show(petition, form, status=403)
        if result is not None:
            # which signature "send the mail again" is about (signed, for one day; no address in it)
            self.set_signed_cookie(PENDING_COOKIE, f"{petition.id}:{result.signature.id}", expires_days=1,
                                   httponly=True, samesite="Lax", secure=self.request.protocol == "https")
        self.redirect(f"/petitions/{petition.slug}/signed", status=303)

    def too_fast(self, error):
        minutes = max(1, -(-error.retry_after // 60))
        self.set_status(429)
        self.set_header("Retry-After", str(error.retry_after))
        self.render("error.html", status_code=429, fields={},
                    message=self.locale.translate(ratelimit.SIGNING_TOO_FAST_PAGE) % {"minutes": minutes})


PENDING_COOKIE = "pending_signature"


class ChartHandler(BaseHandler):
    """/petitions/<slug>/chart.svg: signatures per day (the page has the same figures as a table)."""

    def get(self, slug):
        petition = visible_petition(self, slug)
        rows = chart.signatures_per_day(petition)
        self.set_header("Content-Type", "image/svg+xml; charset=UTF-8")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(chart.svg(rows, self.locale.translate("Confirmed signatures per day")))


class SignedHandler(BaseHandler):
    """Check your mail; "send the confirmation mail again" (POST …/resend, limited per signature)."""

    def get(self, slug):
        petition = visible_petition(self, slug)
        self.render("signed.html", petition=petition, can_resend=self.pending(petition) is not None,
                    resent=self.get_argument("resent", "") == "1", problem=None)

    def pending(self, petition):
        raw = self.get_signed_cookie(PENDING_COOKIE, max_age_days=1)
        try:
            petition_id, signature_id = (int(part) for part in (raw or b"").decode().split(":"))
        except ValueError:
            return None
        return signature_id if petition_id == petition.id else None

    def post(self, slug):
        petition = visible_petition(self, slug)
        signature_id = self.pending(petition)
        if signature_id is None:
            self.set_status(400)
            return self.render("signed.html", petition=petition, can_resend=False, resent=False,
                               problem=self.locale.translate("We do not know which signature to send again from "
                                                             "this browser: sign the petition again with the same "
                                                             "address to get a new link."))
        try:
            signatures.resend(signature_id, petition)
        except (signatures.TooManyResends, NotSignable, NotFound) as error:
            self.set_status(error.status)
            return self.render("signed.html", petition=petition, can_resend=error.status == 429, resent=False,
                               problem=self.locale.translate(error.message))
        self.redirect(f"/petitions/{petition.slug}/signed?resent=1", status=303)


class ConfirmHandler(BaseHandler):
    """GET shows a button; only the POST confirms (mail scanners follow links)."""

    def get(self, token):
        try:
            signature = signatures.find_by_token(token)
        except NotFound as error:
            return self.problem(error.message, 404)
        petition = signature.petition
        if signature.confirmed_at is not None:
            return self.render("confirmed.html", petition=petition, newly=False)
        problem = signatures.confirmable(signature, petition)
        if problem:
            return self.problem(problem, 410)
        self.set_header("X-Robots-Tag", "noindex")
        self.set_header("Referrer-Policy", "no-referrer")
        self.render("confirm.html", petition=petition, signature=signature)

    def post(self, token):
        try:
            result = signatures.confirm(token)
        except (NotFound, signatures.LinkExpired) as error:
            return self.problem(error.message, error.status)
        self.render("confirmed.html", petition=result.petition, newly=result.newly_confirmed)

    def problem(self, message, status):
        self.set_status(status)
        self.render("link_problem.html", message=message)


class OrganisationsHandler(BaseHandler):
    def get(self):
        rows = []
        for organisation in Organisation.select().order_by(Organisation.name):
            count = Petition.public().where(Petition.organisation == organisation).count()
            rows.append((organisation, count))
        self.render("organisations.html", rows=rows)


class OrganisationHandler(BaseHandler):
    def get(self, slug):
        try:
            organisation = Organisation.by_slug_or_id(slug)
        except NotFound:
            raise tornado.web.HTTPError(404)
        query = (Petition.public().where(Petition.organisation == organisation)
                 .order_by(Petition.opens_at.desc(), Petition.id.desc()))
        self.render("organisation.html", organisation=organisation,
                    page=paginate(query, _page_number(self), PER_PAGE))


class AnsweredHandler(BaseHandler):
    def get(self):
        query = (Petition.public().where(Petition.status == "completed")
                 .order_by(Petition.updated_at.desc(), Petition.id.desc()))
        self.render("answered.html", page=paginate(query, _page_number(self), PER_PAGE))


class SitemapHandler(BaseHandler):
    def get(self):
        self.set_header("Content-Type", "application/xml; charset=UTF-8")
        self.render("sitemap.xml", base_url=self.settings_.base_url,
                    organisations=Organisation.select().order_by(Organisation.slug),
                    petitions=Petition.public().order_by(Petition.id))


def _page_number(handler):
    value = handler.get_argument("page", "1")
    return page_number(value)

