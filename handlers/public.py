"""Public pages: open petitions, a petition with its sign form, confirmation, organisations, sitemap."""
import tornado.web

from forms.signature import SignForm
from handlers import ratelimit
from handlers.base import BaseHandler
from models import signature as signatures
from models.audit import Actor
from models.errors import InvalidInput, NotFound, NotSignable
from models.numbers import page_number
from models.organisation import Organisation
from models.pagination import paginate
from models.petition import Petition, roles_of
from models.response import response_for

PER_PAGE = 20


class HomeHandler(BaseHandler):
    def get(self):
        q = self.get_argument("q", "").strip()[:200]
        query = Petition.search(Petition.public().where(Petition.status == "live"), q)
        page = paginate(query.order_by(Petition.opens_at.desc(), Petition.id.desc()), _page_number(self), PER_PAGE)
        self.render("home.html", page=page, q=q)


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


class PetitionHandler(BaseHandler):
    def get(self, slug):
        petition = visible_petition(self, slug)
        self.show(petition, SignForm(formdata=None))

    def show(self, petition, form, status=200):
        recent = (signatures.confirmed_signers(petition).where(signatures.Signature.show_name == True)  # noqa: E712
                  .order_by(signatures.Signature.confirmed_at.desc()).limit(10))
        reason = None
        if not petition.is_signable:
            try:
                signatures.check_signable(petition)
            except NotSignable as error:
                reason = error.message
        self.set_status(status)
        self.render("petition.html", petition=petition, form=form, response=response_for(petition),
                    recent=list(recent), not_signable_reason=reason)


class SignHandler(PetitionHandler):
    def post(self, slug):
        petition = visible_petition(self, slug)
        try:
            ratelimit.admit_signer(self)  # per client address: every attempt counts
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
            if ratelimit.mail_refusal(self, email, petition.id) is None:
                signatures.submit(petition, show_name=form.show_name.data, wants_notice=form.wants_notice.data,
                                  source="web", **fields)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(petition, form, status=400)
        except NotSignable:
            return self.show(petition, form, status=403)
        self.redirect(f"/petitions/{petition.slug}/signed", status=303)


    def too_fast(self, error):
        minutes = max(1, -(-error.retry_after // 60))
        self.set_status(429)
        self.set_header("Retry-After", str(error.retry_after))
        self.render("error.html", status_code=429, fields={},
                    message=self.locale.translate(ratelimit.SIGNING_TOO_FAST_PAGE) % {"minutes": minutes})


class SignedHandler(BaseHandler):
    def get(self, slug):
        self.render("signed.html", petition=visible_petition(self, slug))


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

