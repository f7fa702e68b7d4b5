"""The petitioner's area over real HTTP: start, edit, submit, withdraw, close early, follow."""
import datetime as dt

import pytest

from models import clock
from models.audit import Actor, AuditEvent
from models.mail import OutboxMessage
from models.petition import Petition, transition, update_recipient_fields
from models.response import Response, ResponsePetition

GOOD = {"title": "More trees on Main Street", "request": "Plant twenty trees on Main Street this year.",
        "statement": "Shade and cleaner air.", "description": "<p>See <a href='https://example.org'>map</a></p>"
        "<script>alert(1)</script>", "language": "en", "closes_on": ""}


def _good(organisation, **changes):
    return {**GOOD, "organisation": str(organisation.id), **changes}


@pytest.mark.gen_test
async def test_start_a_petition_then_edit_and_submit_it(web, make):
    organisation = make.organisation(name="Riverton Council")
    moderator = make.moderator()
    user = make.user()
    await web.sign_in(user)
    form = await web.get("/my/petitions/new")
    assert form.code == 200 and "Riverton Council" in form.text
    reply = await web.post("/my/petitions/new", _good(organisation))
    assert reply.code == 303
    petition = Petition.get()
    assert reply.location == f"/my/petitions/{petition.id}"
    assert petition.status == "concept" and petition.lead_petitioner_id == user.id
    assert "<script>" not in petition.description and 'href="https://example.org"' in petition.description
    # The draft is only the petitioner's: not public.
    assert petition.opens_at is None
    edit = await web.get(f"/my/petitions/{petition.id}/edit")
    assert edit.code == 200 and 'value="More trees on Main Street"' in edit.text
    changed = await web.post(f"/my/petitions/{petition.id}/edit", _good(organisation, title="Even more trees on Main Street"))
    assert changed.code == 303
    assert Petition.get_by_id(petition.id).title == "Even more trees on Main Street"
    submitted = await web.post(f"/my/petitions/{petition.id}/submit", {})
    assert submitted.code == 303
    assert Petition.get_by_id(petition.id).status == "staging"
    kinds = sorted((m.kind, m.to_address) for m in OutboxMessage.select())
    assert ("petition_submitted", moderator.email) in kinds and ("status_changed", user.email) in kinds
    # No more edits once submitted.
    late = await web.post(f"/my/petitions/{petition.id}/edit", _good(organisation, title="Sneaky change of title"))
    assert late.code == 403 and "while it is a draft" in late.text
    assert Petition.get_by_id(petition.id).title == "Even more trees on Main Street"
    page = await web.get(f"/my/petitions/{petition.id}")
    assert page.code == 200
    assert "started the petition" in page.text and "edited title" in page.text and "Draft → <strong>Awaiting moderation" in page.text


@pytest.mark.gen_test
async def test_bad_input_rerenders_beside_fields_and_saves_nothing(web, make):
    organisation = make.organisation()
    await web.sign_in(make.user())
    too_far = (clock.today() + dt.timedelta(days=400)).isoformat()
    reply = await web.post("/my/petitions/new", {"title": "short", "request": "", "organisation": "999999",
                                                 "language": "xx", "closes_on": too_far})
    assert reply.code == 400
    for text in ("Write at least 10 characters.", "Choose the organisation your petition is addressed to.",
                 "Choose one of: en", "at most 365 days"):
        assert text in reply.text
    assert 'value="short"' in reply.text
    past = await web.post("/my/petitions/new", _good(organisation, closes_on="2001-01-01"))
    assert past.code == 400 and "after today" in past.text
    huge = await web.post("/my/petitions/new", {**_good(organisation), "organisation": "9" * 30})
    assert huge.code == 400 and "Choose the organisation" in huge.text
    long_text = await web.post("/my/petitions/new", _good(organisation, title="x" * 300, request="y" * 2001))
    assert long_text.code == 400 and "at most 255 characters" in long_text.text and "at most 2000" in long_text.text
    garbage = await web.post("/my/petitions/new", _good(organisation, closes_on="next tuesday"))
    assert garbage.code == 400 and "is not a date" in garbage.text
    assert Petition.select().count() == 0


@pytest.mark.gen_test
async def test_closing_date_is_kept_when_published(web, make):
    organisation = make.organisation()
    user = make.user()
    await web.sign_in(user)
    day = clock.today() + dt.timedelta(days=30)
    await web.post("/my/petitions/new", _good(organisation, closes_on=day.isoformat()))
    petition = Petition.get()
    assert petition.closes_at == dt.datetime.combine(day, dt.time(23, 59, 59))
    await web.post(f"/my/petitions/{petition.id}/submit", {})
    live = transition(petition, "live", Actor.for_user(make.moderator()))
    assert live.closes_at == dt.datetime.combine(day, dt.time(23, 59, 59))


