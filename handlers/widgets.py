"""Embeddable widgets (work in progress)."""
import tornado.web

from handlers.base import BaseHandler


class WidgetHandler(BaseHandler):
    def get(self, key, kind):
        raise tornado.web.HTTPError(404)


class WidgetScriptHandler(BaseHandler):
    def get(self):
        raise tornado.web.HTTPError(404)
