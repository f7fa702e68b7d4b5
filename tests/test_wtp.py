"""We the People's API (/v1/) over real HTTP: every argument and error, the envelope, privacy."""
import datetime as dt
import json
from urllib.parse import urlencode

import pytest

from handlers.api_wtp import examples
from models import clock
from models.apikey import authenticate, revoke
from models.signature import Signature
from tests.support_dialects import answer, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")

SEED_QUERY_KEYS = ["body", "createdAfter", "createdAt", "createdBefore", "isPublic", "isSignable", "limit", "mock",
                   "offset", "petitionsDefaultLimit", "publicThreshold", "responseId", "signatureCount",
                   "signatureCountCeiling", "signatureCountFloor", "signatureThreshold", "signatureThresholdCeiling",
                   "signatureThresholdFloor", "sortBy", "sortOrder", "status", "title", "url", "websiteUrl"]
T0 = clock.now().replace(hour=12, minute=0, second=0) - dt.timedelta(days=20)


def unix(when):
    return int((when - dt.datetime(1970, 1, 1)).total_seconds())


async def get(web, path, secret, **args):
    reply = await web.get(f"{path}?{urlencode({'api_key': secret, **args})}")
    assert reply.headers["Content-Type"].startswith("application/json")
    return reply


def ids(reply):
    return [r["id"] for r in reply.json()["results"]]


def assert_error(reply, status, code=None):
    assert reply.code == status, reply.text
    info = reply.json()["metadata"]["responseInfo"]
    assert info["status"] == str(status)
    assert info["developerMessage"] and info["developerMessage:"] == info["developerMessage"]
    assert "/v1/docs" in info["moreInfo"]
    if code is not None:
        assert info["errorCode"] == code
    return info


@pytest.mark.gen_test
async def test_petitions_list_envelope_fields_and_only_public_ones(web, make):
    org = make.organisation(signature_threshold=5)
    live = make.petition(organisation=org, title="Żółw ścieżka – 水 for parks")
    for _ in range(2):
        make.signature(live)
    make.petition(status="concept")
    hidden = make.petition()
    hidden.hidden = True
    hidden.save()
    secret = token(make)
    reply = await get(web, "/v1/petitions", secret)
    assert reply.code == 200
    body = reply.json()
    info = body["metadata"]["responseInfo"]
    assert info == {"status": 200, "developerMessage": "OK", "userMessage": "", "errorCode": "", "moreInfo": ""}
    assert body["metadata"]["resultset"] == {"count": 1, "limit": 1000, "offset": 0}
    query = body["metadata"]["requestInfo"]["query"]
    assert body["metadata"]["requestInfo"]["resource"] == "petitions" and query["petitionsDefaultLimit"] == 1000
    # The seed's requestInfo.query keys (its example, sorted as We the People sent them), plus the one
    # argument it documents but its example leaves out; defaults as numbers, given arguments as sent.
    assert list(query) == sorted(SEED_QUERY_KEYS + ["responseAssociationTimeBefore"])
    assert (query["isPublic"], query["mock"], query["limit"], query["offset"], query["signatureCountFloor"],
            query["sortBy"], query["sortOrder"]) == (1, 0, 1000, 0, 0, "DATE_REACHED_PUBLIC", "DESC")
    echoed = (await get(web, "/v1/petitions", secret, limit="3", createdBefore="1352924535", isSignable="true"))
    query = echoed.json()["metadata"]["requestInfo"]["query"]
    assert (query["limit"], query["createdBefore"], query["isSignable"]) == ("3", "1352924535", "true")
    [p] = body["results"]
    assert p["id"] == str(live.id) and p["type"] == "petition"
    assert p["title"] == "Żółw ścieżka – 水 for parks"  # non-Latin letters are kept, never replaced by "x"
    assert p["signatureThreshold"] == 5 and p["signatureCount"] == 2 and p["signaturesNeeded"] == 3
    assert p["status"] == "open" and p["isSignable"] is True and p["isPublic"] is True
    assert p["url"].endswith(f"/petitions/{live.slug}") and p["response"] == []
    # "created" is the publication time, as We the People served it: deadline - created = the signing period.
    assert p["created"] == unix(live.opens_at) and p["deadline"] == unix(live.closes_at)
    assert p["reachedPublic"] == unix(live.opens_at) and "Please do the thing." in p["body"]
    suffixed = await get(web, "/v1/petitions.json", secret)
    assert ids(suffixed) == [str(live.id)]


