"""Open data (a petition as JSON and CSV, the nightly export) and the accountability figures, on
data with known answers, on both engines. No personal data in any of it."""
import csv
import datetime as dt
import gzip
import io
import json

import pytest

from jobs.scheduler import run_job
from models import accountability, answering, clock, config
from models.audit import Actor
from models.petition import Petition, transition, update_recipient_fields

SYSTEM = Actor.system("test")
PERSONAL = ("Visible Signer", "visible@example.net", "Hidden Signer", "hidden@example.net", "lead.x@example.org",
            "Lead Xavier", "secret comment")


def signed_petition(make):
    """A petition signed on two days: 3 signers in Oslo (as ' oslo', 'Oslo', 'OSLO'), 1 in Bergen, 2 without a city."""
    lead = make.user(email="lead.x@example.org", name="Lead Xavier")
    petition = make.petition(lead=lead, title="Open data petition")
    day1, day2 = dt.datetime(2026, 11, 2, 10, 0), dt.datetime(2026, 11, 3, 23, 30)
    with clock.frozen(day1):
        make.signature(petition, email="visible@example.net", full_name="Visible Signer", city="Oslo",
                       show_name=True, comment="secret comment")
        make.signature(petition, city=" oslo")
        make.signature(petition, city="Bergen")
    with clock.frozen(day2):
        make.signature(petition, email="hidden@example.net", full_name="Hidden Signer", city="OSLO")
        make.signature(petition)
        make.signature(petition)
        make.signature(petition, city="Tromsø", confirmed=False)  # not verified: not counted
    return Petition.get_by_id(petition.id)


@pytest.mark.gen_test
async def test_a_petition_as_json_and_csv(make, web):
    petition = signed_petition(make)
    reply = await web.get(f"/petitions/{petition.slug}.json")
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("application/json")
    data = reply.json()
    assert data["id"] == petition.id and data["status"] == "live" and data["signature_count"] == 6
    assert data["signatures_per_day"] == [{"date": "2026-11-02", "signatures": 3},
                                          {"date": "2026-11-03", "signatures": 3}]
    assert data["signatures_per_city"] == [{"city": "OSLO", "signatures": 3}, {"city": "(other)", "signatures": 1}]
    assert data["licence"] == config.current().open_data_licence
    reply_csv = await web.get(f"/petitions/{petition.slug}.csv")
    assert reply_csv.code == 200 and reply_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply_csv.text)))
    assert rows[0] == ["section", "key", "value"]
    assert ["petition", "signature_count", "6"] in rows
    assert ["signatures_per_day", "2026-11-02", "3"] in rows and ["signatures_per_city", "OSLO", "3"] in rows
    for text in (reply.text, reply_csv.text):
        for personal in PERSONAL:
            assert personal not in text
    page = await web.get(f"/petitions/{petition.slug}")
    assert f'href="/petitions/{petition.slug}.json"' in page.text


@pytest.mark.gen_test
async def test_a_petition_without_cities_and_petitions_that_are_not_public(make, web):
    petition = make.petition()
    make.signature(petition)
    data = (await web.get(f"/petitions/{petition.slug}.json")).json()
    assert data["signatures_per_city"] == [] and data["signature_count"] == 1
    draft = make.petition("concept")
    hidden = make.petition()
    Petition.update(hidden=True).where(Petition.id == hidden.id).execute()
    for slug in (draft.slug, hidden.slug, "no-such-petition"):
        for kind in ("json", "csv"):
            assert (await web.get(f"/petitions/{slug}.{kind}")).code == 404


@pytest.mark.gen_test
async def test_the_nightly_export_at_its_stable_address(make, web):
    config.configure(config.current().with_(open_data_licence="ODbL-1.0"))
    assert (await web.get("/open-data/petitions.jsonl.gz")).code == 404  # not built yet
    petition = signed_petition(make)
    other = make.petition("to_process")
    make.petition("concept")  # never public
    result = run_job("open_data_export", trigger="cli")
    assert result["outcome"] == "ok" and result["counts"]["petitions"] == 2
    lines = gzip.decompress((await web.get("/open-data/petitions.jsonl.gz")).body).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [petition.id, other.id]
    assert records[0]["signatures_per_city"][0] == {"city": "OSLO", "signatures": 3}
    assert {r["licence"] for r in records} == {"ODbL-1.0"}
    table = list(csv.DictReader(io.StringIO(gzip.decompress((await web.get("/open-data/petitions.csv.gz")).body)
                                            .decode())))
    assert [row["slug"] for row in table] == [petition.slug, other.slug] and table[0]["signature_count"] == "6"
    organisations = (await web.get("/open-data/organisations.json")).json()
    assert organisations["licence"] == "ODbL-1.0" and len(organisations["organisations"]) == 3
    index = await web.get("/open-data")
    assert "ODbL-1.0" in index.text and "petitions.jsonl.gz" in index.text
    everything = " ".join(lines) + json.dumps(table) + json.dumps(organisations)
    for personal in PERSONAL:
        assert personal not in everything
    assert (await web.get("/open-data/secrets.txt")).code == 404


