"""Site admin: organisations (create, edit, members and roles, invitations), users (moderator and
admin flags) and hiding petitions. Organisation managers use the members page of their own
organisation too. The rules are in models/account.py and models/petitioning.py."""
import tornado.web

from forms.admin import InviteForm, OrganisationForm, RoleForm, UserFlagsForm
from forms.petition import HideForm
from handlers.accounts import PageHandler
from handlers.moderation import ModerationHandler
from models import account, i18n, petitioning
from models.audit import AuditEvent
from models.errors import InvalidInput, NotFound
from models.i18n import N_
from models.numbers import page_number
from models.organisation import Organisation
from models.pagination import paginate
from models.petition import Petition, status_counts
from models.user import Membership, User


def _page_number(handler):
    value = handler.get_argument("page", "1")
    return page_number(value)


class AdminHandler(PageHandler):
    def require_admin(self):
        user = self.require_user()
        if not user.is_admin:
            raise tornado.web.HTTPError(403, reason=N_("This page is for site admins."))
        return user

    def organisation(self, key):
        try:
            return account.find_organisation(key)
        except NotFound:
            raise tornado.web.HTTPError(404)


class DashboardHandler(AdminHandler):
    def get(self):
        self.require_admin()
        recent = (AuditEvent.select().where(AuditEvent.petition_id.is_null())
                  .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(30))
        self.render("admin/dashboard.html", organisations=Organisation.select().count(), users=User.select().count(),
                    hidden=petitioning.hidden_petitions().count(), counts=status_counts(Petition.select()),
                    recent=list(recent))


class OrganisationsHandler(AdminHandler):
    def get(self):
        self.require_admin()
        rows = []
        for organisation in Organisation.select().order_by(Organisation.name):
            members = Membership.select().where(Membership.organisation == organisation).count()
            petitions = Petition.select().where(Petition.organisation == organisation).count()
            rows.append((organisation, members, petitions))
        self.render("admin/organisations.html", rows=rows)