@pytest.mark.gen_test
async def test_reading_needs_no_key_writing_and_validations_need_a_valid_one(web, make):
    # As on api.whitehouse.gov: only POST /v1/signatures and /v1/validations are "Authentication Required";
    # clients written for it read without any key.
    petition = make.petition()
    answer(make, [make.petition(status="in_process")])
    for path in ("/v1/petitions", f"/v1/petitions/{petition.id}", f"/v1/petitions/{petition.id}/signatures",
                 "/v1/responses", "/v1/responses.json"):
        reply = await web.get(path)
        assert reply.code == 200, (path, reply.text)
        assert reply.json()["metadata"]["responseInfo"]["status"] == 200
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        # A key that is sent must be a valid one (the same key rule as every dialect).
        for bad in ("?api_key=pp_nope", "?key=pp_nope"):
            assert_error(await web.get(path + bad), 401, "85")
    for reply in (await web.get("/v1/validations"), await web.get("/v1/validations?api_key=pp_nope"),
                  await web.post("/v1/signatures", {}, xsrf=False)):
        info = assert_error(reply, 401, "85")
        assert info["userMessage"] == "The key provided is not valid."
        assert "Access-Control-Allow-Origin" not in reply.headers
    create_only = token(make, scopes=("create",))
    assert (await get(web, "/v1/validations", create_only)).code == 200
    assert (await web.get(f"/v1/validations?key={create_only}")).code == 200  # the beta's ?key= spelling
    assert (await get(web, "/v1/petitions", create_only)).code == 200  # any valid key may read
    revoke(authenticate(create_only))
    assert_error(await get(web, "/v1/validations", create_only), 401, "85")
    assert_error(await get(web, "/v1/petitions", create_only), 401, "85")
    assert_error(await web.post(f"/v1/signatures?api_key={create_only}", {}, xsrf=False), 401, "85")


@pytest.mark.gen_test
async def test_status_mapping_and_status_filter(web, make):
    secret = token(make)
    live = make.petition()
    closing = make.petition(status="to_process")
    processing = make.petition(status="in_process")
    done = make.petition(status="in_process")
    answer(make, [done])
    withdrawn = make.petition(status="withdrawn")
    expected = {"open": [live], "pending response": [closing, processing], "responded": [done],
                "closed": [withdrawn]}
    for status, petitions in expected.items():
        reply = await get(web, "/v1/petitions", secret, status=status)
        assert sorted(ids(reply)) == sorted(str(p.id) for p in petitions), status
        assert {r["status"] for r in reply.json()["results"]} == {status}
    assert_error(await get(web, "/v1/petitions", secret, status="open-ish"), 400)


