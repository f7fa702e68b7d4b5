"""UI modules used in templates: {% module Field(form.name) %} renders a WTForms field with its
label, help text and errors, in the reader's language. WTForms returns Markup; Tornado would escape
it, so this module renders it raw (WTForms has escaped the values itself)."""
import tornado.web

from models import i18n


class Field(tornado.web.UIModule):
    def render(self, field, **attributes):
        if getattr(field, "choices", None) and isinstance(field.choices, list):
            field.choices = [self._translated(choice) for choice in field.choices]
        return self.render_string("_field.html", field=field, attributes=attributes)

    def _translated(self, choice):
        """Choice labels marked with N_() are worded here; names (organisations, languages) stay."""
        label = getattr(choice, "label", None) if not isinstance(choice, tuple) else choice[1]
        if not isinstance(label, i18n.Msg):
            return choice
        text = i18n.word(self.locale, label)
        if isinstance(choice, tuple):
            return (choice[0], text, *choice[2:])
        from dataclasses import replace

        return replace(choice, label=text)


class Pager(tornado.web.UIModule):
    def render(self, page, base_query=""):
        return self.render_string("_pager.html", page=page, base_query=base_query)
