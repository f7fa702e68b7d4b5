"""Issue 12: the seeds' own examples work as written, and every dialect keeps the same promises.

Over real HTTP, on SQLite and PostgreSQL: seed 003's (petitions.eu) and seed 000's (Forbrukermakt)
examples replayed literally (host and key adapted); hidden petitions, the refusal order, CORS on
errors, test keys, creation times, OSDI addresses and read-back, and We the People's XML bodies in
each dialect.
"""
import datetime as dt
import json
from urllib.parse import quote

import pytest

from models import clock
from models.api import update_api_settings
from models.apikey import authenticate
from models.audit import Actor
from models.osdi import OsdiIdentifier
from models.petition import Petition
from models.signature import Signature
from tests.support_api import call, new_key
from tests.support_dialects import osdi_headers, post_json, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
OSDI = "/api/osdi/v1"
ORIGIN = "https://forms.example.org"


def with_api(make, petition, enabled=True, domains="forms.example.org\nlocalhost\n127.0.0.1:8000", hidden=False):
    update_api_settings(petition, Actor.for_user(petition.lead_petitioner), api_enabled=enabled,
                        allowed_domains=domains, hidden=hidden)
    return Petition.get_by_id(petition.id)


def wtp_info(reply):
    return reply.json()["metadata"]["responseInfo"]


def osdi_error(reply):
    return reply.json()["osdi:error"]["resource_status"][0]["error_descriptions"][0]


# ---- seed 003 (petitions.eu), replayed literally ------------------------------------------------------

@pytest.fixture
def petitions_eu(make):
    """Two organisations with petitions in Dutch (the seed's default language), signed and confirmed."""
    org1, org2 = make.organisation(name="Gemeente Utrecht"), make.organisation(name="Tweede Kamer")
    pet1 = make.petition(organisation=org1, title="Meer bomen in de stad", language="nl", statement="Schaduw.")
    pet2 = make.petition(organisation=org2, title="Een beter openbaar vervoer", language="nl")
    for petition in (pet1, pet1, pet2):
        make.signature(petition)
    _key, key = new_key(make, scopes=("read", "create", "update"), organisation=org1)
    return {"org1": org1, "org2": org2, "pet1": Petition.get_by_id(pet1.id), "pet2": Petition.get_by_id(pet2.id),
            "key": key}


@pytest.mark.gen_test
async def test_seed_003_read_examples_as_written(web, petitions_eu):
    s = petitions_eu
    k, o1, o2, p1, p2 = s["key"], s["org1"].id, s["org2"].id, s["pet1"].id, s["pet2"].id
    today = clock.today().isoformat()
    # List of petitions
    reply = await web.get(f"/api/v1/petitions?api_key={k}&language=nl&count={{10}}&organisations={{{o1},{o2}}}"
                          r"&fields={description,signatures\_count,initiators}")
    assert reply.code == 200, reply.text
    listed = {p["id"]: p for p in reply.json()["petitions"]}
    assert set(listed) == {p1, p2} and listed[p1]["signatures_count"] == 2 and "description" in listed[p1]
    # One petition (the seed's "..." stands for further fields)
    reply = await web.get(f"/api/v1/petitions/{p1}?api_key={k}&language=nl"
                          r"&fields={description,signatures\_count,...,signature\_timestamps}")
    assert reply.code == 200, reply.text
    assert reply.json()["signatures_count"] == 2 and len(reply.json()["signature_timestamps"]) == 2
    # List of signatures
    reply = await web.get(f"/api/v1/signatures?api_key={k}&language=nl&petitions={{{p1},{p2}}}"
                          f"&organisations={{{o1},{o2}}}&count={{100}}&from={{{today}}}&to={{{today}}}")
    assert reply.code == 200, reply.text
    assert reply.json()["count"] == 3 and {s["petition"]["id"] for s in reply.json()["signatures"]} == {p1, p2}
    # List of all organisations
    reply = await web.get(f"/api/v1/organisations?api_key={k}&language=nl")
    assert reply.code == 200 and {o["id"] for o in reply.json()["organisations"]} >= {o1, o2}
    # Use cases: description + chart; initiators addressing an organisation
    reply = await web.get(f"/api/v1/petitions/{p1}?api_key={k}&language=nl"
                          r"&fields={name,description,signature\_timestamps}")
    assert reply.code == 200 and len(reply.json()["signature_timestamps"]) == 2
    reply = await web.get(f"/api/v1/organisations/{o1}?api_key={k}&language=nl&fields={{initiators}}")
    assert reply.code == 200 and len(reply.json()["initiators"]) == 1
    # Braces on every parameter, scalar or list: skip, language, status, count
    reply = await web.get(f"/api/v1/petitions?api_key={k}&language={{nl}}&skip={{0}}&count={{1}}&status={{live}}")
    assert reply.code == 200 and reply.json()["count"] == 1 and reply.json()["total"] == 2


