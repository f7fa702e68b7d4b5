"""What slips past domain validation (a race between check and insert, a row deleted meanwhile, a
value out of range) is a 4xx with a message in every channel's shape, never a 500, and the
database's own text (which may quote other people's values) is shown to nobody and logged nowhere."""
import logging

import pytest

from handlers.base import BaseHandler, JsonHandler
from models.user import User


class TakenAddress(BaseHandler):
    """Does what a check-then-insert race ends in: an insert of an address that exists."""

    def get(self):
        User.create(email=self.get_argument("email"), name="Racing Twin")


class Vanished(JsonHandler):
    def get(self):
        User.get_by_id(987654321)


class OutOfRange(JsonHandler):
    def get(self):
        User.get_or_none(User.id == 10 ** 30)


@pytest.fixture
def racing_routes(app):
    app.add_handlers(r".*", [(r"/__test/taken", TakenAddress), (r"/__test/vanished", Vanished),
                             (r"/__test/out-of-range", OutOfRange)])


@pytest.mark.gen_test
@pytest.mark.usefixtures("racing_routes")
async def test_database_refusals_are_4xx_with_a_message(web, make, caplog):
    caplog.set_level(logging.INFO)
    user = make.user(email="first.owner@example.org")
    taken = await web.get("/__test/taken?email=first.owner@example.org")
    assert taken.code == 409 and "Reload the page and try again" in taken.text
    assert "first.owner@example.org" not in taken.text
    vanished = await web.get("/__test/vanished")
    assert vanished.code == 404 and vanished.json()["message"].startswith("What this request refers to")
    out_of_range = await web.get("/__test/out-of-range")
    assert out_of_range.code in (200, 422), out_of_range.text  # PostgreSQL compares fine; SQLite overflows
    if out_of_range.code == 422:
        assert "too large" in out_of_range.json()["message"]
    assert User.select().count() == 1 and User.get_by_id(user.id).name != "Racing Twin"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "IntegrityError answered as 409" in logged and "first.owner@example.org" not in logged
