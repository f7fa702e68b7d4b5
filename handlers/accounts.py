"""Sign-in and sign-out, sign-up with email confirmation, password reset, invitations, password change.

The rules (throttling, token lifetimes, password strength) are in models/account.py; these
handlers parse the forms, call one domain function and render.
"""


from forms.accounts import (AcceptInvitationForm, ChangePasswordForm, NewPasswordForm, ResetRequestForm, SignInForm,
                            SignUpForm)
from handlers.base import BaseHandler
from models import account
from models.i18n import N_
from models.errors import InvalidInput, NotAllowed


class PageHandler(BaseHandler):
    """BaseHandler for the account, petitioner, moderation and admin pages."""


class AccountHandler(PageHandler):
    def notice(self, title, message, status=200):
        self.set_status(status)
        self.render("accounts/notice.html", title=title, message=message)

    def link_problem(self, error):
        self.notice(N_("This link does not work"), error.message, status=error.status)

    def set_default_headers(self):
        super().set_default_headers()
        # Pages with secrets in their address must not leak them through the Referer header.
        self.set_header("Referrer-Policy", "no-referrer")


class SignInHandler(AccountHandler):
    def get(self):
        form = SignInForm(formdata=None, next=self.get_argument("next", ""))
        self.render("accounts/signin.html", form=form, message=None)

    def post(self):
        form = SignInForm(self.form_data())
        if not form.validate():
            return self.show(form, 400)
        try:
            user = account.authenticate(form.email.data, form.password.data, self.client_address)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(form, 400)
        except (account.TooManyAttempts, NotAllowed) as error:
            return self.show(form, error.status, message=error.message)
        self.start_session(user)
        self.redirect_to_next("/workspace" if user.memberships.count() else "/")  # members land on their work

    def show(self, form, status, message=None):
        form.password.data = ""  # never echo a password back
        self.set_status(status)
        self.render("accounts/signin.html", form=form, message=message)

    def redirect(self, url, permanent=False, status=None):
        super().redirect(url, permanent=permanent, status=status or 303)


class SignOutHandler(PageHandler):
    def post(self):
        self.end_session()
        self.redirect("/", status=303)


class SignUpHandler(AccountHandler):
    def get(self):
        self.render("accounts/signup.html", form=SignUpForm(formdata=None))

    def post(self):
        form = SignUpForm(self.form_data())
        try:
            account.sign_up(form.email.data, form.name.data, form.password.data, language=self.locale.code)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(form)
        self.notice(N_("Check your mail"), N_("We have sent a mail to the address you gave. Open the link in it to "
                    "confirm your address; then you can sign in and start a petition."))

    def show(self, form):
        form.password.data = ""
        self.set_status(400)
        self.render("accounts/signup.html", form=form)


class ConfirmEmailHandler(AccountHandler):
    """GET shows a button; only the POST confirms (mail scanners follow links)."""

    def get(self, token):
        try:
            user = account.check_confirmation_token(token)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        self.render("accounts/confirm_email.html", user=user)

    def post(self, token):
        try:
            user = account.confirm_email(token)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        self.start_session(user)
        self.redirect("/my/petitions", status=303)


class ResetRequestHandler(AccountHandler):
    def get(self):
        self.render("accounts/reset_request.html", form=ResetRequestForm(formdata=None))

    def post(self):
        form = ResetRequestForm(self.form_data())
        try:
            if not form.validate():
                raise InvalidInput({})
            account.request_password_reset(form.email.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("accounts/reset_request.html", form=form)
        self.notice(N_("Check your mail"), N_("If an account has this address, we have sent it a link to choose a new "
                    "password. The link works once, for one hour."))


class ResetHandler(AccountHandler):
    def get(self, token):
        try:
            user = account.check_reset_token(token)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        self.render("accounts/reset.html", form=NewPasswordForm(formdata=None), user=user)

    def post(self, token):
        form = NewPasswordForm(self.form_data())
        try:
            user = account.check_reset_token(token)
            if not form.validate():
                raise InvalidInput({})
            user = account.reset_password(token, form.password.data)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        except InvalidInput as error:
            form.add_domain_errors(error)
            form.password.data = ""
            self.set_status(400)
            return self.render("accounts/reset.html", form=form, user=user)
        self.start_session(user)
        self.redirect("/my/petitions", status=303)


class InvitationHandler(AccountHandler):
    def get(self, token):
        try:
            invitation = account.find_invitation(token)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        self.show(invitation, AcceptInvitationForm(formdata=None))

    def show(self, invitation, form, status=200):
        from models.user import User

        existing = User.get_or_none(User.email == invitation.email)
        self.set_status(status)
        self.render("accounts/invitation.html", invitation=invitation, form=form,
                    has_account=bool(existing and existing.password_hash))

    def post(self, token):
        form = AcceptInvitationForm(self.form_data())
        try:
            invitation = account.find_invitation(token)
            user = account.accept_invitation(token, name=form.name.data, password=form.password.data)
        except account.LinkInvalid as error:
            return self.link_problem(error)
        except InvalidInput as error:
            form.add_domain_errors(error)
            form.password.data = ""
            return self.show(invitation, form, status=400)
        self.start_session(user)
        self.redirect("/workspace", status=303)


class PasswordHandler(AccountHandler):
    """Change one's own password while signed in (signs out every other session)."""

    def get(self):
        self.require_user()
        self.render("accounts/password.html", form=ChangePasswordForm(formdata=None), done=False)

    def post(self):
        user = self.require_user()
        form = ChangePasswordForm(self.form_data())
        try:
            if not form.validate():
                raise InvalidInput({})
            account.change_password(user, form.current_password.data, form.new_password.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            form.current_password.data = form.new_password.data = ""
            self.set_status(400)
            return self.render("accounts/password.html", form=form, done=False)
        self.start_session(user)  # this browser stays signed in with the new generation
        self.render("accounts/password.html", form=ChangePasswordForm(formdata=None), done=True)