@pytest.mark.gen_test
async def test_braced_values_still_wrong_name_the_parameter_and_the_form(web, petitions_eu):
    k = petitions_eu["key"]
    cases = {"count={ten}": ("count", "count={1}"), "skip={-1}": ("skip", "skip={0}"),
             "from={yesterday}": ("from", "from={2026-01-31"), "language={xx}": ("language", "language={en}"),
             "count={1,2}": ("count", "count={1}"), "status={open}": ("status", "status={live,completed}")}
    for query, (name, form) in cases.items():
        reply = await web.get(f"/api/v1/signatures?api_key={k}&{query}" if name in ("from",)
                              else f"/api/v1/petitions?api_key={k}&{query}")
        assert reply.code == 400, query
        body = reply.json()
        assert list(body["fields"]) == [name] and form in body["message"], (query, body)


@pytest.mark.gen_test
async def test_seed_003_post_signature_and_its_errors_as_written(web, make, petitions_eu):
    k, petition = petitions_eu["key"], petitions_eu["pet1"]
    with_api(make, petition)
    path = f"/api/v1/petitions/{petition.id}/signature?api_key={k}&language=nl"
    seed_body = {"name": "Firstname Lastname", "email": "user@provider.tld", "city": "Place", "visible": 1}
    reply = await post_json(web, path, seed_body)
    assert reply.code == 200 and reply.json() == {"message": "Thank you, confirmation e-mail will be sent"}
    assert Signature.get(Signature.email == "user@provider.tld").show_name is True
    # "visibility" (the seed's prose) is read like "visible"
    reply = await post_json(web, path, {"name": "A. Person", "email": "a@provider.tld", "visibility": 1})
    assert reply.code == 200, reply.text
    assert Signature.get(Signature.email == "a@provider.tld").show_name is True
    # out: failed 400 {"error": "Required fields missing", "fields": [...]}
    reply = await post_json(web, path, {"city": "Place"})
    body = reply.json()
    assert reply.code == 400 and body["error"] == "Required fields missing"
    assert isinstance(body["fields"], list) and sorted(body["fields"]) == ["email", "name"]
    reply = await post_json(web, path, {"name": "Nobody", "email": "x@provider.tld"})
    assert reply.code == 400 and reply.json()["error"] == "Invalid fields" and reply.json()["fields"] == ["name"]


@pytest.mark.gen_test
async def test_seed_003_put_as_written(web, make, petitions_eu):
    k = petitions_eu["key"]
    petition = make.petition(organisation=petitions_eu["org1"], status="to_process", language="nl")
    body = {"status": "in_process", "date_projected": "2027-01-10", "reference_field": "2027/INT/1",
            "answer_due_date": "2027-03-01"}
    reply = await post_json(web, f"/api/v1/petitions/{petition.id}?api_key={k}&language=nl", body, method="PUT")
    assert reply.code == 200, reply.text
    assert reply.json()["fields"]["status"] == "in_process"


@pytest.mark.gen_test
async def test_seed_003_test_key_gives_a_fixed_count_of_3(web, make, petitions_eu):
    _key, test = new_key(make, is_test=True)
    p1 = petitions_eu["pet1"].id
    reply = await web.get(f"/api/v1/petitions?api_key={test}&count={{10}}&fields={{signatures_count}}")
    assert reply.json()["total"] == 3 and all(p["signatures_count"] == 3 for p in reply.json()["petitions"])
    reply = await web.get(f"/api/v1/petitions/{p1}?api_key={test}&fields={{signatures_count,signature_timestamps}}")
    assert reply.json()["signatures_count"] == 3


# ---- seed 000 (Forbrukermakt), replayed literally -------------------------------------------------------

