"""The recipient workspace over real HTTP: the inbox, needs attention, the clerk's petition page
with the recipient form and history, the CSV export, and every refusal."""
import csv
import datetime as dt
import io
import re

import pytest

from handlers import workspace
from models import clock
from models.audit import Actor, AuditEvent
from models.mail import OutboxMessage
from models.errors import InvalidInput
from models.petition import Petition, transition, update_recipient_fields

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, 0)


@pytest.fixture(autouse=True)
def fixed_clock():
    clock.set_global(NOW)
    yield
    clock.set_global(None)


def due(petition, days, handover=None, status=None):
    """Give a petition an answer-due date `days` from today (negative: in the past) and a handover date,
    as if they had been recorded back then (written directly: the clerk's rules refuse past dates now)."""
    changes = {"answer_due_date": TODAY + dt.timedelta(days=days)}
    if handover is not None:
        changes["date_projected"] = TODAY + dt.timedelta(days=handover)
        changes["opens_at"] = min(petition.opens_at, NOW + dt.timedelta(days=handover - 30))
    Petition.update(**changes).where(Petition.id == petition.id).execute()
    if status:
        update_recipient_fields(petition, Actor.system("test"), {"status": status})
    return Petition.get_by_id(petition.id)


def count_in(html, element_id):
    found = re.search(r'id="%s".*?<strong[^>]*>(\d+)</strong>' % re.escape(element_id), html, re.S)
    assert found, f"no count for {element_id}"
    return int(found.group(1))


def status_count(html, status):
    found = re.search(r'data-status="%s">[^<]*<strong class="status-count">(\d+)</strong>' % status, html)
    assert found, f"no count for status {status}"
    return int(found.group(1))


def options(html):
    select = re.search(r'<select[^>]*name="status".*?</select>', html, re.S).group(0)
    return re.findall(r'value="([a-z_]+)"', select)


# ---- access ------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_signed_out_visitors_are_sent_to_sign_in_and_posts_refused(web, make):
    petition = make.petition(status="to_process")
    reply = await web.get("/workspace")
    assert reply.code == 302 and reply.location.startswith("/signin?next=%2Fworkspace")
    reply = await web.get(f"/workspace/petitions/{petition.id}")
    assert reply.code == 302 and "/signin" in reply.location
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "in_process"})
    assert reply.code == 403
    assert Petition.get_by_id(petition.id).status == "to_process"


@pytest.mark.gen_test
async def test_workspace_goes_to_the_only_organisation_or_offers_a_choice(web, make):
    first, second = make.organisation(name="Alpha Council"), make.organisation(name="Beta Ministry")
    clerk = make.clerk(first)
    await web.sign_in(clerk)
    reply = await web.get("/workspace")
    assert reply.code == 302 and reply.location == f"/workspace/{first.slug}"
    from models.user import add_membership

    add_membership(clerk, second, "clerk")
    reply = await web.get("/workspace")
    assert reply.code == 200
    assert f'href="/workspace/{first.slug}"' in reply.text and f'href="/workspace/{second.slug}"' in reply.text


@pytest.mark.gen_test
async def test_people_without_an_organisation_are_refused(web, make):
    organisation = make.organisation()
    await web.sign_in(make.user())
    assert (await web.get("/workspace")).code == 403
    assert (await web.get(f"/workspace/{organisation.slug}")).code == 404


@pytest.mark.gen_test
async def test_a_clerk_can_neither_see_nor_change_another_organisations_petitions(web, make):
    mine, theirs = make.organisation(), make.organisation()
    clerk = make.clerk(mine)
    petition = make.petition(status="to_process", organisation=theirs, title="Their petition about bridges")
    await web.sign_in(clerk)
    page = await web.get(f"/workspace/{mine.slug}")
    assert page.code == 200 and "Their petition about bridges" not in page.text
    draft = make.petition(status="concept", organisation=mine)
    assert (await web.get(f"/workspace/petitions/{draft.id}")).code == 404
    assert (await web.get(f"/workspace/{theirs.slug}")).code == 404
    assert (await web.get(f"/workspace/{theirs.slug}/export.csv")).code == 404
    assert (await web.get(f"/workspace/{theirs.slug}/responses/new")).code == 404
    assert (await web.get(f"/workspace/petitions/{petition.id}")).code == 404
    assert (await web.get(f"/workspace/petitions/{petition.slug}")).code == 404
    reply = await web.post(f"/workspace/petitions/{petition.id}",
                           {"status": "in_process", "reference_field": "MINE-1", "date_projected": "2026-11-20"})
    assert reply.code == 404
    reply = await web.post(f"/workspace/{theirs.slug}/responses/new",
                           {"title": "Answer", "body": "<p>No</p>", "petitions": str(petition.id)})
    assert reply.code == 404
    unchanged = Petition.get_by_id(petition.id)
    assert (unchanged.status, unchanged.reference_field, unchanged.date_projected) == ("to_process", None, None)
    assert not AuditEvent.select().where((AuditEvent.petition_id == petition.id)
                                         & (AuditEvent.channel == "web")).exists()


