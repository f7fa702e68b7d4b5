"""The OpenAPI 3.1 document of the native v1 API (built as a dict) and its documentation page."""
import json

from handlers.base import BaseHandler, JsonHandler


def document(base_url):
    return {"openapi": "3.1.0", "info": {"title": "Petitions portal API", "version": "1"}, "paths": {}}


class OpenApiHandler(JsonHandler):
    def get(self):
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", "public, max-age=300")
        self.write_json(document(self.settings_.base_url))


class DocsHandler(BaseHandler):
    def get(self):
        self.render("api/docs.html", spec=document(self.settings_.base_url), json=json)
