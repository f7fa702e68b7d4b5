"""Forms for petitions: the petitioner's draft, and moderation decisions. models/petitioning.py
checks every field (the same rules for any channel); these forms collect input and show messages."""
from wtforms import SelectField, StringField, TextAreaField

from forms import BaseForm
from forms.pages import MARKDOWN_HELP
from models.i18n import N_
from models.petitioning import LANGUAGES

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choices(pairs):
    """Select options from (value, label) pairs, in the form this WTForms version wants."""
    pairs = [(str(value), label if isinstance(label, str) else str(label)) for value, label in pairs]
    return [SelectChoice(value, label) for value, label in pairs] if SelectChoice else pairs


def language_choices(pairs):
    """Languages by their own names, each marked with its language (and not to be translated)."""
    if SelectChoice is None:  # pragma: no cover - older WTForms
        return [(code, name) for code, name in pairs]
    return [SelectChoice(code, name, render_kw={"lang": code, "translate": "no"}) for code, name in pairs]


class PetitionForm(BaseForm):
    title = StringField(N_("Title"), description=N_("What the petition is about, in one line (10 to 255 characters)."))
    request = TextAreaField(N_("We ask"),
                            description=N_("What you ask the organisation to do (10 to 2000 characters)."))
    statement = TextAreaField(N_("Because (optional)"),
                              description=N_("Why: your considerations (up to 5000 characters)."))
    description = TextAreaField(N_("More about it (optional)"), description=MARKDOWN_HELP)
    organisation = SelectField(N_("Addressed to"), validate_choice=False)
    language = SelectField(N_("Language"), choices=language_choices(LANGUAGES), default="en", validate_choice=False)
    closes_on = StringField(N_("Closing date (optional)"),
                            description=N_("Without one, the petition is open for the default period."))

    def set_organisations(self, organisations):
        self.organisation.choices = choices([("", N_("Choose an organisation…"))]
                                            + [(o.id, o.name) for o in organisations])
        return self

    def values(self):
        return {name: getattr(self, name).data for name in
                ("title", "request", "statement", "description", "organisation", "language", "closes_on")}


NOTE_LABELS = {  # one form, several decisions: each note says what it is for
    "back": N_("What the petitioner should change"),
    "reject": N_("Reason for rejecting"),
    "withdraw": N_("Reason for withdrawing (optional)"),
    "reopen": N_("Reason for reopening (optional)"),
}


class NoteForm(BaseForm):
    note = TextAreaField(N_("Note"), description=N_("Shown to the petitioner."))

    def __init__(self, *args, prefix="", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.note.label.text = NOTE_LABELS.get(prefix, self.note.label.text)


class PublishForm(BaseForm):
    closes_on = StringField(N_("Closing date (optional)"),
                            description=N_("Empty keeps the petitioner's date or the default period."))


class HideForm(BaseForm):
    reason = TextAreaField(N_("Reason"), description=N_("Why it is hidden; kept in the petition's history."))
