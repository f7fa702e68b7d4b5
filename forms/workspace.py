"""Forms of the recipient workspace. The rules (which moves, answer-due after handover, reference
length) are the domain's; these forms only parse and put its messages beside the fields."""
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length, Optional

from forms import BaseForm
from forms.pages import MARKDOWN_HELP
from models.petition import STATUS_LABELS, TRANSITIONS

BAD_DATE = "Not a date: use the form YYYY-MM-DD, like 2026-03-31."


class RecipientForm(BaseForm):
    status = SelectField("Status", validate_choice=True,
                         invalid_choice_message="That status is not a move you can make from here.")
    date_projected = DateField("Handover date", validators=[Optional()], format="%Y-%m-%d",
                               invalid_value_message=BAD_DATE,
                               description="The day the petition was handed over to you. Today or an earlier "
                                           "day on a closed petition records the handover: it moves to "
                                           "\u201cHanded over, being answered\u201d. Not before the petition "
                                           "opened; once handed over it can be corrected but not removed.")
    reference_field = StringField("Your reference",
                                  description="Your own document or case number (at most 256 characters).")
    answer_due_date = DateField("Answer due by", validators=[Optional()], format="%Y-%m-%d",
                                invalid_value_message=BAD_DATE,
                                description="Leave empty to use the organisation's answer period after the "
                                            "handover. A new date cannot be in the past.")
    note = TextAreaField("Note to the lead petitioner", validators=[Optional(), Length(max=2000)],
                         description="Required when you reject the petition: say why. The lead petitioner receives it.")

    def set_moves(self, petition, moves):
        """Offer the current status and only the moves the transition table allows this actor."""
        choices = [(petition.status, f"{STATUS_LABELS[petition.status]} (unchanged)")]
        for to in moves:
            if to == "completed":  # completing happens by publishing a response
                continue
            move = TRANSITIONS.get((petition.status, to))
            label = move.label if move else "reopen"
            choices.append((to, f"→ {STATUS_LABELS.get(to, to)} ({label})"))
        self.status.choices = choices
        allowed = ", ".join(to for to in moves if to != "completed") or "none"
        self.status.invalid_choice_message = (f"That status is not a move you can make from here. Allowed moves "
                                              f"from {petition.status}: {allowed}.")
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
    title = StringField("Title")
    body = TextAreaField("Response", description=MARKDOWN_HELP)
    petitions = SelectMultipleField("Petitions this response answers", coerce=str, validate_choice=False,
                                    option_widget=widgets.CheckboxInput(),
                                    widget=widgets.ListWidget(prefix_label=False))
