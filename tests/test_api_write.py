"""PUT /api/v1/petitions/{id}: the recipient update through update_recipient_fields(), the same
function the workspace form calls, with the key as the audited actor."""
import datetime as dt
import json

import pytest

from models.apikey import revoke
from models.audit import Actor, AuditEvent, history
from models.mail import OutboxMessage
from models.petition import Petition, update_recipient_fields
from tests.support_api import call, new_key

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")


@pytest.mark.gen_test
async def test_put_updates_status_dates_and_reference(web, make):
    from models import clock

    clock.set_global(dt.datetime(2026, 4, 1, 9, 0))  # opened before the handover date, due date ahead
    org = make.organisation()
    petition = make.petition(status="to_process", organisation=org)
    key, token = new_key(make, scopes=("update",), organisation=org)
    body = {"status": "in_process", "date_projected": "2026-05-01", "reference_field": "REF-2026/17",
            "answer_due_date": "2026-08-01"}
    reply = await call(web, "PUT", f"/api/v1/petitions/{petition.id}", body, token=token)
    assert reply.code == 200, reply.text
    assert reply.json() == {"message": "Update request received.", "fields": body}
    stored = Petition.get_by_id(petition.id)
    assert (stored.status, stored.date_projected, stored.reference_field, stored.answer_due_date) == (
        "in_process", dt.date(2026, 5, 1), "REF-2026/17", dt.date(2026, 8, 1))
    events = list(history(petition.id).where(AuditEvent.created_at.is_null(False)))
    mine = [e for e in events if e.actor_kind == "api_key"]
    assert {(e.action, e.field) for e in mine} == {("status", "status"), ("field", "date_projected"),
                                                   ("field", "reference_field"), ("field", "answer_due_date")}
    assert all(e.actor_id == key.id and e.channel == "api" and key.prefix in e.actor_label for e in mine)
    # by slug, and via ?api_key=; the same values again change nothing
    again = await call(web, "PUT", f"/api/v1/petitions/{petition.slug}", {"reference_field": "REF-2026/17"},
                       token=token, query_key=True)
    assert again.code == 200 and again.json()["fields"] == {}


@pytest.mark.gen_test
async def test_put_refusals_name_the_field_or_the_allowed_moves(web, make):
    org = make.organisation()
    petition = make.petition(status="to_process", organisation=org)
    _, token = new_key(make, scopes=("update",), organisation=org)
    path = f"/api/v1/petitions/{petition.id}"
    refused = await call(web, "PUT", path, {"status": "completed"}, token=token)
    assert refused.code == 409 and refused.json()["error"] == "transition_refused"
    assert refused.json()["allowed"] == ["in_process", "rejected"] and "in_process" in refused.json()["message"]
    cases = [({"date_projected": "01-05-2026"}, "date_projected"), ({"answer_due_date": "2026-02-30"}, "answer_due_date"),
             ({"reference_field": "x" * 257}, "reference_field"), ({"reference_field": 12}, "reference_field"),
             ({"reference_field": "A\u0000B"}, "reference_field"),
             ({"status": "open"}, "status"), ({"status": None}, "status"), ({"colour": "red"}, "colour"),
             ({"date_projected": "2026-05-01", "answer_due_date": "2026-04-01"}, "answer_due_date")]
    for body, field in cases:
        reply = await call(web, "PUT", path, body, token=token)
        assert reply.code == 422, (body, reply.code, reply.text)
        assert field in reply.json()["fields"], (body, reply.text)
    for raw, error in [(b"{not json", "invalid_json"), (b"[1,2]", "invalid_json"), (b"\xff\xfe", "bad_request"),
                       (b"{}", "invalid_parameter"), (b"", "invalid_parameter"),
                       (b'{"a":' * 10000, "invalid_json")]:
        reply = await call(web, "PUT", path, raw=raw, token=token)
        assert reply.code == 400 and reply.json()["error"] == error and reply.json()["message"], (raw, reply.text)
    huge = await call(web, "PUT", path, raw=json.dumps({"reference_field": "x" * 70000}).encode(), token=token)
    assert huge.code == 413 and huge.json()["error"] == "body_too_large"
    stored = Petition.get_by_id(petition.id)
    assert (stored.status, stored.date_projected, stored.reference_field) == ("to_process", None, None)
    assert not AuditEvent.select().where(AuditEvent.actor_kind == "api_key").exists()