@pytest.mark.gen_test
async def test_withdraw_and_close_early(web, make):
    user = make.user()
    live = make.petition(status="live", lead=user)
    other = make.petition(status="live", lead=user)
    await web.sign_in(user)
    page = await web.get(f"/my/petitions/{live.id}")
    assert 'id="close"' in page.text and 'id="withdraw"' in page.text and 'id="submit"' not in page.text
    assert (await web.post(f"/my/petitions/{live.id}/close", {})).code == 303
    closed = Petition.get_by_id(live.id)
    assert closed.status == "to_process" and closed.closed_at is not None
    assert (await web.post(f"/my/petitions/{other.id}/withdraw", {"note": "Solved meanwhile"})).code == 303
    assert Petition.get_by_id(other.id).status == "withdrawn"
    event = AuditEvent.select().where(AuditEvent.petition_id == other.id).order_by(AuditEvent.id.desc()).first()
    assert (event.new_value, event.note, event.channel) == ("withdrawn", "Solved meanwhile", "web")
    # A move the table does not allow is refused, naming the allowed moves.
    refused = await web.post(f"/my/petitions/{live.id}/withdraw", {})
    assert refused.code == 409 and "Allowed moves from to_process" in refused.text
    assert Petition.get_by_id(live.id).status == "to_process"


@pytest.mark.gen_test
async def test_my_petitions_shows_status_dates_reference_due_date_response_and_history(web, make):
    user = make.user()
    today = clock.today()
    clock.set_global(clock.now() - dt.timedelta(days=40))  # opened 40 days ago, handed over 30 days ago
    petition = make.petition(status="in_process", lead=user, title="Fix the bridge please now")
    clerk = make.clerk(petition.organisation)
    clock.set_global(clock.now() + dt.timedelta(days=10))
    update_recipient_fields(petition, Actor.for_user(clerk),
                            {"reference_field": "REF-2026/17", "date_projected": today - dt.timedelta(days=30),
                             "answer_due_date": today - dt.timedelta(days=1)})
    clock.set_global(None)  # now the answer is overdue
    answered = make.petition(status="in_process", lead=user, title="Open the library on Sundays")
    response = Response.create(organisation=answered.organisation, title="We will open on Sundays",
                               body="<p>Yes.</p>", published_at=clock.now())
    ResponsePetition.create(response=response, petition=answered)
    transition(answered, "completed", Actor.for_user(make.clerk(answered.organisation)), response=response)
    make.petition(status="live", title="Somebody else's petition here")
    await web.sign_in(user)
    page = await web.get("/my/petitions")
    assert page.code == 200
    assert "Fix the bridge please now" in page.text and "REF-2026/17" in page.text and "(overdue)" in page.text
    assert "We will open on Sundays" in page.text
    assert "Somebody else" not in page.text
    detail = await web.get(f"/my/petitions/{petition.id}")
    assert "REF-2026/17" in detail.text and 'id="history"' in detail.text
    assert "reference" in detail.text and clerk.name in detail.text
    done = await web.get(f"/my/petitions/{answered.id}")
    assert "We will open on Sundays" in done.text and "Handed over, being answered → <strong>Answered" in done.text


@pytest.mark.gen_test
async def test_others_and_signed_out_visitors_are_refused(web, make):
    owner = make.user()
    petition = make.petition(status="concept", lead=owner)
    organisation = petition.organisation
    # Signed out: pages redirect to sign-in, posts are refused.
    reply = await web.get("/my/petitions")
    assert reply.code == 302 and reply.location.startswith("/signin?next=")
    assert (await web.get("/my/petitions/new")).code == 302
    assert (await web.post("/my/petitions/new", _good(organisation))).code == 403
    assert (await web.post(f"/my/petitions/{petition.id}/submit", {})).code == 403
    # Another user, a clerk of the organisation and a moderator: 404 on someone else's draft.
    for intruder in (make.user(), make.clerk(organisation), make.moderator()):
        await web.post("/signout", {})
        await web.sign_in(intruder)
        assert (await web.get(f"/my/petitions/{petition.id}")).code == 404
        assert (await web.get(f"/my/petitions/{petition.id}/edit")).code == 404
        assert (await web.post(f"/my/petitions/{petition.id}/edit", _good(organisation))).code == 404
        assert (await web.post(f"/my/petitions/{petition.id}/submit", {})).code == 404
    assert (await web.get("/my/petitions/999999")).code == 404
    assert (await web.get("/my/petitions/99999999999")).code == 404
    # Missing XSRF: refused, nothing changes.
    await web.post("/signout", {})
    await web.sign_in(owner)
    assert (await web.post(f"/my/petitions/{petition.id}/submit", {}, xsrf=False)).code == 403
    assert Petition.get_by_id(petition.id).status == "concept"
