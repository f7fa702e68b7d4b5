"""Open data: one public petition as JSON or CSV, and the whole-site export the nightly
open_data_export job writes (JSON lines and CSV, gzip) under <data dir>/open-data/.

What is published: status, dates, counts, verified signatures per day and per city where signers
gave one. Never names, addresses, emails or comments. Cities with fewer than MIN_CITY_SIGNERS
signers are counted together as "(other)", so that a small place cannot point at a person.
"""
import csv
import gzip
import io
import json
import os

import peewee as pw

from models import accountability, clock, config
from models.petition import Petition
from models.response import Response, ResponsePetition
from models.signature import Signature

MIN_CITY_SIGNERS = 3
OTHER_CITIES = "(other)"
FILES = {
    "petitions.jsonl.gz": "application/gzip",
    "petitions.csv.gz": "application/gzip",
    "organisations.json": "application/json; charset=UTF-8",
    "metadata.json": "application/json; charset=UTF-8",
}
CSV_COLUMNS = ["id", "slug", "title", "organisation_id", "organisation_slug", "status", "opens_at", "closes_at",
               "closed_at", "date_projected", "answer_due_date", "answered_at", "signature_count",
               "signature_threshold", "threshold_reached_at", "url"]


def export_dir():
    return config.current().data_dir / "open-data"


def _iso(value):
    return value.isoformat() if value is not None else None


def _day(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10]
    return value.isoformat()[:10]


def signatures_per_day(petition_id):
    day = pw.fn.DATE(Signature.confirmed_at)
    rows = (Signature.select(day.alias("day"), pw.fn.COUNT(Signature.id).alias("n"))
            .where((Signature.petition == petition_id) & Signature.confirmed_at.is_null(False))
            .group_by(day).order_by(day).dicts())
    return [{"date": _day(row["day"]), "signatures": row["n"]} for row in rows]


def signatures_per_city(petition_id):
    """Verified signatures per city (case and spaces ignored), small places counted as (other)."""
    key = pw.fn.LOWER(pw.fn.TRIM(Signature.city))
    rows = (Signature.select(key.alias("key"), pw.fn.MIN(pw.fn.TRIM(Signature.city)).alias("city"),
                             pw.fn.COUNT(Signature.id).alias("n"))
            .where((Signature.petition == petition_id) & Signature.confirmed_at.is_null(False)
                   & Signature.city.is_null(False) & (pw.fn.TRIM(Signature.city) != ""))
            .group_by(key).dicts())
    cities, other = [], 0
    for row in rows:
        if row["n"] >= MIN_CITY_SIGNERS:
            cities.append({"city": row["city"], "signatures": row["n"]})
        else:
            other += row["n"]
    cities.sort(key=lambda c: (-c["signatures"], c["city"].lower()))
    if other:
        cities.append({"city": OTHER_CITIES, "signatures": other})
    return cities


def _answered_at(petition_id):
    value = (Response.select(pw.fn.MIN(Response.published_at)).join(ResponsePetition)
             .where((ResponsePetition.petition == petition_id) & Response.published_at.is_null(False)).scalar())
    if isinstance(value, str):
        return value.replace(" ", "T")
    return _iso(value)


def petition_record(petition, detail=True):
    """A public petition as open data (a dict)."""
    base = config.current().base_url
    organisation = petition.organisation
    record = {
        "id": petition.id, "slug": petition.slug, "title": petition.title, "language": petition.language,
        "organisation": {"id": organisation.id, "slug": organisation.slug, "name": organisation.name},
        "status": petition.status,
        "opens_at": _iso(petition.opens_at), "closes_at": _iso(petition.closes_at),
        "closed_at": _iso(petition.closed_at), "date_projected": _iso(petition.date_projected),
        "answer_due_date": _iso(petition.answer_due_date), "answered_at": _answered_at(petition.id),
        "signature_count": petition.signature_count,
        "signature_threshold": organisation.signature_threshold,
        "threshold_reached_at": _iso(petition.threshold_reached_at),
        "url": f"{base}/petitions/{petition.slug}",
        "licence": config.current().open_data_licence,
    }
    if detail:
        record["signatures_per_day"] = signatures_per_day(petition.id)
        record["signatures_per_city"] = signatures_per_city(petition.id)
    return record


def petition_csv(petition):
    """One petition as CSV in long form: section, key, value (summary, per day, per city)."""
    record = petition_record(petition)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "value"])
    for name in CSV_COLUMNS:
        if name in ("organisation_id", "organisation_slug"):
            value = record["organisation"]["id" if name == "organisation_id" else "slug"]
        else:
            value = record.get(name)
        writer.writerow(["petition", name, _cell(value)])
    writer.writerow(["petition", "licence", record["licence"]])
    for row in record["signatures_per_day"]:
        writer.writerow(["signatures_per_day", row["date"], row["signatures"]])
    for row in record["signatures_per_city"]:
        writer.writerow(["signatures_per_city", _cell(row["city"]), row["signatures"]])
    return out.getvalue()


def _cell(value):
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def public_petition(key):
    """A public petition by slug or id, or NotFound."""
    return Petition.by_key(key, Petition.public())


# ---- the whole-site export ----------------------------------------------------------------------------

def _write_atomically(path, data: bytes):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_export(batch_size=500):
    """Rebuild the export files; returns counts. Each file is replaced whole (readers never see half)."""
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    lines, rows = io.BytesIO(), io.StringIO()
    writer = csv.writer(rows, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count, last_id = 0, 0
    with gzip.GzipFile(fileobj=lines, mode="wb", mtime=0) as jsonl:
        while True:
            batch = list(Petition.public().where(Petition.id > last_id).order_by(Petition.id).limit(batch_size))
            if not batch:
                break
            for petition in batch:
                record = petition_record(petition)
                jsonl.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
                writer.writerow([_cell(record["organisation"]["id"] if c == "organisation_id" else
                                       record["organisation"]["slug"] if c == "organisation_slug" else record.get(c))
                                 for c in CSV_COLUMNS])
                count += 1
            last_id = batch[-1].id
    generated = clock.now()
    figures = accountability.all_figures()
    metadata = {"generated_at": generated.isoformat() + "Z", "licence": config.current().open_data_licence,
                "petitions": count, "organisations": len(figures),
                "files": sorted(FILES), "base_url": config.current().base_url}
    _write_atomically(directory / "petitions.jsonl.gz", lines.getvalue())
    _write_atomically(directory / "petitions.csv.gz", gzip.compress(rows.getvalue().encode("utf-8"), mtime=0))
    _write_atomically(directory / "organisations.json",
                      json.dumps({"licence": metadata["licence"], "generated_at": metadata["generated_at"],
                                  "organisations": figures}, ensure_ascii=False, indent=1).encode("utf-8"))
    _write_atomically(directory / "metadata.json", json.dumps(metadata, indent=1).encode("utf-8"))
    return {"petitions": count, "organisations": len(figures)}


def export_metadata():
    path = export_dir() / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


__all__ = ["petition_record", "petition_csv", "write_export", "export_metadata", "public_petition"]
