"""Threshold milestones: the first time a petition's verified count reaches its organisation's
signature_threshold, the lead petitioner and the organisation are mailed, the history records it
and the petition.threshold_reached webhook fires, all once.

Once is guarded by the database, not by a check in Python: a single conditional UPDATE sets
Petition.threshold_reached_at only while it is empty and the stored count has reached the threshold.
Concurrent confirmations on PostgreSQL queue on the petition's row lock (the count increment takes
it), so the second UPDATE re-reads the row and finds the flag set; SQLite serialises writers.
"""
from models import audit, clock, mail, webhooks
from models.audit import Actor
from models.organisation import Organisation
from models.petition import Petition, _recipients_of_organisation

ACTOR = Actor("system", None, "signature threshold", "web")


def check_threshold(petition_id):
    """Record the milestone if this petition just reached its threshold. Call inside the transaction
    that changed the count. Returns True when this call recorded it."""
    # One statement on the hot path of every confirmation: it changes a row only the first time.
    threshold = (Organisation.select(Organisation.signature_threshold)
                 .where(Organisation.id == Petition.organisation))
    now = clock.now()
    taken = (Petition.update(threshold_reached_at=now)
             .where((Petition.id == petition_id) & Petition.threshold_reached_at.is_null()
                    & (Petition.signature_count >= threshold) & (threshold > 0)).execute())
    if not taken:
        return False
    petition = Petition.get_by_id(petition_id)
    threshold = petition.organisation.signature_threshold
    audit.record(petition.id, ACTOR, "threshold", field="signature_count", new=petition.signature_count,
                 note=f"reached the threshold of {threshold} verified signatures")
    lead = petition.lead_petitioner
    mail.enqueue(lead.email, "threshold_reached", petition=petition, user=lead, threshold=threshold,
                 for_organisation=False, dedupe_key=f"threshold:{petition.id}:{lead.email}"[:191])
    for address in _recipients_of_organisation(petition):
        if address != lead.email:
            mail.enqueue(address, "threshold_reached", petition=petition, user=None, threshold=threshold,
                         for_organisation=True, dedupe_key=f"threshold:{petition.id}:{address}"[:191])
    webhooks.petition_event("petition.threshold_reached", petition, threshold=threshold,
                            reached_at=now.isoformat())
    return True