@pytest.mark.gen_test
async def test_seed_000_curl_examples_as_written(web, make):
    petition = with_api(make, make.petition(slug="my-petition", title="My petition about the campaign"))
    _key, secret = new_key(make, scopes=("create",))
    headers = {"Authorization": f"Bearer {secret}", "Origin": "https://forms.example.org",
               "Content-Type": "application/json"}
    data = '{ "full_name":"Jane Doe", "email":"jane@example.org", "accept_terms":true }'
    reply = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=data, headers=headers)
    assert reply.code == 202, reply.text
    assert reply.headers["Access-Control-Allow-Origin"] == "https://forms.example.org"
    body = ('{ "full_name": "Jane Doe", "email": "jane.doe@example.org", "accept_terms": true, '
            '"show_name_public": false, "comment": "I support this campaign." }')
    assert (await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=body,
                            headers=headers)).code == 202
    reply = await web.get("/api/v1/petitions/my-petition/signature-count")
    assert reply.code == 200 and reply.json()["signature_count"] == 0  # verified only
    assert petition.id == reply.json()["id"]
    # The seed's causes, each with its own code: duplicate, origin, token without create, fields
    duplicate = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=data, headers=headers)
    assert duplicate.code == 409 and duplicate.json()["error"] == "already_signed"
    elsewhere = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=data,
                                headers={**headers, "Origin": "https://evil.example"})
    assert elsewhere.code == 403 and elsewhere.json()["error"] == "origin_not_allowed"
    _key, reader = new_key(make, scopes=("read",))
    no_create = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=data,
                                headers={**headers, "Authorization": f"Bearer {reader}"})
    assert no_create.code == 403 and no_create.json()["error"] == "scope_missing"
    fields = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST",
                             body='{"full_name": "Jane Doe", "email": "other@example.org"}', headers=headers)
    assert fields.code == 422 and "accept_terms" in fields.json()["fields"]
    with_api(make, petition, enabled=False)
    disabled = await web.fetch("/api/v1/petitions/my-petition/signatures", method="POST", body=data, headers=headers)
    assert disabled.code == 403 and disabled.json()["error"] == "api_submissions_disabled"
    assert disabled.headers["Access-Control-Allow-Origin"] == "https://forms.example.org"


# ---- one order of refusal causes, every dialect, CORS on errors ---------------------------------------------

@pytest.mark.gen_test
async def test_a_closed_petition_is_refused_as_not_open_in_every_dialect(web, make):
    petition = make.petition(status="to_process")  # closed, API submissions off: the usual case
    with_api(make, petition, enabled=False)
    _key, secret = new_key(make, scopes=("read", "create"))
    forbrukermakt = await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures",
                               {"full_name": "Jane Doe", "email": "j@example.org", "accept_terms": True},
                               token=secret, headers={"Origin": ORIGIN})
    assert forbrukermakt.code == 403 and forbrukermakt.json()["error"] == "petition_not_signable"
    assert forbrukermakt.headers["Access-Control-Allow-Origin"] == ORIGIN  # a browser on an allowed site reads it
    eu = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature",
                    {"name": "J. Doe", "email": "j@example.org"}, token=secret)
    assert eu.code == 403 and eu.json()["error"] == "petition_not_signable"
    wtp = await post_json(web, f"/v1/signatures?api_key={secret}",
                          {"petition_id": str(petition.id), "email": "j@example.org", "first_name": "J",
                           "last_name": "Doe"})
    assert wtp.code == 403 and wtp_info(wtp)["errorCode"] == "74"
    assert "not open for signatures" in wtp_info(wtp)["developerMessage"]
    osdi = await post_json(web, f"{OSDI}/petitions/{petition.id}/signatures",
                           {"person": {"given_name": "J", "family_name": "Doe",
                                       "email_addresses": [{"address": "j@example.org"}]}}, osdi_headers(secret))
    assert osdi.code == 403 and "not open for signatures" in osdi_error(osdi)["description"]


@pytest.mark.gen_test
async def test_the_true_cause_comes_first(web, make):
    live = make.petition()
    with_api(make, live)
    _key, reader = new_key(make, scopes=("read",))
    person = {"person": {"given_name": "J", "family_name": "Doe", "email_addresses": [{"address": "j@example.org"}]}}
    # unknown petition before a bad key
    assert (await call(web, "POST", "/api/v1/petitions/no-such-one/signatures", {}, token="pp_wrong",
                       headers={"Origin": ORIGIN})).code == 404
    assert (await post_json(web, "/v1/signatures?api_key=pp_wrong",
                            {"petition_id": "999999", "email": "j@example.org"})).code == 404
    assert (await post_json(web, f"{OSDI}/petitions/999999/signatures", person, osdi_headers("pp_wrong"))).code == 404
    # origin before key, key before scope, scope before fields
    reply = await call(web, "POST", f"/api/v1/petitions/{live.slug}/signatures", {}, token="pp_wrong",
                       headers={"Origin": "https://evil.example"})
    assert reply.code == 403 and reply.json()["error"] == "origin_not_allowed"
    reply = await call(web, "POST", f"/api/v1/petitions/{live.slug}/signatures", {}, token="pp_wrong",
                       headers={"Origin": ORIGIN})
    assert reply.code == 401 and reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    reply = await call(web, "POST", f"/api/v1/petitions/{live.slug}/signatures", {}, token=reader,
                       headers={"Origin": ORIGIN})
    assert reply.code == 403 and reply.json()["error"] == "scope_missing"
    wtp = await post_json(web, f"/v1/signatures?api_key={reader}", {"petition_id": str(live.id)})
    assert wtp.code == 403 and "create" in wtp_info(wtp)["userMessage"]
    osdi = await post_json(web, f"{OSDI}/petitions/{live.id}/signatures", {}, osdi_headers(reader))
    assert osdi.code == 403 and "create" in osdi_error(osdi)["description"]