@pytest.mark.gen_test
async def test_put_refused_for_other_organisations_test_keys_and_missing_scope(web, make):
    org, other = make.organisation(), make.organisation()
    petition = make.petition(status="to_process", organisation=org)
    path = f"/api/v1/petitions/{petition.id}"
    body = {"reference_field": "X"}
    _, foreign = new_key(make, scopes=("update",), organisation=other)
    reply = await call(web, "PUT", path, body, token=foreign)
    assert reply.code == 403 and reply.json()["error"] == "forbidden"
    _, test_token = new_key(make, scopes=("update",), organisation=org, is_test=True)
    reply = await call(web, "PUT", path, body, token=test_token)
    assert reply.code == 403 and reply.json()["error"] == "test_key"
    _, reader = new_key(make, scopes=("read", "create"), organisation=org)
    reply = await call(web, "PUT", path, body, token=reader)
    assert reply.code == 403 and reply.json()["error"] == "scope_missing" and "update" in reply.json()["message"]
    key, token = new_key(make, scopes=("update",), organisation=org)
    revoke(key)
    reply = await call(web, "PUT", path, body, token=token)
    assert reply.code == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await call(web, "PUT", path, body)).json()["error"] == "api_key_missing"
    assert Petition.get_by_id(petition.id).reference_field is None


def _comparable(events):
    return [(e.action, e.field, e.old_value, e.new_value, e.note, e.created_at) for e in events]


@pytest.mark.gen_test
async def test_put_and_workspace_function_write_identical_audit_events(web, make):
    """The PUT and the workspace's call of update_recipient_fields() leave the same trail."""
    from models import clock

    clock.set_global(dt.datetime(2026, 4, 1, 9, 0, 0))  # opened before the handover date
    org = make.organisation()
    clerk = make.clerk(org)
    by_api = make.petition(status="to_process", organisation=org)
    by_web = make.petition(status="to_process", organisation=org)
    _, token = new_key(make, scopes=("update",), organisation=org)
    changes = {"status": "in_process", "date_projected": "2026-05-01", "reference_field": "R-1"}
    clock.set_global(dt.datetime(2026, 5, 1, 9, 0, 0))
    marker = AuditEvent.select().count()
    reply = await call(web, "PUT", f"/api/v1/petitions/{by_api.id}", changes, token=token)
    assert reply.code == 200
    web_changed = update_recipient_fields(by_web, Actor.for_user(clerk), dict(changes))
    assert web_changed == reply.json()["fields"]
    api_events = [e for e in history(by_api.id) if e.id > marker]
    web_events = [e for e in history(by_web.id) if e.id > marker]
    assert len(api_events) >= 3 and _comparable(api_events) == _comparable(web_events)
    assert {e.actor_kind for e in api_events} == {"api_key"} and {e.actor_kind for e in web_events} == {"user"}
    mails = [m.kind for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert mails.count("recipient_update") == 2 and mails.count("status_changed") == 2


@pytest.mark.gen_test
async def test_a_key_stops_speaking_for_an_organisation_its_owner_left(web, make):
    from models.user import Membership

    org = make.organisation()
    petition = make.petition(status="to_process", organisation=org)
    clerk = make.clerk(org)
    _, token = new_key(make, scopes=("read", "update"), organisation=org, user=clerk)
    assert (await call(web, "PUT", f"/api/v1/petitions/{petition.id}", {"reference_field": "A"}, token=token)).code == 200
    Membership.delete().where(Membership.user == clerk.id).execute()
    for method, body in (("PUT", {"reference_field": "B"}), ("GET", None)):
        reply = await call(web, method, f"/api/v1/petitions/{petition.id}", body, token=token)
        assert reply.code == 403 and reply.json()["error"] == "key_owner_left_organisation", reply.text
    assert Petition.get_by_id(petition.id).reference_field == "A"
