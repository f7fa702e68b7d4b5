from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import InputRequired

from forms import BaseForm


class SignForm(BaseForm):
    full_name = StringField("Full name", description="At least an initial and a surname, like 'J. Smith'.")
    email = EmailField("Email address", description="We send you a link to confirm your signature.")
    city = StringField("City (optional)")
    show_name = BooleanField("Show my name publicly on this petition")
    comment = TextAreaField("Comment (optional)", description="At most 1000 characters.")
    wants_notice = BooleanField("Tell me by email when this petition is answered")
    accept_terms = BooleanField("I agree to the terms and the privacy notice",
                                validators=[InputRequired("Tick this box to sign: the terms must be accepted.")])