# ---- hidden petitions: one rule ---------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_hidden_petitions_one_rule_in_every_dialect(web, make):
    org = make.organisation()
    hidden = with_api(make, make.petition(organisation=org), hidden=True)
    _k, own = new_key(make, scopes=("read", "create"), organisation=org)
    _k, other = new_key(make, scopes=("read", "create"))
    # the addressed organisation's keys read it; everyone else gets 404
    assert (await call(web, "GET", f"/api/v1/petitions/{hidden.id}", token=own)).code == 200
    assert (await call(web, "GET", f"/api/v1/petitions/{hidden.id}", token=other)).code == 404
    assert (await web.get(f"/v1/petitions/{hidden.id}.json?api_key={own}")).code == 200
    assert (await web.get(f"/v1/petitions/{hidden.id}.json?api_key={other}")).code == 404
    assert (await web.get(f"/v1/petitions/{hidden.id}.json")).code == 404
    assert (await web.get(f"{OSDI}/petitions/{hidden.id}", headers=osdi_headers(own))).code == 200
    assert (await web.get(f"{OSDI}/petitions/{hidden.id}", headers=osdi_headers(other))).code == 404
    # signing and counting work while API submissions are on and the origin rules pass
    assert (await call(web, "POST", f"/api/v1/petitions/{hidden.slug}/signatures",
                       {"full_name": "Jane Doe", "email": "a@example.org", "accept_terms": True}, token=other,
                       headers={"Origin": ORIGIN})).code == 202
    assert (await post_json(web, f"/v1/signatures?api_key={other}",
                            {"petition_id": str(hidden.id), "email": "b@example.org", "first_name": "B",
                             "last_name": "Doe"})).code == 200
    osdi = await post_json(web, f"{OSDI}/petitions/{hidden.id}/signatures",
                           {"person": {"given_name": "C", "family_name": "Doe",
                                       "email_addresses": [{"address": "c@example.org"}]}}, osdi_headers(other))
    assert osdi.code == 200, osdi.text
    assert Signature.select().where(Signature.petition == hidden).count() == 3
    assert (await web.get(f"/api/v1/petitions/{hidden.slug}/signature-count")).code == 200
    wrong_origin = await call(web, "POST", f"/api/v1/petitions/{hidden.slug}/signatures",
                              {"full_name": "Jane Doe", "email": "d@example.org", "accept_terms": True}, token=other,
                              headers={"Origin": "https://evil.example"})
    assert wrong_origin.code == 404
    assert (await web.get(f"/api/v1/petitions/{hidden.slug}/signature-count",
                          headers={"Origin": "https://evil.example"})).code == 404
    # API submissions off: 404 everywhere for everyone else
    with_api(make, hidden, enabled=False, hidden=True)
    assert (await web.get(f"/api/v1/petitions/{hidden.slug}/signature-count")).code == 404
    assert (await post_json(web, f"/v1/signatures?api_key={other}",
                            {"petition_id": str(hidden.id), "email": "e@example.org", "first_name": "E",
                             "last_name": "Doe"})).code == 404
    assert (await post_json(web, f"{OSDI}/petitions/{hidden.id}/signatures",
                            {"person": {"given_name": "F", "family_name": "Doe",
                                        "email_addresses": [{"address": "f@example.org"}]}},
                            osdi_headers(other))).code == 404


# ---- OSDI: read back what was submitted; summary; addresses ---------------------------------------------------

