"""The v1 read calls (petitions.eu): fields, count, skip, filters, newest first, hidden petitions,
test keys, and that no signer's name or email ever leaves."""
import datetime as dt

import pytest

from models.api import update_api_settings
from models.audit import Actor
from models.petition import Petition
from tests.support_api import call, new_key

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
T0 = dt.datetime(2026, 3, 1, 12, 0, 0)


def _three_petitions(make):
    org, other = make.organisation(name="Riverton Council"), make.organisation(name="Ministry")
    old = make.petition(organisation=org, title="Old petition about trees", created_at=T0)
    mid = make.petition(organisation=other, title="Middle petition about buses", created_at=T0 + dt.timedelta(days=1),
                        status="to_process")
    new = make.petition(organisation=org, title="New petition about parks", created_at=T0 + dt.timedelta(days=2),
                        statement="Because parks", request="Build a park")
    for petition in (old, mid, new):  # published when created: a petition's one creation time is its publication
        Petition.update(opens_at=petition.created_at).where(Petition.id == petition.id).execute()
    old, mid, new = (Petition.get_by_id(p.id) for p in (old, mid, new))
    return org, other, old, mid, new


@pytest.mark.gen_test
async def test_petitions_list_default_fields_newest_first_count_and_skip(web, make):
    org, other, old, mid, new = _three_petitions(make)
    make.petition(status="concept", organisation=org)  # never published: never listed
    _, token = new_key(make)
    reply = await call(web, "GET", "/api/v1/petitions", token=token)
    assert reply.code == 200
    data = reply.json()
    assert data["petitions"] == [{"id": new.id, "name": new.title}, {"id": mid.id, "name": mid.title},
                                 {"id": old.id, "name": old.title}]
    assert data["total"] == 3 and data["count"] == 3 and data["skip"] == 0
    page = (await call(web, "GET", "/api/v1/petitions?count=1&skip=1", token=token)).json()
    assert [p["id"] for p in page["petitions"]] == [mid.id] and page["total"] == 3
    # petitions.eu's own form: ?api_key= and braces around lists
    reply = await call(web, "GET", "/api/v1/petitions?language=en&fields={description,signatures_count,initiators}",
                       token=token, query_key=True)
    assert reply.code == 200
    first = reply.json()["petitions"][0]
    assert set(first) == {"id", "name", "description", "signatures_count", "initiators"}
    assert first["initiators"] == []  # the lead's name is only for the addressed organisation


@pytest.mark.gen_test
async def test_petitions_list_filters_and_optional_fields(web, make):
    org, other, old, mid, new = _three_petitions(make)
    make.signature(new)
    make.signature(new)
    _, token = new_key(make)
    reply = await call(web, "GET", f"/api/v1/petitions?organisations={org.slug},{other.id}&status=to_process"
                                   "&fields=status,created_at,date_projected,answer_due_date,statement,request,slug,"
                                   "organisation,url,signatures_count", token=token)
    assert reply.code == 200
    [item] = reply.json()["petitions"]
    assert item["id"] == mid.id and item["status"] == "to_process" and item["created_at"] == "2026-03-02T12:00:00Z"
    assert item["organisation"] == {"id": other.id, "name": "Ministry"} and item["url"].endswith(f"/petitions/{mid.slug}")
    only_org = (await call(web, "GET", f"/api/v1/petitions?organisations={org.id}&fields=signatures_count",
                           token=token)).json()
    assert [(p["id"], p["signatures_count"]) for p in only_org["petitions"]] == [(new.id, 2), (old.id, 0)]
    none = (await call(web, "GET", "/api/v1/petitions?language=nl", token=token)).json()
    assert none["petitions"] == [] and none["total"] == 0


@pytest.mark.gen_test
async def test_bad_parameters_answer_400_naming_the_parameter(web, make):
    _three_petitions(make)
    _, token = new_key(make)
    cases = {"count=0": "count", "count=1001": "count", "count=abc": "count", "skip=-1": "skip",
             "fields=email": "fields", "fields=signature_timestamps": "fields", "status=open": "status",
             "organisations=nowhere": "organisations", "language=xx": "language",
             "organisations=%27%3B%20DROP%20TABLE%20petition%3B--": "organisations", "count=1e3": "count",
             "fields=%00id%2Cemail": "fields"}
    for query, name in cases.items():
        reply = await call(web, "GET", f"/api/v1/petitions?{query}", token=token)
        assert reply.code == 400, (query, reply.code, reply.text)
        body = reply.json()
        assert name in body["fields"] and body["error"] == "invalid_parameter" and body["message"], query
    reply = await web.fetch("/api/v1/petitions?fields=%ff", headers={"Authorization": f"Bearer {token}"})
    assert reply.code == 400 and "UTF-8" in reply.json()["message"]
    assert Petition.select().count() == 3


