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
    pairs = [(str(value), str(label)) for value, label in pairs]
    return [SelectChoice(value, label) for value, label in pairs] if SelectChoice else pairs


class PetitionForm(BaseForm):
    title = StringField("Title", description="What the petition is about, in one line (10 to 255 characters).")
    request = TextAreaField("We ask", description="What you ask the organisation to do (10 to 2000 characters).")
    statement = TextAreaField("Because (optional)", description="Why: your considerations (up to 5000 characters).")
    description = TextAreaField("More about it (optional)",
                                description=MARKDOWN_HELP)
    organisation = SelectField("Addressed to", validate_choice=False)
    language = SelectField("Language", choices=choices(LANGUAGES), default="en", validate_choice=False)
    closes_on = StringField("Closing date (optional)",
                            description="YYYY-MM-DD. Without one, the petition is open for the default period.")

    def set_organisations(self, organisations):
        self.organisation.choices = choices([("", "Choose an organisation…")] + [(o.id, o.name) for o in organisations])
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
    note = TextAreaField("Note", description="Shown to the petitioner.")

    def __init__(self, *args, prefix="", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.note.label.text = NOTE_LABELS.get(prefix, self.note.label.text)


class PublishForm(BaseForm):
    closes_on = StringField("Closing date (optional)",
                            description="YYYY-MM-DD; empty keeps the petitioner's date or the default period.")


class HideForm(BaseForm):
    reason = TextAreaField("Reason", description="Why it is hidden; kept in the petition's history.")
