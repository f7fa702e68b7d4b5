"""The language switcher on every page, without JavaScript. Signed-out visitors follow a link
(GET /language/nl?next=/petitions/x), which only sets the cookie, so public pages carry no form
token and stay cacheable; signed-in users press a button in a form (POST /language, with XSRF),
which also keeps the choice on their account."""
from handlers.base import BaseHandler
from models import account, i18n
from models.errors import InvalidParameter


class LanguageHandler(BaseHandler):
    def chosen(self, value):
        code = i18n.normalise(value)
        offered = i18n.available(self.settings_)
        if code not in offered:
            raise InvalidParameter({"language": i18n.N_("Choose one of the languages offered: %(languages)s.",
                                                    languages=", ".join(offered))})
        return code

    def get(self, code):
        self.set_language_cookie(self.chosen(code))
        self.redirect_to_next(default="/")

    def post(self):
        code = self.chosen(self.get_body_argument("language", ""))
        self.set_language_cookie(code)
        if self.current_user is not None:
            account.set_language(self.current_user, code)
        self.redirect_to_next(default="/")