@pytest.mark.gen_test
async def test_one_petition_by_id_or_slug_with_signature_timestamps(web, make):
    petition = make.petition(title="Clean the river", created_at=T0)
    signers = [make.signature(petition, full_name="Secret Person", email=f"secret{n}@example.net") for n in range(4)]
    for n, signature in enumerate(signers):
        signature.__class__.update(confirmed_at=T0 + dt.timedelta(hours=n)).where(
            signature.__class__.id == signature.id).execute()
    make.signature(petition, confirmed=False, email="pending@example.net")
    _, token = new_key(make)
    by_id = await call(web, "GET", f"/api/v1/petitions/{petition.id}", token=token)
    assert by_id.code == 200 and by_id.json() == {"id": petition.id, "name": "Clean the river",
                                                  "description": petition.description}
    by_slug = await call(web, "GET", f"/api/v1/petitions/{petition.slug}?fields=signatures_count,"
                                     "signature_timestamps,status&count=3", token=token)
    data = by_slug.json()
    assert data["signatures_count"] == 4 and data["status"] == "live"
    assert data["signature_timestamps"] == ["2026-03-01T15:00:00Z", "2026-03-01T14:00:00Z", "2026-03-01T13:00:00Z"]
    assert "secret" not in by_slug.text.lower() and "pending@" not in by_slug.text
    missing = await call(web, "GET", "/api/v1/petitions/no-such-petition", token=token)
    assert missing.code == 404 and missing.json()["error"] == "not_found"
    for weird in ("%00", "%C2%B2", "..%2F..%2Fetc", "1%27%20OR%201%3D1", "9" * 30):
        reply = await call(web, "GET", f"/api/v1/petitions/{weird}", token=token)
        assert reply.code == 404, (weird, reply.code, reply.text)


@pytest.mark.gen_test
async def test_test_keys_read_every_count_as_three(web, make):
    petition = make.petition()
    for _ in range(5):
        make.signature(petition)
    for n in range(4):
        make.petition(title=f"Another petition {n}")
    _, token = new_key(make, is_test=True)
    listed = (await call(web, "GET", "/api/v1/petitions?count=10&fields=signatures_count", token=token)).json()
    assert len(listed["petitions"]) == 3 and listed["total"] == 3
    one = (await call(web, "GET", f"/api/v1/petitions/{petition.id}?fields=signatures_count,signature_timestamps",
                      token=token)).json()
    assert one["signatures_count"] == 3 and len(one["signature_timestamps"]) == 3
    sigs = (await call(web, "GET", "/api/v1/signatures", token=token)).json()
    assert sigs["count"] == 3 and sigs["total"] == 3


@pytest.mark.gen_test
async def test_hidden_petitions_only_for_keys_of_the_addressed_organisation(web, make):
    org = make.organisation()
    lead = make.user(name="Lena Lead")
    hidden = make.petition(organisation=org, lead=lead, title="Quiet petition")
    shown = make.petition(organisation=org, title="Loud petition")
    update_api_settings(hidden, Actor.for_user(lead), api_enabled=False, allowed_domains="", hidden=True)
    make.signature(hidden)
    _, outsider = new_key(make)
    _, insider = new_key(make, scopes=("read", "update"), organisation=org)
    outside = (await call(web, "GET", "/api/v1/petitions", token=outsider)).json()
    assert [p["id"] for p in outside["petitions"]] == [shown.id]
    inside = (await call(web, "GET", "/api/v1/petitions?fields=initiators", token=insider)).json()
    assert {p["id"] for p in inside["petitions"]} == {hidden.id, shown.id}
    assert {"name": "Lena Lead"} in [i for p in inside["petitions"] for i in p["initiators"]]
    assert (await call(web, "GET", f"/api/v1/petitions/{hidden.slug}", token=outsider)).code == 404
    assert (await call(web, "GET", f"/api/v1/petitions/{hidden.slug}", token=insider)).code == 200
    assert (await call(web, "GET", "/api/v1/signatures", token=outsider)).json()["signatures"] == []
    assert len((await call(web, "GET", "/api/v1/signatures", token=insider)).json()["signatures"]) == 1
    assert (await call(web, "GET", f"/api/v1/signatures?petitions={hidden.id}", token=outsider)).code == 400


