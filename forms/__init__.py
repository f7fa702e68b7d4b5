"""WTForms forms for the web pages. Rules that every channel shares live in models/; a form
collects input and shows the domain's InvalidInput messages next to the right field."""
from wtforms import Form


class BaseForm(Form):
    def add_domain_errors(self, error):
        """Put an InvalidInput's messages beside their fields; others go to form_errors."""
        for name, message in error.fields.items():
            field = getattr(self, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors or []) + [message]
            else:
                self.form_errors.append(message)
        return self
