"""UI modules used in templates: {% module Field(form.name) %} renders a WTForms field with its
label, help text and errors, in the reader's language. WTForms returns Markup; Tornado would escape
it, so this module renders it raw (WTForms has escaped the values itself).

Each control is tied to its hint and its error (`aria-describedby`) and marked `aria-invalid`
when it has one; the page's error summary (templates/_error_summary.html) links to `control_id`."""
import tornado.web

from models import i18n

LISTED = ("RadioField", "SelectMultipleField")  # a list of inputs: the first one takes the link


def control_id(field):
    """The id of the element a summary link should land on (the first box of a list of boxes)."""
    if field.type in LISTED and getattr(field.widget, "html_tag", None) in ("ul", "ol"):
        return f"{field.id}-0"
    return field.id


def field_errors(form):
    """[(control id, message)] of a form's field errors in form order, then its form-wide errors."""
    out = []
    for field in form:
        for message in field.errors or []:
            if isinstance(message, str):
                out.append((control_id(field), message))
    for message in getattr(form, "form_errors", None) or []:
        out.append((None, message))
    return out


class Field(tornado.web.UIModule):
    def render(self, field, **attributes):
        described = [attributes.pop("aria-describedby")] if attributes.get("aria-describedby") else []
        if field.description:
            described.append(f"{field.id}-hint")
        if field.errors:
            described.append(f"{field.id}-error")
            attributes["aria-invalid"] = "true"
        if described:
            attributes["aria-describedby"] = " ".join(described)
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
