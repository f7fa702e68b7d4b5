"""Forms of the recipient workspace. The rules (which moves, answer-due after handover, reference
length) are the domain's; these forms only parse and put its messages beside the fields."""
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length, Optional

from forms import BaseForm
from forms.pages import MARKDOWN_HELP
from models.i18n import N_
from models.petition import STATUS_LABELS, TRANSITIONS

BAD_DATE = N_("Not a date: use the form YYYY-MM-DD, like 2026-03-31.")


class RecipientForm(BaseForm):
    status = SelectField(N_("Status"), validate_choice=True,
                         invalid_choice_message=N_("That status is not a move you can make from here."))
    date_projected = DateField(N_("Handover date"), validators=[Optional()], format="%Y-%m-%d",
                               invalid_value_message=BAD_DATE,
                               description=N_("The day the petition was handed over to you. Today or an earlier "
                                              "day on a closed petition records the handover: it moves to "
                                              "\u201cHanded over, being answered\u201d. Not before the petition "
                                              "opened; once handed over it can be corrected but not removed."))
    reference_field = StringField(N_("Your reference"),
                                  description=N_("Your own document or case number (at most 256 characters)."))
    answer_due_date = DateField(N_("Answer due by"), validators=[Optional()], format="%Y-%m-%d",
                                invalid_value_message=BAD_DATE,
                                description=N_("Leave empty to use the organisation's answer period after the "
                                               "handover. A new date cannot be in the past."))
    note = TextAreaField(N_("Note to the lead petitioner"),
                         validators=[Optional(), Length(max=2000, message=N_("Use at most 2000 characters."))],
                         description=N_("Required when you reject the petition: say why. The lead petitioner "
                                        "receives it."))

    def set_moves(self, petition, moves):
        """Offer the current status and only the moves the transition table allows this actor."""
        choices = [(petition.status, N_("%(status)s (unchanged)", status=STATUS_LABELS[petition.status]))]
        for to in moves:
            if to == "completed":  # completing happens by publishing a response
                continue
            move = TRANSITIONS.get((petition.status, to))
            label = move.label if move else N_("reopen")
            choices.append((to, N_("→ %(status)s (%(move)s)", status=STATUS_LABELS.get(to, to), move=label)))
        self.status.choices = choices
        allowed = ", ".join(to for to in moves if to != "completed") or N_("none")
        self.status.invalid_choice_message = N_("That status is not a move you can make from here. Allowed moves "
                                                "from %(current)s: %(moves)s.", current=petition.status, moves=allowed)
        if self.status.data is None:
            self.status.data = petition.status
        return self

    def changes(self, petition):
        """Only what differs from the petition (an untouched empty answer-due date lets the domain
        apply the organisation's default answer period). Dates go to the domain as ISO text so
        its own date rules (the range) apply to the web as to the API."""
        wanted = {"status": self.status.data, "date_projected": self.date_projected.data,
                  "reference_field": (self.reference_field.data or "").strip() or None,
                  "answer_due_date": self.answer_due_date.data}
        changes = {name: value for name, value in wanted.items() if getattr(petition, name) != value}
        return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in changes.items()}


class ResponseForm(BaseForm):
    title = StringField(N_("Title"))
    body = TextAreaField(N_("Response"), description=MARKDOWN_HELP)
    petitions = SelectMultipleField(N_("Petitions this response answers"), coerce=str, validate_choice=False,
                                    option_widget=widgets.CheckboxInput(),
                                    widget=widgets.ListWidget(prefix_label=False))