@pytest.mark.gen_test
async def test_osdi_helper_read_back_of_a_pending_signature(web, make):
    petition = with_api(make, make.petition())
    _k, mine = new_key(make, scopes=("read", "create"))
    _k, theirs = new_key(make, scopes=("read", "create"))
    reply = await post_json(web, f"{OSDI}/petitions/{petition.id}/record_signature_helper",
                            {"person": {"given_name": "Jane", "family_name": "Doe",
                                        "email_addresses": [{"address": "jane@example.org"}]}}, osdi_headers(mine))
    assert reply.code == 200, reply.text
    links = reply.json()["_links"]
    base = web.base_url
    for rel in ("self", "osdi:person"):
        path = links[rel]["href"].split(OSDI, 1)[1]
        own = await web.get(OSDI + path, headers=osdi_headers(mine))
        assert own.code == 200, (rel, own.text)
        assert (await web.get(OSDI + path, headers=osdi_headers(theirs))).code == 404, rel
    signature = (await web.get(links["self"]["href"].replace(links["self"]["href"].split(OSDI)[0], base),
                               headers=osdi_headers(mine))).json()
    assert signature["portal:status"] == "pending_verification"
    # never counted, never listed
    read = (await web.get(f"{OSDI}/petitions/{petition.id}", headers=osdi_headers(mine))).json()
    assert read["total_signatures"] == 0
    listed = (await web.get(f"{OSDI}/petitions/{petition.id}/signatures", headers=osdi_headers(mine))).json()
    assert listed["total_records"] == 0


@pytest.mark.gen_test
async def test_osdi_summary_is_the_title(web, make):
    org = make.organisation()
    petition = make.petition(organisation=org, title="Safe crossings", statement="Children cross here.",
                             request="Build a crossing.")
    _k, secret = new_key(make, scopes=("read", "update"), organisation=org)
    body = (await web.get(f"{OSDI}/petitions/{petition.id}", headers=osdi_headers(secret))).json()
    assert body["summary"] == "Safe crossings" == body["title"]
    assert body["description"].startswith("<p>Children cross here.</p>") and body["petition_text"] == "Build a crossing."
    # Seed 001's POST: summary is the title
    created = await post_json(web, f"{OSDI}/petitions", {"identifiers": ["free_petitions:1"],
                                                          "summary": "My Free Petition",
                                                          "originating_system": "FreePetitions.com"},
                              osdi_headers(secret))
    assert created.code == 200, created.text
    assert created.json()["summary"] == "My Free Petition"
    assert Petition.get(Petition.title == "My Free Petition").statement == ""


@pytest.mark.gen_test
async def test_osdi_bare_numbers_are_portal_petitions_and_foreign_ids_need_their_prefix(web, make):
    org = make.organisation()
    draft = make.petition(organisation=org, status="concept")  # portal petition `draft.id`, unpublished
    foreign = make.petition(organisation=org)
    OsdiIdentifier.create(kind="petition", scope_id=org.id, object_id=foreign.id,
                          identifier=f"free_petitions:{draft.id}")
    OsdiIdentifier.create(kind="petition", scope_id=org.id, object_id=foreign.id, identifier="crm:abc-1")
    _k, secret = new_key(make, scopes=("read",), organisation=org)
    headers = osdi_headers(secret)
    assert (await web.get(f"{OSDI}/petitions/{draft.id}", headers=headers)).code == 404
    full = await web.get(f"{OSDI}/petitions/{quote(f'free_petitions:{draft.id}')}", headers=headers)
    assert full.code == 200 and full.json()["title"] == foreign.title
    assert (await web.get(f"{OSDI}/petitions/free_petitions:{draft.id}", headers=headers)).code == 200
    assert (await web.get(f"{OSDI}/petitions/abc-1", headers=headers)).code == 200  # unambiguous, no portal petition
    assert (await web.get(f"{OSDI}/petitions/portal:{foreign.id}", headers=headers)).code == 200
    assert (await web.get(f"{OSDI}/petitions/nobody:{draft.id}", headers=headers)).code == 404


# ---- We the People: XML bodies ----------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_wtp_post_accepts_xml_bodies(web, make):
    petition = with_api(make, make.petition())
    _k, secret = new_key(make, scopes=("create",))
    for n, content_type in enumerate(("application/xml", "text/xml; charset=utf-8")):
        xml = (f'<?xml version="1.0" encoding="UTF-8"?><d><petition_id>{petition.id}</petition_id>'
               f"<email>john{n}.doe@example.com</email><first_name>John</first_name><last_name>Doe</last_name>"
               "<zip>55555</zip></d>")
        reply = await web.fetch(f"/v1/signatures?api_key={secret}", method="POST", body=xml,
                                headers={"Content-Type": content_type})
        assert reply.code == 200, reply.text
        stored = Signature.get(Signature.email == f"john{n}.doe@example.com")
        assert (stored.full_name, stored.postal_code, stored.source) == ("John Doe", "55555", "wtp")
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            f"<d><petition_id>{petition.id}</petition_id><email>&b;</email></d>")
    reply = await web.fetch(f"/v1/signatures?api_key={secret}", method="POST", body=bomb,
                            headers={"Content-Type": "application/xml"})
    assert reply.code == 400 and "DTD" in wtp_info(reply)["developerMessage"]
    other = await web.fetch(f"/v1/signatures?api_key={secret}", method="POST", body="x",
                            headers={"Content-Type": "text/plain"})
    info = wtp_info(other)
    assert other.code == 415 and "application/xml" in info["developerMessage"] and "text/xml" in info["developerMessage"]


