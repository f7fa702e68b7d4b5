"""The transition table: every allowed move, refused moves naming the allowed ones, audit events."""
import datetime as dt

import pytest

from models import clock
from models.audit import Actor, AuditEvent
from models.errors import InvalidInput, NotAllowed, TransitionRefused
from models.petition import TRANSITIONS, Petition, allowed_moves, transition, update_recipient_fields
from models.response import Response, ResponsePetition

ROLE_ACTOR = {
    "petitioner": lambda p, make: Actor.for_user(p.lead_petitioner),
    "moderator": lambda p, make: Actor.for_user(make.moderator()),
    "clerk": lambda p, make: Actor.for_user(make.clerk(p.organisation)),
    "job": lambda p, make: Actor.job("test"),
}
START = {"concept": "concept", "staging": "staging", "live": "live", "to_process": "to_process",
         "in_process": "in_process"}


@pytest.mark.parametrize("move", sorted(TRANSITIONS), ids=lambda m: f"{m[0]}->{m[1]}")
def test_every_allowed_move_by_every_allowed_role(make, move):
    frm, to = move
    for role in sorted(TRANSITIONS[move].who):
        petition = make.petition(status=START[frm])
        actor = ROLE_ACTOR[role](petition, make)
        response = None
        if TRANSITIONS[move].needs_response:
            response = Response.create(organisation=petition.organisation, title="Answer", body="<p>a</p>")
            ResponsePetition.create(response=response, petition=petition)
        moved = transition(petition, to, actor, note="because", response=response)
        assert moved.status == to
        event = AuditEvent.select().where(AuditEvent.petition_id == petition.id).order_by(AuditEvent.id.desc()).first()
        if event.field == "date_projected":  # to in_process also records the handover
            event = AuditEvent.get_by_id(event.id - 1)
        assert (event.old_value, event.new_value, event.actor_kind) == (frm, to, actor.kind)


@pytest.mark.parametrize("frm,to", [("concept", "live"), ("live", "completed"), ("to_process", "live"),
                                    ("in_process", "to_process"), ("staging", "in_process")])
def test_moves_outside_the_table_are_refused_naming_allowed_moves(make, frm, to):
    petition = make.petition(status=frm)
    with pytest.raises(TransitionRefused) as refused:
        transition(petition, to, Actor.system())
    assert refused.value.allowed == allowed_moves(petition, Actor.system())
    assert "Allowed moves from " + frm in refused.value.message
    assert Petition.get_by_id(petition.id).status == frm


def test_a_role_outside_the_move_is_refused(make):
    petition = make.petition(status="concept")
    clerk = make.clerk(petition.organisation)
    with pytest.raises(TransitionRefused) as refused:
        transition(petition, "staging", Actor.for_user(clerk))
    assert "not yours to do" in refused.value.message
    stranger = make.user()
    with pytest.raises(TransitionRefused):
        transition(make.petition(status="to_process"), "in_process", Actor.for_user(stranger))


def test_publishing_sets_dates_and_closing_mails_the_organisation(make):
    petition = make.petition(status="staging")
    live = transition(petition, "live", Actor.for_user(make.moderator()))
    assert live.opens_at is not None and live.closes_at > live.opens_at
    closed = transition(live, "to_process", Actor.job("close_petitions"))
    assert closed.closed_at is not None
    from models.mail import OutboxMessage

    kinds = [m.kind for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert kinds == ["status_changed", "status_changed", "petition_closed"]


def test_notes_are_required_to_send_back_and_reject(make):
    petition = make.petition(status="staging")
    with pytest.raises(InvalidInput) as error:
        transition(petition, "rejected", Actor.for_user(make.moderator()))
    assert "note" in error.value.fields


def test_completing_needs_a_response(make):
    petition = make.petition(status="in_process")
    with pytest.raises(TransitionRefused) as refused:
        transition(petition, "completed", Actor.for_user(make.clerk(petition.organisation)))
    assert "publishing a response" in refused.value.message


def test_only_an_admin_reopens_a_terminal_petition(make):
    petition = make.petition(status="withdrawn")
    assert "live" not in allowed_moves(petition, Actor.for_user(petition.lead_petitioner))
    reopened = transition(petition, "live", Actor.for_user(make.admin()))
    assert reopened.status == "live"
    assert AuditEvent.select().where(AuditEvent.action == "reopen").count() == 1


def test_recipient_fields_rules(make):
    clock.set_global(dt.datetime(2026, 1, 15, 9, 0))  # opened before the handover date, due dates ahead
    petition = make.petition(status="to_process")
    clerk = Actor.for_user(make.clerk(petition.organisation))
    changed = update_recipient_fields(petition, clerk, {"status": "in_process", "date_projected": "2026-03-01",
                                                        "reference_field": "REF-1", "answer_due_date": "2026-05-01"})
    assert changed == {"status": "in_process", "date_projected": "2026-03-01", "reference_field": "REF-1",
                       "answer_due_date": "2026-05-01"}
    with pytest.raises(InvalidInput) as error:
        update_recipient_fields(petition, clerk, {"answer_due_date": "2026-02-01"})
    assert "answer_due_date" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        update_recipient_fields(petition, clerk, {"reference_field": "x" * 257, "date_projected": "31-12-2026"})
    assert set(error.value.fields) == {"reference_field", "date_projected"}
    other = Actor.for_user(make.clerk(make.organisation()))
    with pytest.raises(NotAllowed):
        update_recipient_fields(petition, other, {"reference_field": "mine"})
    unchanged = Petition.get_by_id(petition.id)
    assert unchanged.reference_field == "REF-1" and str(unchanged.answer_due_date) == "2026-05-01"


def test_a_refused_status_leaves_fields_unwritten(make):
    petition = make.petition(status="to_process")
    clerk = Actor.for_user(make.clerk(petition.organisation))
    with pytest.raises(TransitionRefused):
        update_recipient_fields(petition, clerk, {"status": "live", "reference_field": "never"})
    assert Petition.get_by_id(petition.id).reference_field is None