@pytest.mark.gen_test
async def test_the_petitioner_of_a_petition_is_no_clerk(web, make):
    petition = make.petition(status="to_process")
    await web.sign_in(petition.lead_petitioner)
    assert (await web.get(f"/workspace/petitions/{petition.id}")).code == 404
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "in_process"})
    assert reply.code == 404
    assert Petition.get_by_id(petition.id).status == "to_process"


# ---- the inbox -------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_inbox_counts_statuses_and_what_needs_attention(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    make.petition(status="concept", organisation=organisation, title="A draft nobody should see")
    make.petition(status="live", organisation=organisation)
    make.petition(status="to_process", organisation=organisation, title="Closed without handover")
    due(make.petition(status="to_process", organisation=organisation, title="Overdue and not handed over"), -3)
    due(make.petition(status="in_process", organisation=organisation, title="Due in five days"), 5, handover=-40)
    due(make.petition(status="in_process", organisation=organisation, title="Overdue answer"), -1, handover=-60)
    due(make.petition(status="in_process", organisation=organisation, title="Due in a month"), 30, handover=-10)
    await web.sign_in(clerk)
    reply = await web.get(f"/workspace/{organisation.slug}")
    assert reply.code == 200
    html = reply.text
    assert "A draft nobody should see" not in html
    assert status_count(html, "live") == 1
    assert status_count(html, "to_process") == 2
    assert status_count(html, "in_process") == 3
    assert status_count(html, "completed") == 0
    assert count_in(html, "attention-overdue") == 2
    assert count_in(html, "attention-due_soon") == 1
    assert count_in(html, "attention-no_handover") == 2
    # each highlighted: overdue rows say so
    row = re.search(r'<tr class="attention"[^>]*>.*?Overdue answer</a>.*?</tr>', html, re.S).group(0)
    assert "answer overdue" in row

    overdue = await web.get(f"/workspace/{organisation.slug}?show=overdue")
    titles = re.findall(r'href="/workspace/petitions/\d+"[^>]*>([^<]+)</a>', overdue.text)
    assert sorted(titles) == ["Overdue and not handed over", "Overdue answer"]
    soon = await web.get(f"/workspace/{organisation.slug}?show=due_soon")
    assert re.findall(r'href="/workspace/petitions/\d+"[^>]*>([^<]+)</a>', soon.text) == ["Due in five days"]


@pytest.mark.gen_test
async def test_inbox_search_sorting_filter_and_paging(web, make, monkeypatch):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    late = due(make.petition(status="in_process", organisation=organisation, title="Bicycle lanes"), 40, handover=-5)
    early = due(make.petition(status="in_process", organisation=organisation, title="Bus shelters"), 10, handover=-30)
    middle = due(make.petition(status="in_process", organisation=organisation, title="Bicycle parking"), 20,
                 handover=-20)
    make.petition(status="live", organisation=organisation, title="Bicycle bridge")
    await web.sign_in(clerk)

    def ids(html):
        return [int(i) for i in re.findall(r'data-petition="(\d+)"', html)]

    base = f"/workspace/{organisation.slug}?status=in_process"
    assert ids((await web.get(base + "&sort=answer_due_date")).text) == [early.id, middle.id, late.id]
    assert ids((await web.get(base + "&sort=answer_due_date&dir=desc")).text) == [late.id, middle.id, early.id]
    assert ids((await web.get(base + "&sort=date_projected")).text) == [early.id, middle.id, late.id]
    assert ids((await web.get(base + "&sort=nonsense")).text) == [early.id, middle.id, late.id]
    searched = (await web.get(f"/workspace/{organisation.slug}?q=bicycle&sort=answer_due_date")).text
    # grouped by status: the live one first (table order), then in_process by answer-due date
    assert len(ids(searched)) == 3 and ids(searched)[1:] == [middle.id, late.id]
    assert "Bus shelters" not in searched

    monkeypatch.setattr(workspace, "PER_PAGE", 2)
    first = (await web.get(base + "&sort=answer_due_date")).text
    assert ids(first) == [early.id, middle.id] and "Page 1 of 2" in first
    assert 'href="?status=in_process&amp;sort=answer_due_date&amp;dir=asc&amp;page=2"' in first
    second = (await web.get(base + "&sort=answer_due_date&page=2")).text
    assert ids(second) == [late.id]