@pytest.mark.gen_test
async def test_signatures_are_timestamps_only_filtered_and_newest_first(web, make):
    org, other = make.organisation(name="Org A"), make.organisation(name="Org B")
    a, b = make.petition(organisation=org), make.petition(organisation=other)
    from models.signature import Signature

    for n, petition in enumerate([a, b, a, b, a]):
        signature = make.signature(petition, full_name="Private Name", email=f"private{n}@example.net", city="Town")
        Signature.update(confirmed_at=T0 + dt.timedelta(days=n)).where(Signature.id == signature.id).execute()
    make.signature(a, confirmed=False)
    _, token = new_key(make)
    reply = await call(web, "GET", "/api/v1/signatures", token=token)
    data = reply.json()
    assert [s["timestamp"] for s in data["signatures"]] == [f"2026-03-0{n}T12:00:00Z" for n in (5, 4, 3, 2, 1)]
    assert data["signatures"][0] == {"timestamp": "2026-03-05T12:00:00Z", "petition": {"id": a.id, "name": a.title},
                                     "organisation": {"id": org.id, "name": "Org A"}}
    assert "private" not in reply.text.lower() and "Town" not in reply.text
    only_a = (await call(web, "GET", f"/api/v1/signatures?petitions={a.slug}", token=token)).json()
    assert only_a["total"] == 3
    only_b = (await call(web, "GET", f"/api/v1/signatures?organisations={other.slug}&count=1", token=token)).json()
    assert only_b["count"] == 1 and only_b["total"] == 2 and only_b["signatures"][0]["petition"]["id"] == b.id
    window = (await call(web, "GET", "/api/v1/signatures?from=2026-03-02&to=2026-03-03", token=token)).json()
    assert [s["timestamp"][:10] for s in window["signatures"]] == ["2026-03-03", "2026-03-02"]
    timed = (await call(web, "GET", "/api/v1/signatures?from=2026-03-04T12:00:00Z", token=token)).json()
    assert timed["total"] == 2
    for query in ("count=1001", "from=yesterday", "to=2026-13-01", "petitions=nope"):
        reply = await call(web, "GET", f"/api/v1/signatures?{query}", token=token)
        assert reply.code == 400, query


@pytest.mark.gen_test
async def test_organisations_list_and_detail(web, make):
    org = make.organisation(name="Riverton Council", kind="council", description="The town")
    make.organisation(name="Alpha Ministry", kind="ministry")
    p1 = make.petition(organisation=org, created_at=T0)
    p2 = make.petition(organisation=org, created_at=T0 + dt.timedelta(days=1))
    _, token = new_key(make)
    listed = (await call(web, "GET", "/api/v1/organisations", token=token)).json()["organisations"]
    assert [(o["name"], o["kind"]) for o in listed][:2] == [("Alpha Ministry", "ministry"),
                                                            ("Riverton Council", "council")]
    detail = await call(web, "GET", f"/api/v1/organisations/{org.slug}?fields=slug,description,petitions_count,"
                                    "petitions,initiators", token=token)
    assert detail.code == 200
    assert detail.json() == {"id": org.id, "name": "Riverton Council", "kind": "council", "slug": org.slug,
                             "description": "The town", "petitions_count": 2,
                             "petitions": [{"id": p2.id, "name": p2.title}, {"id": p1.id, "name": p1.title}],
                             "initiators": []}
    _, own = new_key(make, organisation=org)
    mine = (await call(web, "GET", f"/api/v1/organisations/{org.id}?fields=initiators", token=own)).json()
    assert mine["initiators"] == sorted([{"name": p1.lead_petitioner.name}, {"name": p2.lead_petitioner.name}],
                                        key=lambda i: i["name"])
    assert (await call(web, "GET", f"/api/v1/organisations/{org.id}", token=token)).json()["name"] == org.name
    assert (await call(web, "GET", "/api/v1/organisations/nowhere", token=token)).code == 404
    assert (await call(web, "GET", "/api/v1/nothing-here", token=token)).code == 404
