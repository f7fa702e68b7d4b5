"""Pages for API users: /user/api-tokens (create, list, revoke keys) and a petition's API settings."""
import tornado.web

from wtforms import SelectChoice

from forms.api import ApiKeyForm, ApiSettingsForm
from handlers.base import BaseHandler
from models import api
from models.apikey import ApiKey, revoke
from models.errors import InvalidInput, NotFound
from models.organisation import Organisation
from models.petition import Petition
from models.i18n import N_


def organisation_choices(user):
    """Organisations the user may create keys for: those they work for (site admins: all)."""
    query = Organisation.select().order_by(Organisation.name)
    if not user.is_admin:
        query = query.where(Organisation.id.in_(list(user.organisation_ids()) or [0]))
    return list(query)


class ApiTokensHandler(BaseHandler):
    def get(self):
        user = self.require_user()
        self.show(user, self.make_form(user, None))

    def post(self):
        user = self.require_user()
        form = self.make_form(user, self.form_data())
        organisations = {str(o.id): o for o in organisation_choices(user)}
        organisation = None
        try:
            if form.organisation.data:
                organisation = organisations.get(form.organisation.data)
                if organisation is None:
                    raise InvalidInput({"organisation": N_("Choose one of the organisations you work for.")})
            key, token = api.issue_key(user, form.name.data, form.scopes.data or [], organisation=organisation,
                                       is_test=form.is_test.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(user, form, status=422)
        self.set_header("Cache-Control", "no-store")
        self.show(user, self.make_form(user, None), new_key=key, token=token, status=201)

    def make_form(self, user, formdata):
        form = ApiKeyForm(formdata)
        form.organisation.choices = [SelectChoice("", "none")] + [SelectChoice(str(o.id), o.name)
                                                          for o in organisation_choices(user)]
        return form

    def show(self, user, form, new_key=None, token=None, status=200):
        self.set_status(status)
        petitions = (Petition.select().where(Petition.lead_petitioner == user)
                     .order_by(Petition.created_at.desc()).limit(50))
        self.render("api/tokens.html", form=form, keys=list(api.keys_of(user)), new_key=new_key, token=token,
                    petitions=list(petitions))


class RevokeTokenHandler(BaseHandler):
    def post(self, key_id):
        user = self.require_user()
        key = ApiKey.get_or_none((ApiKey.id == int(key_id)) & (ApiKey.user == user))
        if key is None:
            raise tornado.web.HTTPError(404)
        revoke(key)
        self.redirect("/user/api-tokens?revoked=" + key.prefix, status=303)


class ApiSettingsHandler(BaseHandler):
    """A petition's 'Advanced settings: API and visibility' (lead petitioner, clerks, admins)."""

    def load(self, name):
        self.require_user()
        try:
            petition = api.petition_by_key(name)
        except NotFound:
            raise tornado.web.HTTPError(404)
        self.require_roles(petition, api.SETTINGS_ROLES)
        return petition

    def get(self, name):
        petition = self.load(name)
        form = ApiSettingsForm(formdata=None, api_enabled=petition.api_enabled,
                               allowed_domains=petition.allowed_domains, hidden=petition.hidden)
        self.show(petition, form, saved=self.get_argument("saved", None) == "1")

    def post(self, name):
        petition = self.load(name)
        form = ApiSettingsForm(self.form_data())
        try:
            api.update_api_settings(petition, self.actor, api_enabled=form.api_enabled.data,
                                    allowed_domains=form.allowed_domains.data, hidden=form.hidden.data)
        except api.DomainLinesInvalid as error:
            form.allowed_domains.errors = list(error.lines)
            return self.show(petition, form, status=422)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(petition, form, status=422)
        self.redirect(f"/petitions/{petition.slug}/api-settings?saved=1", status=303)

    def show(self, petition, form, saved=False, status=200):
        self.set_status(status)
        self.render("api/settings.html", petition=petition, form=form, saved=saved)