@pytest.mark.gen_test
async def test_sorting_by_closing_date(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    a = make.petition(status="live", organisation=organisation)
    b = make.petition(status="live", organisation=organisation)
    Petition.update(closes_at=NOW + dt.timedelta(days=9)).where(Petition.id == a.id).execute()
    Petition.update(closes_at=NOW + dt.timedelta(days=3)).where(Petition.id == b.id).execute()
    await web.sign_in(clerk)
    html = (await web.get(f"/workspace/{organisation.slug}?sort=closes_at")).text
    assert [int(i) for i in re.findall(r'data-petition="(\d+)"', html)] == [b.id, a.id]


# ---- the clerk's petition page ---------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_the_status_select_offers_only_allowed_moves(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    to_process = make.petition(status="to_process", organisation=organisation)
    in_process = make.petition(status="in_process", organisation=organisation)
    live = make.petition(status="live", organisation=organisation)
    await web.sign_in(clerk)
    assert options((await web.get(f"/workspace/petitions/{to_process.id}")).text) == [
        "to_process", "in_process", "rejected"]
    # completed happens by publishing a response, never by the select
    assert options((await web.get(f"/workspace/petitions/{in_process.id}")).text) == ["in_process", "rejected"]
    assert options((await web.get(f"/workspace/petitions/{live.id}")).text) == ["live"]


@pytest.mark.gen_test
async def test_saving_the_recipient_form_updates_audits_and_mails(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation, name="Clara Clerk")
    petition = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/petitions/{petition.id}", {
        "status": "in_process", "date_projected": "2026-11-24", "reference_field": "  RCC-2026-12  ",
        "answer_due_date": "2027-01-31", "note": ""})
    assert reply.code == 303 and reply.location == f"/workspace/petitions/{petition.id}?saved=1"
    saved = Petition.get_by_id(petition.id)
    assert (saved.status, saved.date_projected, saved.reference_field, saved.answer_due_date) == (
        "in_process", dt.date(2026, 11, 24), "RCC-2026-12", dt.date(2027, 1, 31))
    events = list(AuditEvent.select().where((AuditEvent.petition_id == petition.id) & (AuditEvent.channel == "web")))
    assert {(e.action, e.field, e.new_value) for e in events} >= {
        ("status", "status", "in_process"), ("field", "reference_field", "RCC-2026-12"),
        ("field", "date_projected", "2026-11-24"), ("field", "answer_due_date", "2027-01-31")}
    assert all(e.actor_label == "Clara Clerk" for e in events)
    # the handover date given with the move is recorded once, not stamped with today first
    assert [e.new_value for e in events if e.field == "date_projected"] == ["2026-11-24"]
    kinds = [m.kind for m in OutboxMessage.select().where(
        OutboxMessage.to_address == petition.lead_petitioner.email)]
    assert "status_changed" in kinds and "recipient_update" in kinds

    page = await web.get(reply.location)
    assert "Saved." in page.text
    assert 'id="fact-reference_field">RCC-2026-12<' in page.text
    history = page.text[page.text.index('id="history"'):]
    assert "Status: Closed, awaiting handover → Handed over, being answered" in history
    assert "Reference: (empty) → RCC-2026-12" in history
    assert "Clara Clerk · via web" in history


@pytest.mark.gen_test
async def test_an_empty_answer_due_date_takes_the_organisations_answer_period(web, make):
    organisation = make.organisation(answer_period_days=30)
    clerk = make.clerk(organisation)
    petition = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/petitions/{petition.id}", {
        "status": "to_process", "date_projected": "2026-11-24", "reference_field": "", "answer_due_date": ""})
    assert reply.code == 303
    assert Petition.get_by_id(petition.id).answer_due_date == dt.date(2026, 12, 24)