@pytest.mark.gen_test
async def test_every_petition_filter_argument(web, make):
    secret = token(make)
    small, big = make.organisation(signature_threshold=100), make.organisation(signature_threshold=5000)
    with clock.frozen(T0):
        old = make.petition(organisation=small, title="Benches by the river", description="<p>Oak wood</p>")
    with clock.frozen(T0 + dt.timedelta(days=5)):
        new = make.petition(organisation=big, title="Lights on the bridge", request="Install lamps now.")
    closed = make.petition(status="to_process", organisation=small, title="Closed one")
    for _ in range(3):
        make.signature(new)
    cases = [
        ({"isPublic": "1"}, {old, new, closed}), ({"isPublic": "0"}, set()),
        ({"isSignable": "1"}, {old, new}), ({"isSignable": "0"}, {closed}),
        ({"isSignable": "true"}, {old, new}), ({"isSignable": "False"}, {closed}),
        ({"isPublic": "true"}, {old, new, closed}),
        ({"createdBefore": unix(T0 + dt.timedelta(days=1))}, {old}),
        ({"createdAfter": unix(T0 + dt.timedelta(days=1))}, {new, closed}),
        ({"createdAt": unix(T0)}, {old}), ({"createdBefore": f"{unix(T0 + dt.timedelta(days=1))}.731"}, {old}),
        ({"title": "bridge"}, {new}), ({"body": "lamps"}, {new}), ({"body": "oak"}, {old}),
        ({"signatureThreshold": "5000"}, {new}), ({"signatureThresholdCeiling": "100"}, {old, closed}),
        ({"signatureThresholdFloor": "101"}, {new}),
        ({"signatureCount": "3"}, {new}), ({"signatureCountCeiling": "0"}, {old, closed}),
        ({"signatureCountFloor": "1"}, {new}),
        ({"url": f"https://elsewhere.example/petitions/{old.slug}"}, {old}),
        ({"url": f"/petitions/{new.slug}/"}, {new}),
    ]
    for args, expected in cases:
        reply = await get(web, "/v1/petitions", secret, **args)
        assert reply.code == 200, (args, reply.text)
        assert sorted(ids(reply)) == sorted(str(p.id) for p in expected), args
    for bad in ({"limit": "ten"}, {"offset": "-1"}, {"createdAt": "yesterday"}, {"signatureCount": "x"},
                {"sortBy": "title"}, {"sortOrder": "up"}, {"isSignable": "maybe"}):
        info = assert_error(await get(web, "/v1/petitions", secret, **bad), 400)
        assert list(bad)[0] in info["developerMessage"]


@pytest.mark.gen_test
async def test_response_filters_and_response_field(web, make):
    secret = token(make)
    first, second = make.petition(status="in_process"), make.petition(status="in_process")
    early = answer(make, [first], published_at=T0)
    late = answer(make, [second], published_at=T0 + dt.timedelta(days=30))
    make.petition()
    reply = await get(web, "/v1/petitions", secret, responseID=early.id)
    assert ids(reply) == [str(first.id)]
    [p] = reply.json()["results"]
    assert p["response"] == {"id": early.id, "url": f"{web.base_url}/responses/{early.id}",
                             "associationTime": unix(T0)}
    reply = await get(web, "/v1/petitions", secret, responseAssociationTimeBefore=unix(T0 + dt.timedelta(days=1)))
    assert ids(reply) == [str(first.id)]
    reply = await get(web, f"/v1/petitions/{second.id}", secret)
    assert reply.json()["results"][0]["response"]["id"] == late.id


@pytest.mark.gen_test
async def test_sorting_limit_and_offset(web, make):
    secret = token(make)
    petitions = []
    for n in range(4):
        with clock.frozen(T0 + dt.timedelta(days=n)):
            petitions.append(make.petition())
    for n, petition in enumerate(petitions):
        for _ in range((n * 3) % 4):  # counts 0, 3, 2, 1
            make.signature(petition)
    by_count = await get(web, "/v1/petitions", secret, sortBy="signature_count", sortOrder="desc")
    assert ids(by_count) == [str(petitions[i].id) for i in (1, 2, 3, 0)]
    by_date = await get(web, "/v1/petitions", secret, sortBy="date_reached_public", sortOrder="asc")
    assert ids(by_date) == [str(p.id) for p in petitions]
    default = await get(web, "/v1/petitions", secret)
    assert ids(default) == [str(p.id) for p in reversed(petitions)]
    window = await get(web, "/v1/petitions", secret, sortOrder="asc", limit="2", offset="1")
    assert ids(window) == [str(petitions[1].id), str(petitions[2].id)]
    assert window.json()["metadata"]["resultset"] == {"count": 4, "limit": 2, "offset": 1}
    past = await get(web, "/v1/petitions", secret, offset="10")
    assert past.json()["results"] == [] and past.json()["metadata"]["resultset"]["count"] == 4
    capped = await get(web, "/v1/petitions", secret, limit="5000")
    assert capped.json()["metadata"]["resultset"]["limit"] == 1000


