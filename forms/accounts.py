"""Forms of the account pages. Length and strength rules live in models/user.py and models/account.py."""
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms import BaseForm
from models.i18n import N_


class SignInForm(BaseForm):
    email = EmailField(N_("Email address"), validators=[InputRequired(N_("Give your email address."))])
    password = PasswordField(N_("Password"), validators=[InputRequired(N_("Give your password."))])
    next = HiddenField()


class SignUpForm(BaseForm):
    # No validators here: models/account.sign_up() checks every field and says what to fix.
    name = StringField(N_("Your name"))
    email = EmailField(N_("Email address"), description=N_("We send you a link to confirm it."))
    password = PasswordField(N_("Password"), description=N_("At least 8 characters."))


class ResetRequestForm(BaseForm):
    email = EmailField(N_("Email address"), validators=[InputRequired(N_("Give your email address."))])


class NewPasswordForm(BaseForm):
    password = PasswordField(N_("New password"), validators=[InputRequired(N_("Choose a password."))],
                             description=N_("At least 8 characters."))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(N_("Current password"),
                                     validators=[InputRequired(N_("Give your current password."))])
    new_password = PasswordField(N_("New password"), validators=[InputRequired(N_("Choose a new password."))],
                                 description=N_("At least 8 characters. Changing it signs you out everywhere else."))


class AcceptInvitationForm(BaseForm):
    name = StringField(N_("Your name"), validators=[InputRequired(N_("Give your name.")),
                                                    Length(max=255, message=N_("Use at most 255 characters."))])
    password = PasswordField(N_("Password"), validators=[InputRequired(N_("Choose a password."))],
                             description=N_("At least 8 characters."))
