"""Admin forms: organisations, user flags, member roles. models/account.py validates the values."""
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField

from forms import BaseForm
from models.i18n import N_
from forms.petition import choices, language_choices
from models.i18n import LANGUAGES as INTERFACE_LANGUAGES
from models.organisation import KIND_LABELS, KINDS, ROLE_LABELS, ROLES


class OrganisationForm(BaseForm):
    name = StringField(N_("Name"))
    slug = StringField(N_("Address name (slug)"), description=N_("Lower-case letters, digits and dashes; made from the "
                                                         "name when empty. It cannot be changed later."))
    kind = SelectField(N_("Kind"), choices=choices([(k, KIND_LABELS[k]) for k in KINDS]), default="council",
                       validate_choice=False)
    language = SelectField(N_("Language of its mail"), choices=language_choices(INTERFACE_LANGUAGES.items()),
                           default="en", validate_choice=False,
                           description=N_("Mail to the organisation and its contact address is written in this "
                                          "language."))
    contact_email = EmailField(N_("Contact email (optional)"),
                               description=N_("Also told when a petition to it closes."))
    description = TextAreaField(N_("Description (optional)"))
    answer_period_days = StringField(N_("Answer period (days)"), default="90",
                                     description=N_("Default time to answer after the handover."))
    signature_threshold = StringField(N_("Signature threshold"), default="1000",
                                      description=N_("Signatures at which the organisation promises a response."))

    def values(self):
        return {name: getattr(self, name).data for name in
                ("name", "kind", "language", "contact_email", "description", "answer_period_days",
                 "signature_threshold")}


class UserFlagsForm(BaseForm):
    is_moderator = BooleanField(N_("Moderator"))
    is_admin = BooleanField(N_("Site admin"))


class RoleForm(BaseForm):
    role = SelectField(N_("Role"), choices=choices([(r, ROLE_LABELS[r]) for r in ROLES]), validate_choice=False)


class InviteForm(BaseForm):
    email = EmailField(N_("Email address"))
    role = SelectField(N_("Role"), choices=choices([(r, ROLE_LABELS[r]) for r in ROLES]), default="clerk",
                       validate_choice=False)