@pytest.mark.gen_test
async def test_petition_by_id_or_slug_and_404_envelope(web, make):
    secret = token(make)
    petition = make.petition()
    for key in (str(petition.id), petition.slug, f"{petition.id}.json"):
        reply = await get(web, f"/v1/petitions/{key}", secret)
        assert reply.code == 200 and ids(reply) == [str(petition.id)]
        assert reply.json()["metadata"]["resultset"] == {"count": 1, "limit": 1, "offset": 0}
    draft = make.petition(status="concept")
    for key in ("999999", draft.slug):
        info = assert_error(await get(web, f"/v1/petitions/{key}", secret), 404, "84")
        assert info["userMessage"] == "The petition that you requested does not exist."


@pytest.mark.gen_test
async def test_signatures_initials_only_for_shown_names_and_every_filter(web, make):
    secret = token(make)
    petition = make.petition()
    with clock.frozen(T0):
        shown = make.signature(petition, full_name="Łukasz Søren Nowak", show_name=True, city="Kraków",
                               state="MA", postal_code="30-001", country="PL", email="lukasz@example.pl")
    with clock.frozen(T0 + dt.timedelta(days=2)):
        hidden = make.signature(petition, full_name="Hidden Person", show_name=False, city="Riverton",
                                postal_code="12345", country="NL", email="hidden@example.nl")
    make.signature(petition, confirmed=False, full_name="Not Confirmed", email="pending@example.net")
    reply = await get(web, f"/v1/petitions/{petition.id}/signatures", secret)
    assert reply.code == 200
    results = {r["id"]: r for r in reply.json()["results"]}
    assert set(results) == {str(shown.id), str(hidden.id)}
    assert results[str(shown.id)] == {"id": str(shown.id), "type": "signature", "petitionId": str(petition.id),
                                      "name": "Ł. S. N.", "city": "Kraków", "state": "MA", "zip": "30-001",
                                      "created": str(unix(T0))}
    assert results[str(hidden.id)]["name"] == ""
    for secret_text in ("@", "Hidden", "Person", "Łukasz", "Nowak", "Not Confirmed"):
        assert secret_text not in reply.text
    cases = [({"city": "kraków"}, shown), ({"state": "MA"}, shown), ({"zipcode": "12345"}, hidden),
             ({"country": "nl"}, hidden), ({"createdBefore": unix(T0 + dt.timedelta(days=1))}, shown),
             ({"createdAfter": unix(T0 + dt.timedelta(days=1))}, hidden), ({"createdAt": unix(T0)}, shown),
             ({"limit": "1", "offset": "1"}, hidden)]
    for args, expected in cases:
        reply = await get(web, f"/v1/petitions/{petition.slug}/signatures.json", secret, **args)
        assert ids(reply) == [str(expected.id)], args
    assert_error(await get(web, "/v1/petitions/424242/signatures", secret), 404, "84")


@pytest.mark.gen_test
async def test_responses_list_one_and_several_petitions(web, make):
    secret = token(make)
    a, b, c = (make.petition(status="in_process") for _ in range(3))
    both = answer(make, [a, b], title="One answer for two", published_at=T0)
    single = answer(make, [c], title="Later answer", published_at=T0 + dt.timedelta(days=3))
    reply = await get(web, "/v1/responses", secret)
    assert reply.code == 200 and [r["id"] for r in reply.json()["results"]] == [single.id, both.id]
    assert reply.json()["metadata"]["resultset"] == {"count": 2, "limit": 50, "offset": 0}
    first = reply.json()["results"][1]
    assert first["title"] == "One answer for two" and first["created"] == unix(T0)
    assert first["agency"] == a.organisation.name and first["body"] == "<p>We agree.</p>"
    assert [p["id"] for p in first["petitions"]] == [str(a.id), str(b.id)]
    assert first["petitions"][0]["relative_url"] == f"/petitions/{a.slug}"
    asc = await get(web, "/v1/responses.json", secret, sortBy="age", sortOrder="asc", limit="1")
    assert [r["id"] for r in asc.json()["results"]] == [both.id]
    second = await get(web, "/v1/responses", secret, sortOrder="asc", limit="1", offset="1")
    assert [r["id"] for r in second.json()["results"]] == [single.id]
    assert second.json()["metadata"]["resultset"] == {"count": 2, "limit": 1, "offset": 1}
    assert (await get(web, "/v1/responses", secret, limit="500")).json()["metadata"]["resultset"]["limit"] == 50
    by_petition = await get(web, "/v1/responses", secret, petitionId=str(c.id))
    assert [r["id"] for r in by_petition.json()["results"]] == [single.id]
    one = await get(web, f"/v1/responses/{both.id}", secret)
    assert one.json()["results"][0]["id"] == both.id and len(one.json()["results"][0]["petitions"]) == 2
    info = assert_error(await get(web, "/v1/responses/99999", secret), 404, "84")
    assert info["userMessage"] == "The response that you requested does not exist."
    assert_error(await get(web, "/v1/responses", secret, sortBy="size"), 400)


