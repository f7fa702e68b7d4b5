from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import InputRequired

from forms import BaseForm
from models.i18n import N_


class SignForm(BaseForm):
    full_name = StringField(N_("Full name"), description=N_("At least an initial and a surname, like 'J. Smith'."))
    email = EmailField(N_("Email address"), description=N_("We send you a link to confirm your signature."))
    city = StringField(N_("City (optional)"))
    show_name = BooleanField(N_("Show my name publicly on this petition"))
    comment = TextAreaField(N_("Comment (optional)"), description=N_("At most 1000 characters."))
    wants_notice = BooleanField(N_("Tell me by email when this petition is answered"))
    accept_terms = BooleanField(N_("I agree to the terms and the privacy notice"),
                                validators=[InputRequired(N_("Tick this box to sign: the terms must be accepted."))])
