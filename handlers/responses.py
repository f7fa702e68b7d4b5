"""Public responses: every published response, and one response with the petitions it answers."""
import tornado.web

from handlers.base import BaseHandler
from models import answering
from models.numbers import page_number
from models.pagination import paginate

PER_PAGE = 20


class ResponsesHandler(BaseHandler):
    def get(self):
        value = self.get_argument("page", "1")
        number = page_number(value)
        self.render("responses/index.html", page=paginate(answering.published_responses(), number, PER_PAGE),
                    public_petitions=_public_petitions)


class ResponseHandler(BaseHandler):
    def get(self, key):
        response = answering.published_responses().where(answering.Response.id == int(key)).first()
        if response is None:  # drafts are the organisation's own; hidden petitions' answers stay hidden
            raise tornado.web.HTTPError(404)
        self.render("responses/show.html", response=response, petitions=_public_petitions(response))


def _public_petitions(response):
    return [p for p in answering.linked_petitions(response) if p.is_public]