# ---- test keys: the same in every dialect ---------------------------------------------------------------------

@pytest.mark.gen_test
async def test_test_keys_read_3_and_never_write_in_every_dialect(web, make):
    org = make.organisation()
    petitions = [with_api(make, make.petition(organisation=org)) for _ in range(5)]
    for petition in petitions:
        make.signature(petition)
    _k, test = new_key(make, scopes=("read", "create", "update"), organisation=org, is_test=True)
    v1 = (await call(web, "GET", "/api/v1/petitions?fields=signatures_count", token=test)).json()
    assert v1["total"] == 3 and len(v1["petitions"]) == 3 and {p["signatures_count"] for p in v1["petitions"]} == {3}
    wtp = (await web.get(f"/v1/petitions.json?api_key={test}")).json()
    assert wtp["metadata"]["resultset"]["count"] == 3 and len(wtp["results"]) == 3
    assert {p["signatureCount"] for p in wtp["results"]} == {3}
    osdi = (await web.get(f"{OSDI}/petitions", headers=osdi_headers(test))).json()
    assert osdi["total_records"] == 3 and len(osdi["_embedded"]["osdi:petitions"]) == 3
    assert {p["total_signatures"] for p in osdi["_embedded"]["osdi:petitions"]} == {3}
    one = (await web.get(f"{OSDI}/petitions/{petitions[0].id}", headers=osdi_headers(test))).json()
    assert one["total_signatures"] == 3
    # no writes in any dialect
    before = Signature.select().count()
    assert (await call(web, "POST", f"/api/v1/petitions/{petitions[0].slug}/signatures",
                       {"full_name": "Jane Doe", "email": "t1@example.org", "accept_terms": True}, token=test,
                       headers={"Origin": ORIGIN})).json()["error"] == "test_key"
    assert (await post_json(web, f"/v1/signatures?api_key={test}",
                            {"petition_id": str(petitions[0].id), "email": "t2@example.org", "first_name": "T",
                             "last_name": "Two"})).code == 403
    assert (await post_json(web, f"{OSDI}/petitions/{petitions[0].id}/signatures",
                            {"person": {"given_name": "T", "family_name": "Three",
                                        "email_addresses": [{"address": "t3@example.org"}]}},
                            osdi_headers(test))).code == 403
    assert Signature.select().count() == before
    assert authenticate(test).is_test


# ---- one creation time --------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_one_creation_time_in_every_dialect_and_strict_created_filters(web, make):
    org = make.organisation()
    petition = make.petition(organisation=org, created_at=dt.datetime(2026, 1, 1, 8, 0, 0))  # drafted long before
    published = dt.datetime(2026, 2, 3, 10, 20, 30, 400000)
    Petition.update(opens_at=published, updated_at=dt.datetime(2026, 2, 1)).where(Petition.id == petition.id).execute()
    _k, secret = new_key(make, scopes=("read",), organisation=org)
    v1 = (await call(web, "GET", f"/api/v1/petitions/{petition.id}?fields=created_at", token=secret)).json()
    osdi = (await web.get(f"{OSDI}/petitions/{petition.id}", headers=osdi_headers(secret))).json()
    wtp = (await web.get(f"/v1/petitions/{petition.id}.json")).json()["results"][0]
    assert v1["created_at"] == osdi["created_date"] == "2026-02-03T10:20:30Z"
    assert wtp["created"] == int(dt.datetime(2026, 2, 3, 10, 20, 30, tzinfo=dt.timezone.utc).timestamp())
    assert osdi["modified_date"] >= osdi["created_date"]
    t = wtp["created"]
    after = (await web.get(f"/v1/petitions.json?createdAfter={t}")).json()["results"]
    before = (await web.get(f"/v1/petitions.json?createdBefore={t}")).json()["results"]
    at = (await web.get(f"/v1/petitions.json?createdAt={t}")).json()["results"]
    assert after == [] and before == [] and [p["id"] for p in at] == [str(petition.id)]
    assert [p["id"] for p in (await web.get(f"/v1/petitions.json?createdAfter={t - 1}")).json()["results"]] == [
        str(petition.id)]
    assert json.dumps(wtp)  # plain JSON