class NewOrganisationHandler(AdminHandler):
    def get(self):
        self.require_admin()
        self.render("admin/organisation.html", form=OrganisationForm(formdata=None), organisation=None)

    def post(self):
        admin = self.require_admin()
        form = OrganisationForm(self.form_data())
        try:
            organisation = account.create_organisation_for(admin, form.values(), slug=form.slug.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("admin/organisation.html", form=form, organisation=None)
        self.redirect(f"/admin/organisations/{organisation.slug}/members", status=303)


class OrganisationHandler(AdminHandler):
    def get(self, key):
        self.require_admin()
        organisation = self.organisation(key)
        form = OrganisationForm(formdata=None, obj=organisation)
        self.render("admin/organisation.html", form=form, organisation=organisation, saved=False)

    def post(self, key):
        admin = self.require_admin()
        organisation = self.organisation(key)
        form = OrganisationForm(self.form_data())
        try:
            organisation = account.update_organisation(admin, organisation, form.values())
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("admin/organisation.html", form=form, organisation=organisation, saved=False)
        self.render("admin/organisation.html", form=OrganisationForm(formdata=None, obj=organisation),
                    organisation=organisation, saved=True)


DONE = {"invite": N_("invitation sent"), "role": N_("role changed"), "remove": N_("member removed"),
        "cancel": N_("invitation cancelled")}


class MembersHandler(AdminHandler):
    """Members, roles and invitations of one organisation: for admins and its managers."""

    def managed(self, key):
        user = self.require_user()
        organisation = self.organisation(key)
        account.require_member_manager(user, organisation)
        return user, organisation

    def get(self, key):
        _, organisation = self.managed(key)
        self.show(organisation)

    def show(self, organisation, status=200, invite_form=None, message=None):
        members = (Membership.select(Membership, User).join(User)
                   .where(Membership.organisation == organisation).order_by(User.name))
        self.set_status(status)
        self.render("admin/members.html", organisation=organisation, members=list(members),
                    invitations=list(account.open_invitations(organisation)),
                    invite_form=invite_form or InviteForm(formdata=None), message=message,
                    flash=DONE.get(self.get_argument("done", ""), ""))

    def post(self, key, action, target=None):
        user, organisation = self.managed(key)
        try:
            if action == "invite":
                form = InviteForm(self.form_data())
                try:
                    account.invite(user, organisation, form.email.data, form.role.data)
                except InvalidInput as error:
                    form.add_domain_errors(error)
                    return self.show(organisation, status=400, invite_form=form)
            elif action == "role":
                account.change_member_role(user, organisation, int(target), RoleForm(self.form_data()).role.data)
            elif action == "remove":
                account.remove_member(user, organisation, int(target))
            elif action == "cancel":
                account.cancel_invitation(user, organisation, int(target))
        except InvalidInput as error:
            return self.show(organisation, status=400,
                             message=" ".join(i18n.word(self.locale, text) for text in error.fields.values()))
        self.redirect(f"/admin/organisations/{organisation.slug}/members?done={action}", status=303)


class MemberHandler(MembersHandler):
    """POST .../members/{user id}/(role|remove) and .../invitations/{id}/cancel."""

    def post(self, key, target, action):
        return super().post(key, action, target)


class UsersHandler(AdminHandler):
    def get(self):
        self.require_admin()
        q = self.get_argument("q", "").strip()[:200]
        query = User.select().order_by(User.name, User.id)
        if q:
            query = query.where(User.email.contains(q.lower()) | User.name.contains(q))
        self.render("admin/users.html", page=paginate(query, _page_number(self), 50), q=q)


class UserFlagsHandler(AdminHandler):
    def post(self, user_id):
        admin = self.require_admin()
        user = User.get_or_none(User.id == int(user_id))
        if user is None:
            raise tornado.web.HTTPError(404)
        form = UserFlagsForm(self.form_data())
        account.set_user_flags(admin, user, is_admin=form.is_admin.data, is_moderator=form.is_moderator.data)
        self.redirect("/admin/users", status=303)


class ApiKeysHandler(AdminHandler):
    """Every live key with a create scope; admins mark partner keys (which sign every API-enabled
    petition, not only their owner's or organisation's)."""

    def get(self):
        from models.apikey import ApiKey

        self.require_admin()
        query = (ApiKey.select(ApiKey, User).join(User)
                 .where(ApiKey.revoked_at.is_null() & (ApiKey.is_test == False))  # noqa: E712
                 .order_by(ApiKey.is_partner.desc(), ApiKey.created_at.desc(), ApiKey.id.desc()))
        self.render("admin/api_keys.html", page=paginate(query, _page_number(self), 50))


class PartnerKeyHandler(AdminHandler):
    def post(self, key_id):
        from models.apikey import ApiKey, set_partner

        admin = self.require_admin()
        key = ApiKey.get_or_none(ApiKey.id == int(key_id))
        if key is None:
            raise tornado.web.HTTPError(404)
        set_partner(key, self.get_body_argument("partner", "") == "1", actor=self.actor)
        self.redirect("/admin/api-keys", status=303)


class PetitionsHandler(AdminHandler):
    """Every petition, hidden ones first when asked: where admins find what to hide or show."""

    def get(self):
        self.require_admin()
        q = self.get_argument("q", "").strip()[:200]
        only_hidden = self.get_argument("hidden", "") == "1"
        query = petitioning.hidden_petitions() if only_hidden else Petition.select().order_by(Petition.id.desc())
        query = Petition.search(query, q)
        page = paginate(query, _page_number(self), 50)
        events = {p.id: petitioning.hidden_event(p) for p in page.items if p.hidden}
        self.render("admin/petitions.html", page=page, q=q, only_hidden=only_hidden, events=events)


class HideHandler(AdminHandler, ModerationHandler):
    """POST /admin/petitions/{id}/(hide|unhide) with a reason; errors re-render the moderation page."""

    def post(self, key, action):
        self.require_admin()
        try:
            petition = Petition.by_key(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        form = HideForm(self.form_data())
        try:
            if action == "hide":
                petitioning.hide(petition, self.actor, form.reason.data)
            else:
                petitioning.unhide(petition, self.actor, form.reason.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(petition, status=400, hide_form=form)
        self.redirect(f"/moderation/{petition.id}", status=303)
