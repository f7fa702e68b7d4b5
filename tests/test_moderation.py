"""Moderation over real HTTP: the queue per role, publish, send back, reject, hide and unhide."""
import datetime as dt

import pytest

from models import clock
from models.audit import AuditEvent
from models.mail import OutboxMessage
from models.petition import Petition


@pytest.mark.gen_test
async def test_moderators_see_every_staging_petition_clerks_only_their_organisations(web, make):
    mine, theirs = make.organisation(name="Mine Council"), make.organisation(name="Their Council")
    a = make.petition(status="staging", organisation=mine, title="Petition for mine council")
    b = make.petition(status="staging", organisation=theirs, title="Petition for their council")
    make.petition(status="live", organisation=mine, title="Already live petition here")
    await web.sign_in(make.moderator())
    queue = await web.get("/moderation")
    assert queue.code == 200 and a.title in queue.text and b.title in queue.text and "Already live" not in queue.text
    await web.post("/signout", {})
    await web.sign_in(make.clerk(mine))
    queue = await web.get("/moderation")
    assert a.title in queue.text and b.title not in queue.text
    assert (await web.get(f"/moderation/{a.id}")).code == 200
    assert (await web.get(f"/moderation/{b.id}")).code == 404
    assert (await web.post(f"/moderation/{b.id}/publish", {})).code == 404
    assert Petition.get_by_id(b.id).status == "staging"


@pytest.mark.gen_test
async def test_refusals_for_signed_out_and_plain_users(web, make):
    petition = make.petition(status="staging")
    reply = await web.get("/moderation")
    assert reply.code == 302 and reply.location.startswith("/signin?next=%2Fmoderation")
    assert (await web.post(f"/moderation/{petition.id}/publish", {})).code == 403
    await web.sign_in(make.user())
    assert (await web.get("/moderation")).code == 403
    assert (await web.get(f"/moderation/{petition.id}")).code == 403
    assert (await web.post(f"/moderation/{petition.id}/publish", {})).code == 403
    await web.post("/signout", {})
    await web.sign_in(make.moderator())
    assert (await web.post(f"/moderation/{petition.id}/publish", {}, xsrf=False)).code == 403
    assert (await web.get("/moderation/999999")).code == 404
    assert (await web.get("/moderation/999999999999")).code == 404
    assert Petition.get_by_id(petition.id).status == "staging"


@pytest.mark.gen_test
async def test_publish_with_closing_date(web, make):
    petition = make.petition(status="staging")
    await web.sign_in(make.moderator())
    page = await web.get(f"/moderation/{petition.id}")
    assert page.code == 200 and 'id="publish"' in page.text
    bad = await web.post(f"/moderation/{petition.id}/publish", {"closes_on": "2001-02-03"})
    assert bad.code == 400 and "after today" in bad.text
    too_late = await web.post(f"/moderation/{petition.id}/publish",
                              {"closes_on": (clock.today() + dt.timedelta(days=366)).isoformat()})
    assert too_late.code == 400 and "at most 365 days" in too_late.text
    assert Petition.get_by_id(petition.id).status == "staging"
    day = clock.today() + dt.timedelta(days=60)
    reply = await web.post(f"/moderation/{petition.id}/publish", {"closes_on": day.isoformat()})
    assert reply.code == 303 and reply.location == "/moderation"
    live = Petition.get_by_id(petition.id)
    assert live.status == "live" and live.opens_at is not None
    assert live.closes_at == dt.datetime.combine(day, dt.time(23, 59, 59))
    [message] = OutboxMessage.select()
    assert message.to_address == live.lead_petitioner.email and message.kind == "status_changed"
    public = await web.get(f"/petitions/{live.slug}")
    assert public.code == 200
    # Publishing again is a refused move that names the allowed ones.
    again = await web.post(f"/moderation/{petition.id}/publish", {})
    assert again.code == 409 and "Allowed moves from live" in again.text


@pytest.mark.gen_test
async def test_clerk_of_the_organisation_publishes_without_a_date(web, make):
    petition = make.petition(status="staging")
    await web.sign_in(make.clerk(petition.organisation))
    assert (await web.post(f"/moderation/{petition.id}/publish", {"closes_on": ""})).code == 303
    live = Petition.get_by_id(petition.id)
    assert live.status == "live" and (live.closes_at - live.opens_at).days == 90