@pytest.mark.gen_test
async def test_post_signature_json_and_form_and_every_error(web, make):
    petition = make.petition(api_enabled=True)
    writer = token(make, scopes=("create",))
    good = {"petition_id": str(petition.id), "email": "John.Doe@Example.com", "first_name": "John",
            "last_name": "Doe", "zip": 55555}
    reply = await web.fetch(f"/v1/signatures?api_key={writer}", method="POST", body=json.dumps(good),
                            headers={"Content-Type": "application/json"})
    assert reply.code == 200 and reply.json() == {"metadata": {"responseInfo": {
        "status": 200, "developerMessage": "OK", "userMessage": "", "errorCode": "", "moreInfo": ""}}}
    stored = Signature.get()
    assert (stored.full_name, stored.email, stored.postal_code, stored.source) == \
        ("John Doe", "john.doe@example.com", "55555", "wtp")
    assert stored.confirmed_at is None and stored.show_name is False
    form = await web.post(f"/v1/signatures.json?api_key={writer}",
                          {**good, "email": "jane@example.org", "first_name": "Jane"}, xsrf=False)
    assert form.code == 200
    again = await web.post(f"/v1/signatures?api_key={writer}", {**good, "email": "jane@example.org"}, xsrf=False)
    assert again.code == 200 and again.text == form.text
    assert Signature.select().count() == 2
    in_body = await web.post("/v1/signatures", {**good, "email": "body.key@example.org",
                                                "signature_source_api_key": writer}, xsrf=False)
    assert in_body.code == 200 and Signature.select().count() == 3
    nested = await web.fetch(f"/v1/signatures?api_key={writer}", method="POST", headers={"Content-Type": "application/json"},
                             body=json.dumps({"d": {**good, "email": "nested@example.org"}}))
    assert nested.code == 200 and Signature.select().count() == 4
    missing = await web.post(f"/v1/signatures?api_key={writer}", {"petition_id": str(petition.id)}, xsrf=False)
    info = assert_error(missing, 400, "75")
    assert "email" in info["developerMessage"] and "first_name" in info["userMessage"]
    assert_error(await web.post("/v1/signatures", good, xsrf=False), 401, "85")
    assert_error(await web.post("/v1/signatures?api_key=pp_wrong", good, xsrf=False), 401, "85")
    info = assert_error(await web.post(f"/v1/signatures?api_key={writer}", {**good, "petition_id": "777777"},
                                       xsrf=False), 404, "76")
    assert info["userMessage"] == "The petition you are trying to sign doesn't exist."
    closed = make.petition(status="to_process", api_enabled=True)
    assert_error(await web.post(f"/v1/signatures?api_key={writer}", {**good, "petition_id": str(closed.id)},
                                xsrf=False), 403, "74")
    # The petition's own "Enable API submissions" decides on this channel too.
    refused = make.petition()
    info = assert_error(await web.post(f"/v1/signatures?api_key={writer}", {**good, "petition_id": str(refused.id)},
                                       xsrf=False), 403, "74")
    assert "API submissions are disabled" in info["userMessage"]
    assert_error(await web.post(f"/v1/signatures?api_key={token(make)}", good, xsrf=False), 403)
    test_key = token(make, scopes=("create",), is_test=True)
    assert_error(await web.post(f"/v1/signatures?api_key={test_key}", {**good, "email": "t@example.org"},
                                xsrf=False), 403)
    bad = assert_error(await web.post(f"/v1/signatures?api_key={writer}", {**good, "email": "not-an-email"},
                                      xsrf=False), 400)
    assert "email" in bad["developerMessage"]
    broken = await web.fetch(f"/v1/signatures?api_key={writer}", method="POST", body="{nope",
                             headers={"Content-Type": "application/json"})
    assert_error(broken, 400)
    xml = await web.fetch(f"/v1/signatures?api_key={writer}", method="POST", body="<d/>",
                          headers={"Content-Type": "application/xml"})
    assert_error(xml, 400, "75")  # XML is read (tests/test_integrators.py); this one names no petition
    other = await web.fetch(f"/v1/signatures?api_key={writer}", method="POST", body="petition_id: 1",
                            headers={"Content-Type": "application/yaml"})
    info = assert_error(other, 415)
    assert "application/xml" in info["userMessage"] and "application/json" in info["userMessage"]
    assert Signature.select().count() == 4


