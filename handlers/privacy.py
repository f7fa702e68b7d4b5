"""Signers' and account holders' rights: withdrawing a signature, "what do you hold about me",
the account page (sessions, sign out everywhere), the account's data export and deletion.

The rules are in models/privacy.py and models/session.py; these handlers parse, call, render.
"""
import json


from forms.privacy import DeleteAccountForm, SignerDataForm
from handlers.base import BaseHandler
from models import privacy, session
from models.errors import InvalidInput, NotAllowed, NotFound


class NoReferrerHandler(BaseHandler):
    def set_default_headers(self):
        super().set_default_headers()
        # Withdrawal links carry a secret in their address: never in a Referer header.
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Robots-Tag", "noindex")

    def notice(self, title, message, status=200):
        self.set_status(status)
        self.render("accounts/notice.html", title=title, message=message)


class WithdrawHandler(NoReferrerHandler):
    """GET shows what would be withdrawn and a button; only the POST withdraws (mail scanners)."""

    def get(self, token):
        _ = self.locale.translate
        try:
            signature = privacy.signature_for_withdrawal(token)
        except NotFound as error:
            return self.notice(_("This link does not work"), _(error.message), status=404)
        petition = signature.petition
        problem = privacy.withdrawable(signature, petition)
        self.render("privacy/withdraw.html", signature=signature, petition=petition,
                    problem=_(problem) if problem else None)

    def post(self, token):
        _ = self.locale.translate
        try:
            petition = privacy.withdraw(token)
        except NotFound as error:
            return self.notice(_("This link does not work"), _(error.message), status=404)
        except NotAllowed as error:
            return self.notice(_("This signature can no longer be withdrawn"), _(error.message), status=409)
        self.render("privacy/withdrawn.html", petition=petition)


class SignerDataHandler(NoReferrerHandler):
    """A signer asks what we hold under an address; the list goes to that address only."""

    def get(self):
        self.render("privacy/signer_data.html", form=SignerDataForm(formdata=None), sent=False,
                    periods=privacy.periods())

    def post(self):
        form = SignerDataForm(self.form_data())
        try:
            if not form.validate():
                raise InvalidInput({})
            privacy.request_signer_data(form.email.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("privacy/signer_data.html", form=form, sent=False, periods=privacy.periods())
        self.render("privacy/signer_data.html", form=SignerDataForm(formdata=None), sent=True,
                    periods=privacy.periods())


class AccountHandler(BaseHandler):
    """The account page: password, sessions and sign out everywhere, export, deletion."""

    def get(self):
        user = self.require_user()
        self.render("privacy/account.html", user=user, sessions=session.open_sessions(user),
                    form=DeleteAccountForm(formdata=None), signed_out=self.get_argument("signed_out", "") == "1")


class SignOutEverywhereHandler(BaseHandler):
    def post(self):
        user = self.require_user()
        session.end_all(user)
        self.clear_cookie("session")
        self.renew_xsrf_token()
        self.redirect("/signin", status=303)


class AccountExportHandler(BaseHandler):
    def get(self):
        user = self.require_user()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Content-Disposition", 'attachment; filename="my-petitions-account.json"')
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(privacy.account_export(user), ensure_ascii=False, indent=2))


class DeleteAccountHandler(BaseHandler):
    def post(self):
        user = self.require_user()
        form = DeleteAccountForm(self.form_data())
        try:
            if not form.validate():
                raise InvalidInput({})
            privacy.delete_account(user, form.password.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            form.password.data = ""
            self.set_status(400)
            return self.render("privacy/account.html", user=user, sessions=session.open_sessions(user), form=form,
                               signed_out=False)
        self.clear_cookie("session")
        self.renew_xsrf_token()
        self._current_user = None
        _ = self.locale.translate
        self.set_status(200)
        self.render("accounts/notice.html", title=_("Your account is deleted"),
                    message=_("Your name, address and password are gone. Petitions you started stay, "
                              "shown as started by a former user."))


__all__ = ["WithdrawHandler", "SignerDataHandler", "AccountHandler", "SignOutEverywhereHandler",
           "AccountExportHandler", "DeleteAccountHandler"]