@pytest.mark.gen_test
async def test_the_docs_state_the_shared_rules(web):
    osdi = await web.get(f"{OSDI}/docs")
    assert osdi.code == 200 and "summary is the petition&#x27;s title" in osdi.text and "pending_verification" in osdi.text
    wtp = await web.get("/v1/docs")
    assert wtp.code == 200 and "application/xml" in wtp.text and "the true cause first" in wtp.text
    spec = (await web.get("/api/v1/openapi.json")).json()
    count = next(p for p in spec["components"]["parameters"].values() if p["name"] == "count")
    assert "count={10}" in count["description"]


@pytest.mark.gen_test
async def test_seed_003_and_000_examples_against_the_demo_data(web):
    """The seeds' examples as written, against `portal.py demo`'s data (host and key adapted)."""
    from models import demo
    from models.api import issue_key
    from models.organisation import Organisation
    from models.user import User

    demo.load()
    council = Organisation.get(Organisation.slug == "riverton-city-council")
    ministry = Organisation.get(Organisation.slug == "ministry-of-environment")
    clerk = User.get(User.email == "clerk.council@demo.example")
    _key, k = issue_key(clerk, "seed replay", ["read", "create", "update"], organisation=council)
    live = Petition.get((Petition.organisation == council) & (Petition.status == "live") & (Petition.hidden == False))  # noqa: E712
    o1, o2 = council.id, ministry.id
    urls = [
        f"/api/v1/petitions?api_key={k}&language=en&count={{10}}&organisations={{{o1},{o2}}}"
        r"&fields={description,signatures\_count,initiators}",
        f"/api/v1/petitions/{live.id}?api_key={k}&language=en"
        r"&fields={description,signatures\_count,...,signature\_timestamps}",
        f"/api/v1/signatures?api_key={k}&language=en&petitions={{{live.id}}}&organisations={{{o1},{o2}}}"
        f"&count={{100}}&from={{2020-01-01}}&to={{{clock.today().isoformat()}}}",
        f"/api/v1/organisations?api_key={k}&language=en",
        f"/api/v1/petitions/{live.id}?api_key={k}&language=en&fields={{name,description,signature\\_timestamps}}",
        f"/api/v1/organisations/{o1}?api_key={k}&language=en&fields={{initiators}}",
    ]
    for url in urls:
        reply = await web.get(url)
        assert reply.code == 200, (url, reply.text)
    listed = (await web.get(urls[0])).json()["petitions"]
    assert listed and all("signatures_count" in p for p in listed)
    assert (await web.get(urls[2])).json()["count"] > 0
    reply = await post_json(web, f"/api/v1/petitions/{live.id}/signature?api_key={k}&language=en",
                            {"name": "Firstname Lastname", "email": "user@provider.tld", "city": "Place", "visible": 1})
    assert reply.code == 200 and reply.json()["message"]
    # seed 000's curl, with a demo petition that takes API signatures from localhost
    reply = await web.fetch(f"/api/v1/petitions/{live.slug}/signatures", method="POST",
                            body='{ "full_name":"Jane Doe", "email":"jane@example.org", "accept_terms":true }',
                            headers={"Authorization": f"Bearer {k}", "Origin": "http://localhost:3000",
                                     "Content-Type": "application/json"})
    assert reply.code == 202, reply.text
    count = await web.get(f"/api/v1/petitions/{live.slug}/signature-count")
    assert count.code == 200 and count.json()["signature_count"] == live.signature_count
    # the hidden demo petition: counted and signed from its own site, 404 to everyone else's reads
    ferry = Petition.get(Petition.hidden == True)  # noqa: E712
    assert (await web.get(f"/api/v1/petitions/{ferry.slug}/signature-count")).code == 200
    assert (await web.get(f"/api/v1/petitions/{ferry.id}?api_key={k}")).code == 404  # another organisation's
    reply = await web.fetch(f"/api/v1/petitions/{ferry.slug}/signatures", method="POST",
                            body='{ "full_name":"Jane Doe", "email":"jane@example.org", "accept_terms":true }',
                            headers={"Authorization": f"Bearer {k}", "Origin": "https://ferry.demo.example",
                                     "Content-Type": "application/json"})
    assert reply.code == 202, reply.text