@pytest.mark.gen_test
@pytest.mark.parametrize("decision,prefix,status", [("send-back", "back", "concept"), ("reject", "reject", "rejected")])
async def test_send_back_and_reject_need_a_note(web, make, decision, prefix, status):
    petition = make.petition(status="staging")
    await web.sign_in(make.moderator())
    empty = await web.post(f"/moderation/{petition.id}/{decision}", {f"{prefix}-note": "  "})
    assert empty.code == 400 and "a note is required" in empty.text
    assert Petition.get_by_id(petition.id).status == "staging"
    assert OutboxMessage.select().count() == 0
    reply = await web.post(f"/moderation/{petition.id}/{decision}", {f"{prefix}-note": "Please name the street."})
    assert reply.code == 303
    moved = Petition.get_by_id(petition.id)
    assert moved.status == status and moved.moderation_note == "Please name the street."
    [message] = OutboxMessage.select()
    assert "Please name the street." in message.body and message.to_address == moved.lead_petitioner.email
    # The petitioner sees the note on their page.
    await web.post("/signout", {})
    await web.sign_in(moved.lead_petitioner)
    page = await web.get(f"/my/petitions/{petition.id}")
    assert "Please name the street." in page.text


@pytest.mark.gen_test
async def test_admins_hide_and_unhide_with_a_reason_and_see_why(web, make):
    petition = make.petition(status="live", title="A petition with rude words")
    moderator = make.moderator()
    await web.sign_in(moderator)
    # Moderators may not hide: that is for site admins.
    assert (await web.post(f"/admin/petitions/{petition.id}/hide", {"reason": "x"})).code == 403
    await web.post("/signout", {})
    admin = make.admin()
    await web.sign_in(admin)
    empty = await web.post(f"/admin/petitions/{petition.id}/hide", {"reason": ""})
    assert empty.code == 400 and "Say why the petition is hidden." in empty.text
    assert not Petition.get_by_id(petition.id).hidden
    reply = await web.post(f"/admin/petitions/{petition.id}/hide", {"reason": "Insults a named person."})
    assert reply.code == 303
    hidden = Petition.get_by_id(petition.id)
    assert hidden.hidden and hidden.hidden_reason == "Insults a named person."
    event = AuditEvent.get(AuditEvent.action == "hidden")
    assert event.note == "Insults a named person." and event.actor_id == admin.id
    assert (await web.get(f"/petitions/{petition.slug}")).code == 200  # admins still see it
    page = await web.get(f"/moderation/{petition.id}")
    assert "Insults a named person." in page.text and admin.name in page.text
    listing = await web.get("/admin/petitions?hidden=1")
    assert "A petition with rude words" in listing.text and "Insults a named person." in listing.text
    await web.post("/signout", {})
    assert (await web.get(f"/petitions/{petition.slug}")).code == 404
    assert "A petition with rude words" not in (await web.get("/")).text
    # The lead petitioner knows it is hidden, but the reason is for admins.
    await web.sign_in(petition.lead_petitioner)
    mine = await web.get(f"/my/petitions/{petition.id}")
    assert "hidden this petition from public pages" in mine.text and "Insults a named person." not in mine.text
    await web.post("/signout", {})
    await web.sign_in(admin)
    assert (await web.post(f"/admin/petitions/{petition.id}/unhide", {"reason": "Edited"})).code == 303
    assert not Petition.get_by_id(petition.id).hidden
    await web.post("/signout", {})
    assert (await web.get(f"/petitions/{petition.slug}")).code == 200


@pytest.mark.gen_test
async def test_moderators_withdraw_and_admins_reopen(web, make):
    petition = make.petition(status="live")
    await web.sign_in(make.moderator())
    page = await web.get(f"/moderation/{petition.id}")
    assert 'id="withdraw"' in page.text and 'id="reopen"' not in page.text
    assert (await web.post(f"/moderation/{petition.id}/withdraw", {"withdraw-note": "Duplicate of another"})).code == 303
    assert Petition.get_by_id(petition.id).status == "withdrawn"
    # Only a site admin may take back a final status.
    refused = await web.post(f"/moderation/{petition.id}/reopen", {})
    assert refused.code == 409 and "Allowed moves from withdrawn: none" in refused.text
    await web.post("/signout", {})
    await web.sign_in(make.admin())
    page = await web.get(f"/moderation/{petition.id}")
    assert 'id="reopen"' in page.text and "returns to “Open for signatures”" in page.text
    assert (await web.post(f"/moderation/{petition.id}/reopen", {"reopen-note": "Withdrawn by mistake"})).code == 303
    assert Petition.get_by_id(petition.id).status == "live"
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (event.action, event.old_value, event.new_value, event.note) == ("reopen", "withdrawn", "live",
                                                                           "Withdrawn by mistake")
    not_final = await web.post(f"/moderation/{petition.id}/reopen", {})
    assert not_final.code == 409 and "can be reopened" in not_final.text
