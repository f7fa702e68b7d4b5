"""Public accountability: how each organisation answers the petitions it receives.

Figures per organisation (public petitions only; hidden ones are left out everywhere public):
- received: petitions addressed to it that closed and so reached it (closed_at is set);
- answered: completed (a response was published); rejected: rejected after they reached it;
- awaiting: to_process or in_process now;
- median_days_to_answer: median of (answer date - handover date) in days over answered petitions
  with a handover date; the answer date is the day the first response to it was published;
- answered_on_time / answered_with_due_date / on_time_share: of the answered petitions that had an
  answer-due date, how many were answered on or before it;
- overdue: awaiting petitions whose answer-due date is before today (listed).
Computed in Python from a few plain queries, so both engines give the same numbers.
"""
import statistics

import peewee as pw

from models import clock
from models.organisation import Organisation
from models.petition import Petition
from models.response import Response, ResponsePetition


def _answer_dates(petition_ids):
    if not petition_ids:
        return {}
    rows = (ResponsePetition.select(ResponsePetition.petition, pw.fn.MIN(Response.published_at).alias("first"))
            .join(Response)
            .where(ResponsePetition.petition.in_(petition_ids) & Response.published_at.is_null(False))
            .group_by(ResponsePetition.petition).dicts())
    return {row["petition"]: _as_date(row["first"]) for row in rows}


def _as_date(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text from an aggregate
        from models.clock import parse_iso

        return parse_iso(value.replace(" ", "T")).date()
    return value.date() if hasattr(value, "date") else value


def figures_for(organisation, today=None, petitions=None):
    """The figures of one organisation (a dict; see the module's docstring)."""
    today = today or clock.today()
    if petitions is None:
        petitions = list(Petition.public().where(Petition.organisation == organisation))
    received = [p for p in petitions if p.closed_at is not None]
    answered = [p for p in received if p.status == "completed"]
    answer_dates = _answer_dates([p.id for p in answered])
    days = [(answer_dates[p.id] - p.date_projected).days for p in answered
            if p.date_projected is not None and answer_dates.get(p.id) is not None]
    with_due = [p for p in answered if p.answer_due_date is not None and answer_dates.get(p.id) is not None]
    on_time = [p for p in with_due if answer_dates[p.id] <= p.answer_due_date]
    awaiting = [p for p in received if p.status in ("to_process", "in_process")]
    overdue = sorted((p for p in awaiting if p.answer_due_date is not None and p.answer_due_date < today),
                     key=lambda p: (p.answer_due_date, p.id))
    return {
        "organisation": {"id": organisation.id, "slug": organisation.slug, "name": organisation.name,
                         "kind": organisation.kind},
        "received": len(received),
        "answered": len(answered),
        "rejected": len([p for p in received if p.status == "rejected"]),
        "awaiting": len(awaiting),
        "median_days_to_answer": statistics.median(days) if days else None,
        "answered_with_due_date": len(with_due),
        "answered_on_time": len(on_time),
        "on_time_share": round(len(on_time) / len(with_due), 4) if with_due else None,
        "overdue_count": len(overdue),
        "overdue": [{"id": p.id, "slug": p.slug, "title": p.title, "answer_due_date": p.answer_due_date.isoformat(),
                     "days_overdue": (today - p.answer_due_date).days} for p in overdue],
        "as_of": today.isoformat(),
    }


def all_figures(today=None):
    """Every organisation's figures, in name order (one query for the petitions)."""
    today = today or clock.today()
    by_organisation = {}
    for petition in Petition.public():
        by_organisation.setdefault(petition.organisation_id, []).append(petition)
    return [figures_for(o, today, by_organisation.get(o.id, []))
            for o in Organisation.select().order_by(Organisation.name, Organisation.id)]
