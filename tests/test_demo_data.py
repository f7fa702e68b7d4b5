"""The demo data tells a coherent story: created ≤ submitted ≤ opened ≤ closed ≤ handover ≤ answered,
modified ≥ created, and nothing in the future (issue 11)."""
from models import clock, demo
from models.audit import AuditEvent
from models.petition import Petition
from models.response import Response, ResponsePetition
from models.signature import Signature


def test_demo_dates_are_in_order_and_never_in_the_future():
    demo.load()
    now = clock.now()
    petitions = list(Petition.select())
    assert len(petitions) >= 10
    for p in petitions:
        chain = [p.created_at, p.submitted_at, p.opens_at, p.closed_at]
        known = [t for t in chain if t is not None]
        assert known == sorted(known), (p.title, chain)
        assert p.updated_at >= p.created_at, p.title
        assert all(t <= now for t in known + [p.updated_at]), p.title
        if p.date_projected:
            assert p.opens_at.date() <= p.date_projected <= now.date(), p.title
            if p.closed_at:
                assert p.closed_at.date() <= p.date_projected, p.title
        answer = (Response.select().join(ResponsePetition).where(ResponsePetition.petition == p.id)
                  .where(Response.published_at.is_null(False)).first())
        if answer:
            assert p.date_projected <= answer.published_at.date() <= now.date(), p.title
            assert answer.created_at <= answer.published_at
        if p.status == "staging":
            assert p.submitted_at >= p.created_at
    for s in Signature.select(Signature, Petition).join(Petition):
        assert s.created_at <= now and (s.confirmed_at is None or s.created_at <= s.confirmed_at <= now)
        assert s.petition.opens_at <= s.created_at
        if s.petition.closed_at:
            assert s.created_at <= s.petition.closed_at
    assert not AuditEvent.select().where(AuditEvent.created_at > now).exists()
    for event in AuditEvent.select().where(AuditEvent.petition_id.is_null(False)):
        assert event.created_at >= Petition.get_by_id(event.petition_id).created_at
