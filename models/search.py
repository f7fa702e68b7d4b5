"""Full-text search over every public petition (open, closed, answered, rejected), ranked.

PostgreSQL: a tsvector in the petition's own language's text-search configuration (title weighted
above the request, above the rest), matched with websearch_to_tsquery and ranked by ts_rank; the
expression is the one migration 0009 indexes with GIN (keep them identical).
SQLite: the FTS5 table `petition_search` (porter stemming, diacritics folded), ranked by bm25 with
the same weights. Filters: status group and organisation.
"""
import re

import peewee as pw

from models.db import db, is_postgres
from models.i18n import N_
from models.organisation import Organisation
from models.petition import Petition

# status groups a citizen filters by (label, statuses)
STATUS_GROUPS = {
    "open": (N_("Open for signatures"), ("live",)),
    "closed": (N_("Closed, awaiting an answer"), ("to_process", "in_process")),
    "answered": (N_("Answered"), ("completed",)),
    "rejected": (N_("Rejected"), ("rejected",)),
}
MAX_WORDS = 12

PG_CONFIG = ("CASE language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'de' THEN 'german'::regconfig "
             "WHEN 'fr' THEN 'french'::regconfig WHEN 'es' THEN 'spanish'::regconfig "
             "WHEN 'it' THEN 'italian'::regconfig WHEN 'sv' THEN 'swedish'::regconfig "
             "WHEN 'da' THEN 'danish'::regconfig WHEN 'nb' THEN 'norwegian'::regconfig "
             "WHEN 'fi' THEN 'finnish'::regconfig WHEN 'pt' THEN 'portuguese'::regconfig "
             "WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END")
PG_DOCUMENT = ("setweight(to_tsvector(" + PG_CONFIG + ", coalesce(title, '')), 'A') || "
               "setweight(to_tsvector(" + PG_CONFIG + ", coalesce(request, '')), 'B') || "
               "setweight(to_tsvector(" + PG_CONFIG + ", coalesce(statement, '') || ' ' || "
               "coalesce(description, '')), 'C')")


def _words(text):
    return re.findall(r"\w+", text or "")[:MAX_WORDS]


def ranked_ids(text):
    """[(petition id, rank)] best first, for every petition whose text matches all the words."""
    words = _words(text)
    if not words:
        return []
    if is_postgres():
        sql = (f'SELECT id, ts_rank({PG_DOCUMENT}, websearch_to_tsquery({PG_CONFIG}, %s)) AS rank '
               f'FROM "petition" WHERE ({PG_DOCUMENT}) @@ websearch_to_tsquery({PG_CONFIG}, %s) '
               'ORDER BY rank DESC, id DESC')
        phrase = " ".join(words)
        return [(row[0], row[1]) for row in db.execute_sql(sql, (phrase, phrase)).fetchall()]
    match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    sql = ('SELECT rowid, bm25(petition_search, 10.0, 5.0, 1.0) AS rank FROM petition_search '
           'WHERE petition_search MATCH ? ORDER BY rank, rowid DESC')
    return [(row[0], -row[1]) for row in db.execute_sql(sql, (match,)).fetchall()]


def search_public(text="", status="", organisation=None):
    """(query, ranked): public petitions matching `text` (best first) or, without words, the
    newest first; `status` one of STATUS_GROUPS, `organisation` an Organisation or None."""
    query = Petition.public()
    if status in STATUS_GROUPS:
        query = query.where(Petition.status.in_(STATUS_GROUPS[status][1]))
    if organisation is not None:
        query = query.where(Petition.organisation == organisation)
    if not _words(text):
        return query.order_by(Petition.opens_at.desc(nulls="LAST"), Petition.id.desc()), False
    ids = [petition_id for petition_id, _rank in ranked_ids(text)]
    if not ids:
        return query.where(pw.SQL("1 = 0")), True
    order = pw.Case(Petition.id, [(petition_id, position) for position, petition_id in enumerate(ids)], len(ids))
    return query.where(Petition.id.in_(ids)).order_by(order), True


def organisations_with_public_petitions():
    return (Organisation.select().where(Organisation.id.in_(Petition.public().select(Petition.organisation)))
            .order_by(Organisation.name))