@pytest.mark.gen_test
@pytest.mark.parametrize("fields,status,field,message", [
    ({"date_projected": "20-11-2026"}, 400, "date_projected", "Not a date: use the form YYYY-MM-DD"),
    ({"answer_due_date": "soon"}, 400, "answer_due_date", "Not a date: use the form YYYY-MM-DD"),
    ({"date_projected": "2026-11-30", "answer_due_date": "2026-11-25"}, 422, "answer_due_date",
     "cannot be before the handover date"),
    ({"date_projected": "1850-01-01"}, 422, "date_projected", "between 1990 and 2200"),
    ({"reference_field": "x" * 257}, 422, "reference_field", "at most 256 characters"),
    ({"status": "completed"}, 400, "status", "Allowed moves from to_process: in_process, rejected"),
    ({"status": "live"}, 400, "status", "Allowed moves from to_process: in_process, rejected"),
    ({"status": "<script>"}, 400, "status", "not a move you can make"),
    ({"status": "rejected"}, 422, "note", "a note is required"),
])
async def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(web, make, fields, status, field,
                                                                           message):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    mails_before = OutboxMessage.select().count()
    data = {"status": "to_process", "date_projected": "", "reference_field": "", "answer_due_date": "", "note": ""}
    data.update(fields)
    reply = await web.post(f"/workspace/petitions/{petition.id}", data)
    assert reply.code == status, reply.text[:500]
    block = re.search(r'<div class="field has-error">.*?</div>', reply.text, re.S)
    assert block and f'name="{field}"' in block.group(0) and message in block.group(0), reply.text
    assert "<script>" not in reply.text
    unchanged = Petition.get_by_id(petition.id)
    assert (unchanged.status, unchanged.date_projected, unchanged.reference_field, unchanged.answer_due_date) == (
        "to_process", None, None, None)
    assert OutboxMessage.select().count() == mails_before


@pytest.mark.gen_test
async def test_clerk_date_rules_refuse_nonsense_beside_the_field(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    handed = make.petition(status="in_process", organisation=organisation)
    closed = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    form = {"status": "in_process", "date_projected": "", "reference_field": "", "answer_due_date": "", "note": ""}
    cases = [
        (handed, {}, "date_projected", "cannot be removed once the petition has been handed over"),
        (handed, {"date_projected": "2026-11-24", "answer_due_date": "2020-01-01"}, "answer_due_date",
         "cannot be in the past"),
        (closed, {"status": "to_process", "date_projected": "2026-11-01"}, "date_projected",
         "cannot be before the petition opened (2026-11-24)"),
    ]
    for petition, fields, field, message in cases:
        before = Petition.get_by_id(petition.id)
        reply = await web.post(f"/workspace/petitions/{petition.id}", {**form, **fields})
        assert reply.code == 422, reply.text[:300]
        block = re.search(r'<div class="field has-error">.*?</div>', reply.text, re.S)
        assert block and f'name="{field}"' in block.group(0) and message in block.group(0)
        after = Petition.get_by_id(petition.id)
        assert (after.status, after.date_projected, after.answer_due_date) == (
            before.status, before.date_projected, before.answer_due_date)
    # the API's PUT meets the same rules (one function)
    with pytest.raises(InvalidInput) as refused:
        update_recipient_fields(handed, Actor.for_user(clerk), {"date_projected": None})
    assert "date_projected" in refused.value.fields
    # an answer-due date already in the past may stay; only a newly set one is refused
    Petition.update(date_projected=dt.date(2026, 10, 20), answer_due_date=dt.date(2026, 11, 1)).where(
        Petition.id == handed.id).execute()
    assert update_recipient_fields(handed, Actor.for_user(clerk), {"reference_field": "R-9"}) == {
        "reference_field": "R-9"}


@pytest.mark.gen_test
async def test_a_handover_date_on_a_closed_petition_is_the_handover(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    today = make.petition(status="to_process", organisation=organisation)
    later = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    form = {"status": "to_process", "reference_field": "", "answer_due_date": "", "note": ""}
    reply = await web.post(f"/workspace/petitions/{today.id}", {**form, "date_projected": "2026-11-24"})
    assert reply.code == 303
    assert Petition.get_by_id(today.id).status == "in_process"
    assert AuditEvent.select().where((AuditEvent.petition_id == today.id) & (AuditEvent.action == "status")
                                     & (AuditEvent.new_value == "in_process")).count() == 1
    # a handover planned for later keeps it closed, and in "needs attention" once that day has come
    reply = await web.post(f"/workspace/petitions/{later.id}", {**form, "date_projected": "2026-11-30"})
    assert reply.code == 303 and Petition.get_by_id(later.id).status == "to_process"
    clock.set_global(dt.datetime(2026, 11, 30, 9, 0))
    await web.sign_in(clerk)  # six days on, the session has passed its idle limit
    page = await web.get(f"/workspace/{organisation.slug}?show=no_handover")
    assert later.title in page.text and today.title not in page.text


@pytest.mark.gen_test
async def test_rejecting_with_a_note(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="in_process", organisation=organisation)
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/petitions/{petition.id}", {
        "status": "rejected", "date_projected": petition.date_projected.isoformat(), "reference_field": "",
        "answer_due_date": petition.answer_due_date.isoformat() if petition.answer_due_date else "",
        "note": "Not within our powers."})
    assert reply.code == 303
    rejected = Petition.get_by_id(petition.id)
    assert rejected.status == "rejected" and rejected.moderation_note == "Not within our powers."
    page = await web.get(f"/workspace/petitions/{petition.id}")
    assert "Note: Not within our powers." in page.text
    assert 'id="not-editable"' in page.text and 'name="status"' not in page.text