def known_organisation(make):
    """Petitions with known answers: on time, late, overdue, awaiting, rejected after handover, live."""
    organisation = make.organisation(name="Known Council", slug="known-council")
    handover = dt.date(2026, 6, 1)

    def handed_over(due_days, title):
        with clock.frozen(dt.datetime(2026, 5, 1, 9)):
            petition = make.petition("in_process", organisation=organisation, title=title)
            update_recipient_fields(petition, SYSTEM, {"date_projected": handover.isoformat(),
                                                       "answer_due_date": (handover + dt.timedelta(days=due_days))
                                                       .isoformat()})
        return petition

    def answer(petition, days_after_handover):
        when = dt.datetime.combine(handover + dt.timedelta(days=days_after_handover), dt.time(12))
        with clock.frozen(when):
            response = answering.save_draft(organisation, SYSTEM, f"Answer to {petition.title}", "<p>Yes.</p>",
                                            [petition.id])
            answering.publish_response(response, SYSTEM)

    answer(handed_over(30, "On time"), 10)      # answered in 10 days, due in 30: on time
    answer(handed_over(20, "Late"), 40)         # answered in 40 days, due in 20: late
    handed_over(60, "Overdue")                  # due 2026-07-31, not answered: overdue on 2026-12-01
    with clock.frozen(dt.datetime(2026, 11, 20, 9)):
        make.petition("to_process", organisation=organisation, title="Awaiting handover")
        rejected = make.petition("to_process", organisation=organisation, title="Rejected after handover")
        transition(rejected, "rejected", SYSTEM, note="Not ours to decide.")
        make.petition("live", organisation=organisation, title="Still collecting")
        make.petition("rejected", organisation=organisation, title="Rejected in moderation")  # never received
    return organisation


EXPECTED = {"received": 5, "answered": 2, "rejected": 1, "awaiting": 2, "median_days_to_answer": 25,
            "answered_with_due_date": 2, "answered_on_time": 1, "on_time_share": 0.5, "overdue_count": 1}


def test_accountability_figures_on_known_data(make):
    organisation = known_organisation(make)
    quiet = make.organisation(name="Quiet Agency")
    figures = accountability.figures_for(organisation, today=dt.date(2026, 12, 1))
    assert {k: figures[k] for k in EXPECTED} == EXPECTED
    assert [(p["title"], p["answer_due_date"], p["days_overdue"]) for p in figures["overdue"]] == [
        ("Overdue", "2026-07-31", 123)]
    empty = accountability.figures_for(quiet, today=dt.date(2026, 12, 1))
    assert (empty["received"], empty["median_days_to_answer"], empty["on_time_share"]) == (0, None, None)


@pytest.mark.gen_test
async def test_accountability_pages(make, web):
    organisation = known_organisation(make)
    clock.set_global(dt.datetime(2026, 12, 1, 12))
    page = await web.get(f"/organisations/{organisation.slug}/accountability")
    assert page.code == 200
    assert '<dd data-figure="received">5</dd>' in page.text and "50% (1/2)" in page.text
    assert "Overdue" in page.text and ">123<" in page.text
    data = (await web.get(f"/organisations/{organisation.slug}/accountability.json")).json()
    assert {k: data[k] for k in EXPECTED} == EXPECTED
    comparison = await web.get("/accountability")
    assert comparison.code == 200 and 'data-organisation="known-council"' in comparison.text
    rows = (await web.get("/accountability.json")).json()["organisations"]
    assert {k: rows[0][k] for k in EXPECTED} == EXPECTED
    assert (await web.get("/organisations/nobody/accountability")).code == 404


def test_accountability_figures_of_the_demo_data(make):
    """The demo's known answers: Riverton answered its speed-limit petition 35 days after handover,
    5 days before it was due, and still has the night buses awaiting handover; Parliament's library
    petition is 10 days overdue; the Ministry's street trees are not due for another week."""
    from models import demo

    clock.set_global(clock.now())  # one "today" for the loading and the figures, even across midnight
    demo.load()
    figures = {row["organisation"]["slug"]: row for row in accountability.all_figures()}
    council = figures["riverton-city-council"]
    assert {k: council[k] for k in ("received", "answered", "rejected", "awaiting", "median_days_to_answer",
                                    "answered_on_time", "answered_with_due_date", "overdue_count")} == {
        "received": 2, "answered": 1, "rejected": 0, "awaiting": 1, "median_days_to_answer": 35,
        "answered_on_time": 1, "answered_with_due_date": 1, "overdue_count": 0}
    parliament = figures["national-parliament"]
    assert (parliament["received"], parliament["answered"], parliament["median_days_to_answer"]) == (1, 0, None)
    assert [(p["slug"], p["days_overdue"]) for p in parliament["overdue"]] == [
        ("restore-funding-for-rural-libraries", 10)]
    ministry = figures["ministry-of-environment"]
    assert (ministry["received"], ministry["awaiting"], ministry["overdue_count"]) == (1, 1, 0)
