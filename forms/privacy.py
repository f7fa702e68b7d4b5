"""Forms of the privacy pages: the signers' data request and deleting one's account."""
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired

from forms import BaseForm
from models.i18n import N_


class SignerDataForm(BaseForm):
    email = EmailField(N_("Email address"), validators=[InputRequired(N_("Give your email address."))],
                       description=N_("We mail the list to this address, so only its owner can read it."))


class DeleteAccountForm(BaseForm):
    password = PasswordField(N_("Your password"), validators=[InputRequired(N_("Give your password."))],
                             description=N_("Deleting cannot be undone."))
