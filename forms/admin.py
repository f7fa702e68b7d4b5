"""Admin forms: organisations, user flags, member roles. models/account.py validates the values."""
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField

from forms import BaseForm
from forms.petition import choices
from models.organisation import KINDS, ROLES


class OrganisationForm(BaseForm):
    name = StringField("Name")
    slug = StringField("Address name (slug)", description="Lower-case letters, digits and dashes; made from the "
                                                         "name when empty. It cannot be changed later.")
    kind = SelectField("Kind", choices=choices([(k, k) for k in KINDS]), default="council", validate_choice=False)
    contact_email = EmailField("Contact email (optional)", description="Also told when a petition to it closes.")
    description = TextAreaField("Description (optional)")
    answer_period_days = StringField("Answer period (days)", default="90",
                                     description="Default time to answer after the handover.")
    signature_threshold = StringField("Signature threshold", default="1000",
                                      description="Signatures at which the organisation promises a response.")

    def values(self):
        return {name: getattr(self, name).data for name in
                ("name", "kind", "contact_email", "description", "answer_period_days", "signature_threshold")}


class UserFlagsForm(BaseForm):
    is_moderator = BooleanField("Moderator")
    is_admin = BooleanField("Site admin")


class RoleForm(BaseForm):
    role = SelectField("Role", choices=choices([(r, r) for r in ROLES]), validate_choice=False)


class InviteForm(BaseForm):
    email = EmailField("Email address")
    role = SelectField("Role", choices=choices([(r, r) for r in ROLES]), default="clerk", validate_choice=False)
