"""Forms of the account pages. Length and strength rules live in models/user.py and models/account.py."""
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms import BaseForm


class SignInForm(BaseForm):
    email = EmailField("Email address", validators=[InputRequired("Give your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Give your password.")])
    next = HiddenField()


class SignUpForm(BaseForm):
    # No validators here: models/account.sign_up() checks every field and says what to fix.
    name = StringField("Your name")
    email = EmailField("Email address", description="We send you a link to confirm it.")
    password = PasswordField("Password", description="At least 8 characters.")


class ResetRequestForm(BaseForm):
    email = EmailField("Email address", validators=[InputRequired("Give your email address.")])


class NewPasswordForm(BaseForm):
    password = PasswordField("New password", validators=[InputRequired("Choose a password.")],
                             description="At least 8 characters.")


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("Current password", validators=[InputRequired("Give your current password.")])
    new_password = PasswordField("New password", validators=[InputRequired("Choose a new password.")],
                                 description="At least 8 characters. Changing it signs you out everywhere else.")


class AcceptInvitationForm(BaseForm):
    name = StringField("Your name", validators=[InputRequired("Give your name."), Length(max=255)])
    password = PasswordField("Password", validators=[InputRequired("Choose a password.")],
                             description="At least 8 characters.")