@pytest.mark.gen_test
async def test_validations_show_only_this_keys_confirmed_submissions(web, make):
    petition, other = make.petition(api_enabled=True), make.petition(api_enabled=True)
    mine, theirs = token(make, scopes=("create",)), token(make, scopes=("create",))
    for secret, email, target in ((mine, "a@example.org", petition), (mine, "b@example.org", other),
                                  (mine, "c@example.org", petition), (theirs, "d@example.org", petition)):
        reply = await web.post(f"/v1/signatures?api_key={secret}", {"petition_id": str(target.id), "email": email,
                                                                    "first_name": "Ann", "last_name": "Lee"},
                               xsrf=False)
        assert reply.code == 200
    Signature.update(confirmed_at=clock.now()).where(Signature.email != "c@example.org").execute()
    reply = await get(web, "/v1/validations", mine)
    results = reply.json()["results"]
    assert {r["email"] for r in results} == {"a@example.org", "b@example.org"}
    for r in results:
        signature = Signature.get(Signature.email == r["email"])
        assert r == {"vid": str(signature.id), "email": signature.email, "signature_id": str(signature.id),
                     "petition_id": str(signature.petition_id)}
    assert reply.json()["metadata"]["resultset"]["count"] == 2
    filtered = await get(web, "/v1/validations.json", mine, petition_id=str(other.id))
    assert [r["email"] for r in filtered.json()["results"]] == ["b@example.org"]
    paged = await get(web, "/v1/validations", mine, limit="1", offset="1")
    assert len(paged.json()["results"]) == 1 and paged.json()["metadata"]["resultset"]["offset"] == 1
    others = await get(web, "/v1/validations", theirs)
    assert [r["email"] for r in others.json()["results"]] == ["d@example.org"]


@pytest.mark.gen_test
async def test_mock_answers_with_the_documented_examples(web, make):
    secret = token(make)
    docs = examples()
    for path, name in (("/v1/petitions", "petitions"), ("/v1/petitions/1", "petition"),
                       ("/v1/petitions/1/signatures", "signatures"), ("/v1/responses", "responses"),
                       ("/v1/responses/1", "response"), ("/v1/validations", "validations")):
        reply = await get(web, path, secret, mock="1")
        assert reply.code == 200 and reply.json() == docs[name], path
    page = await web.get("/v1/docs")
    assert page.code == 200 and "GET /v1/petitions" in page.text and "Ł. S." in page.text


@pytest.mark.gen_test
async def test_unknown_addresses_and_methods_answer_in_the_envelope(web, make):
    secret = token(make)
    assert_error(await get(web, "/v1/nothing/here", secret), 404)
    assert_error(await web.fetch(f"/v1/petitions?api_key={secret}", method="PUT", body="{}"), 405)
    assert (await get(web, "/v1/petitions/", secret)).code == 200