@pytest.mark.gen_test
async def test_the_count_route_carries_cors_on_errors_too(web, make):
    reply = await web.get("/api/v1/petitions/no-such-petition/signature-count", headers={"Origin": ORIGIN})
    assert reply.code == 404 and reply.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.gen_test
async def test_braces_on_the_key_and_the_path_too(web, petitions_eu):
    k, p1 = petitions_eu["key"], petitions_eu["pet1"].id
    reply = await web.get(f"/api/v1/petitions/{{{p1}}}?api_key={{{k}}}&fields={{signatures_count}}")
    assert reply.code == 200 and reply.json()["signatures_count"] == 2


@pytest.mark.gen_test
async def test_osdi_modified_filter_uses_the_shown_modification_time(web, make):
    org = make.organisation()
    petition = make.petition(organisation=org)
    Petition.update(opens_at=dt.datetime(2026, 5, 2, 9), updated_at=dt.datetime(2026, 5, 1, 9)).where(
        Petition.id == petition.id).execute()
    _k, secret = new_key(make, scopes=("read",), organisation=org)
    reply = await web.get(f"{OSDI}/petitions?filter=" + quote("modified_date gt '2026-05-01'"),
                          headers=osdi_headers(secret))
    assert reply.code == 200, reply.text
    body = reply.json()
    [item] = body["_embedded"]["osdi:petitions"]
    assert item["modified_date"] == item["created_date"] == "2026-05-02T09:00:00Z"


@pytest.mark.gen_test
async def test_signing_errors_found_early_carry_cors_too(web, make):
    petition = with_api(make, make.petition())
    _k, secret = new_key(make, scopes=("create",))
    reply = await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures?language=%00", {}, token=secret,
                       headers={"Origin": ORIGIN})
    assert reply.code == 400 and reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    reply = await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures", {}, token=secret,
                       headers={"Origin": ORIGIN}, raw=b"{not json")
    assert reply.code == 400 and reply.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.gen_test
async def test_osdi_read_back_on_a_hidden_petition_shows_only_ones_own(web, make):
    hidden = with_api(make, make.petition(), hidden=True)
    someone = make.signature(hidden)  # confirmed, through the portal
    _k, partner = new_key(make, scopes=("read", "create"))
    reply = await post_json(web, f"{OSDI}/petitions/{hidden.id}/record_signature_helper",
                            {"person": {"given_name": "Jane", "family_name": "Doe",
                                        "email_addresses": [{"address": "jane@example.org"}]}}, osdi_headers(partner))
    assert reply.code == 200, reply.text
    own = reply.json()["_links"]["self"]["href"].split(OSDI, 1)[1]
    assert (await web.get(OSDI + own, headers=osdi_headers(partner))).code == 200
    other = f"/petitions/{hidden.id}/signatures/{someone.id}"
    assert (await web.get(OSDI + other, headers=osdi_headers(partner))).code == 404
    assert (await web.get(f"{OSDI}/petitions/{hidden.id}", headers=osdi_headers(partner))).code == 404


@pytest.mark.gen_test
async def test_wtp_post_accepts_php_serialized_bodies_as_the_seed_lists(web, make):
    petition = with_api(make, make.petition())
    _k, secret = new_key(make, scopes=("create",))

    def php(fields):
        items = "".join(f's:{len(k.encode())}:"{k}";' + (f"i:{v};" if isinstance(v, int)
                                                          else f's:{len(v.encode())}:"{v}";')
                        for k, v in fields.items())
        return f"a:{len(fields)}:{{{items}}}"

    fields = {"petition_id": str(petition.id), "email": "zoë@example.com", "first_name": "Zoë",
              "last_name": "Doe", "zip": 55555}
    reply = await web.fetch(f"/v1/signatures?api_key={secret}", method="POST", body=php(fields).encode(),
                            headers={"Content-Type": "application/vnd.php.serialized"})
    assert reply.code == 200, reply.text
    assert Signature.get(Signature.email == "zoë@example.com").postal_code == "55555"
    for hostile in ('O:8:"stdClass":0:{}', 'a:1:{s:1:"a";r:1;}', 'a:1:{s:5:"a";i:1;}', "a:999999:{}", "i:1;junk"):
        reply = await web.fetch(f"/v1/signatures?api_key={secret}", method="POST", body=hostile,
                                headers={"Content-Type": "application/vnd.php.serialized"})
        assert reply.code == 400 and "PHP-serialized" in wtp_info(reply)["developerMessage"], hostile
