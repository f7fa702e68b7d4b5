"""UI modules used in templates: {% module Field(form.name) %} renders a WTForms field with its
label, help text and errors. WTForms returns Markup; Tornado would escape it, so this module
renders it raw (WTForms has escaped the values itself).

Each control is tied to its hint and its error (`aria-describedby`) and marked `aria-invalid`
when it has one; the page's error summary (templates/_error_summary.html) links to `control_id`."""
import tornado.web

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
        return self.render_string("_field.html", field=field, attributes=attributes)


class Pager(tornado.web.UIModule):
    def render(self, page, base_query=""):
        return self.render_string("_pager.html", page=page, base_query=base_query)