@pytest.mark.gen_test
async def test_a_refused_move_after_a_concurrent_change_says_what_is_allowed(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="staging", organisation=organisation)
    await web.sign_in(clerk)
    # fields may not change while a petition awaits moderation: a clear 409, not a 500
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "staging", "reference_field": "R-1"})
    assert reply.code == 409
    assert "can be set while a petition is live, to_process or in_process" in reply.text
    assert Petition.get_by_id(petition.id).reference_field is None


@pytest.mark.gen_test
async def test_the_form_needs_its_xsrf_token(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "in_process"}, xsrf=False)
    assert reply.code == 403
    assert Petition.get_by_id(petition.id).status == "to_process"


@pytest.mark.gen_test
async def test_history_shows_every_event_with_its_channel(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="live", organisation=organisation)
    transition(petition, "to_process", Actor.job("close_petitions"))
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "to_process", "reference_field": "W-1"})
    assert reply.code == 303
    html = (await web.get(f"/workspace/petitions/{petition.id}")).text
    history = html[html.index('id="history"'):]
    events = list(AuditEvent.select().where(AuditEvent.petition_id == petition.id))
    assert history.count("<li data-action=") == len(events) >= 4
    assert "job close_petitions · via scheduled job" in history and "test · via command line" in history
    assert "via web" in history and "Reference: (empty) → W-1" in history
    assert "Status: Open for signatures → Closed, awaiting handover" in history


# ---- export -----------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_csv_export_has_dates_references_counts_and_no_formulas_or_personal_data(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    lead = make.user(email="lead.person@example.org")
    petition = make.petition(status="live", organisation=organisation, lead=lead,
                             title="=HYPERLINK(\"http://evil.example\",\"click\")")
    make.signature(petition, email="signer.person@example.net")
    petition = transition(petition, "to_process", Actor.job("close_petitions"))
    update_recipient_fields(petition, Actor.system(), {"reference_field": "+SUM(A1:A9)",
                                                       "date_projected": "2026-11-30",
                                                       "answer_due_date": "2027-01-02"})
    make.petition(status="live", organisation=organisation, title="Plain one")
    make.petition(status="live", title="Another organisation's")
    await web.sign_in(clerk)
    reply = await web.get(f"/workspace/{organisation.slug}/export.csv")
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://evil.example","click")', "Plain one"]
    first = rows[0]
    assert first["reference_field"] == "'+SUM(A1:A9)"
    assert (first["status"], first["date_projected"], first["answer_due_date"], first["signature_count"]) == (
        "to_process", "2026-11-30", "2027-01-02", "1")
    assert "@" not in reply.text
    only_live = await web.get(f"/workspace/{organisation.slug}/export.csv?status=live")
    assert [r["title"] for r in csv.DictReader(io.StringIO(only_live.text))] == ["Plain one"]


@pytest.mark.gen_test
async def test_history_keeps_the_admins_hiding_reason_to_admins(web, make):
    from models import audit

    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition = make.petition(status="to_process", organisation=organisation)
    audit.record(petition.id, Actor.for_user(make.admin()), "hidden", note="Reported by the police: case 42")
    audit.record(petition.id, Actor.for_user(petition.lead_petitioner), "edited", field="description",
                 old="<p>" + "a" * 500 + "</p>", new="<p>short</p>")
    await web.sign_in(clerk)
    html = (await web.get(f"/workspace/petitions/{petition.id}")).text
    history = html[html.index('id="history"'):]
    assert "Hidden from public pages" in history and "case 42" not in history
    assert "a" * 100 not in history and "Edited" in history


@pytest.mark.gen_test
async def test_after_sign_in_a_member_lands_on_the_workspace_others_on_the_home_page(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    reply = await web.post("/signin", {"email": clerk.email, "password": "correct horse battery"})
    assert reply.code == 303 and reply.location == "/workspace"
    other = type(web)(web.http, web.base_url)
    reply = await other.post("/signin", {"email": make.user().email, "password": "correct horse battery"})
    assert reply.code == 303 and reply.location == "/"
    # an explicit next= still wins
    third = type(web)(web.http, web.base_url)
    reply = await third.post("/signin", {"email": clerk.email, "password": "correct horse battery",
                                         "next": "/responses"})
    assert reply.location == "/responses"
