"""UI modules used in templates: {% module Field(form.name) %} renders a WTForms field with its
label, help text and errors. WTForms returns Markup; Tornado would escape it, so this module
renders it raw (WTForms has escaped the values itself)."""
import tornado.web


class Field(tornado.web.UIModule):
    def render(self, field, **attributes):
        return self.render_string("_field.html", field=field, attributes=attributes)


class Pager(tornado.web.UIModule):
    def render(self, page, base_query=""):
        return self.render_string("_pager.html", page=page, base_query=base_query)
