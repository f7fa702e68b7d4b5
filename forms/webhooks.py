"""The workspace form that subscribes a webhook endpoint."""
from wtforms import SelectChoice, SelectMultipleField, StringField, widgets

from forms import BaseForm
from models.i18n import N_
from models.webhooks import EVENTS


class WebhookForm(BaseForm):
    url = StringField(N_("Address (URL)"), description=N_("The https:// address of your system that receives "
                                                          "the events, like https://cases.example.org/hooks/petitions."))
    description = StringField(N_("Description"), description=N_("So you recognise it later (optional)."))
    events = SelectMultipleField(N_("Events"), choices=[SelectChoice(name, f"{name} — {label}")
                                                        for name, label in EVENTS.items()],
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput(), validate_choice=False)
