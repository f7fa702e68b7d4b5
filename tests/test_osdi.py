"""OSDI (Action Network style) under /api/osdi/v1/ over real HTTP: AEP, paging, filters, petitions
POST/PUT/DELETE, signatures and the record signature helper, errors, privacy."""
import datetime as dt
from urllib.parse import quote

import pytest

from models import clock
from models.apikey import authenticate, revoke
from models.audit import AuditEvent
from models.mail import OutboxMessage
from models.petition import Petition
from models.signature import Signature
from tests.support_dialects import osdi_headers, post_json, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")

BASE = "/api/osdi/v1"
T0 = clock.now().replace(hour=12, minute=0, second=0) - dt.timedelta(days=20)


async def get(web, path, secret, header="OSDI-API-Token"):
    reply = await web.get(BASE + path, headers=osdi_headers(secret, header))
    assert reply.headers["Content-Type"].startswith("application/hal+json"), reply.headers["Content-Type"]
    return reply


def assert_error(reply, status):
    assert reply.code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/hal+json")
    body = reply.json()
    error = body["osdi:error"]
    assert error["response_code"] == status and error["request_type"] == "atomic"
    [resource] = error["resource_status"]
    assert resource["response_code"] == status and resource["error_descriptions"][0]["description"]
    assert body["error"] == resource["error_descriptions"][0]["description"]
    return resource["error_descriptions"][0]


def signer(email="ann@example.org", **person):
    return {"person": {"given_name": "Ann", "family_name": "Lee", "email_addresses": [
        {"address": "other@example.org"}, {"address": email, "primary": True}],
        "postal_addresses": [{"primary": True, "locality": "Riverton", "region": "RV", "postal_code": "1234 AB",
                              "country": "NL"}], **person},
        "comments": "Please do it", "add_tags": ["volunteer"], "triggers": {"autoresponse": {"enabled": True}},
        "identifiers": ["crm:77"], "origin_system": "Campaign CRM",
        "referrer_data": {"source": "newsletter", "website": "example.org"}}


@pytest.mark.gen_test
async def test_entry_point_and_key_headers(web, make):
    secret = token(make)
    for header in ("OSDI-API-Token", "osdi-api-token", "OSDI-Api-TOKEN", "api-key"):
        reply = await get(web, "/", secret, header)
        assert reply.code == 200, header
    body = reply.json()
    for field in ("motd", "max_page_size", "vendor_name", "product_name", "osdi_version", "namespace"):
        assert body[field], field
    links = body["_links"]
    assert links["osdi:petitions"]["href"].endswith("/api/osdi/v1/petitions") and links["osdi:petitions"]["title"]
    assert links["self"]["title"] and links["curies"][0]["name"] == "osdi" and links["curies"][0]["templated"]
    assert (await get(web, "", secret)).code == 200
    assert_error(await web.get(BASE + "/"), 401)
    assert_error(await get(web, "/", "pp_bad"), 401)
    create_only = token(make, scopes=("create",))
    assert (await get(web, "/petitions", create_only)).code == 200  # any valid key may read
    revoke(authenticate(create_only))
    assert_error(await get(web, "/petitions", create_only), 401)
    assert (await web.get(BASE + "/docs")).code == 200


@pytest.mark.gen_test
async def test_collection_paging_edges(web, make):
    secret = token(make)
    petitions = []
    for n in range(5):
        with clock.frozen(T0 + dt.timedelta(days=n)):
            petitions.append(make.petition())
    newest_first = [p.id for p in reversed(petitions)]

    def page_ids(reply):
        return [int(item["identifiers"][0].split(":")[1]) for item in reply.json()["_embedded"]["osdi:petitions"]]

    first = await get(web, "/petitions?per_page=2", secret)
    body = first.json()
    assert (body["page"], body["per_page"], body["total_pages"], body["total_records"]) == (1, 2, 3, 5)
    assert page_ids(first) == newest_first[:2]
    assert "page=2" in body["_links"]["next"]["href"] and "previous" not in body["_links"]
    assert "page=1" in body["_links"]["self"]["href"]
    assert [l["href"] for l in body["_links"]["osdi:petitions"]] == \
        [i["_links"]["self"]["href"] for i in body["_embedded"]["osdi:petitions"]]
    last = (await get(web, "/petitions?per_page=2&page=3", secret)).json()
    assert [int(i["identifiers"][0].split(":")[1]) for i in last["_embedded"]["osdi:petitions"]] == newest_first[4:]
    assert "next" not in last["_links"] and "page=2" in last["_links"]["previous"]["href"]
    past = (await get(web, "/petitions?per_page=2&page=9", secret)).json()
    assert past["_embedded"] == {"osdi:petitions": []} and past["_links"]["osdi:petitions"] == []
    assert past["total_records"] == 5 and "next" not in past["_links"] and "page=3" in past["_links"]["previous"]["href"]
    capped = (await get(web, "/petitions?per_page=5000", secret)).json()
    assert capped["per_page"] == 100 and capped["total_pages"] == 1 and len(capped["_embedded"]["osdi:petitions"]) == 5
    default = (await get(web, "/petitions", secret)).json()
    assert default["per_page"] == 25 and default["page"] == 1
    for bad in ("page=0", "per_page=-3", "page=two"):
        assert_error(await get(web, f"/petitions?{bad}", secret), 400)


@pytest.mark.gen_test
async def test_filters_on_created_and_modified_date(web, make):
    secret = token(make)
    with clock.frozen(T0):
        old = make.petition()
    with clock.frozen(T0 + dt.timedelta(days=10)):
        new = make.petition()
    day = (T0 + dt.timedelta(days=5)).date().isoformat()

    async def found(expression):
        reply = await get(web, "/petitions?filter=" + quote(expression), secret)
        assert reply.code == 200, reply.text
        return {int(i["identifiers"][0].split(":")[1]) for i in reply.json()["_embedded"]["osdi:petitions"]}

    assert await found(f"created_date gt '{day}'") == {new.id}
    assert await found(f"created_date lt '{day}'") == {old.id}
    assert await found(f"modified_date gt '{day}'") == {new.id}
    assert await found(f"created_date eq '{T0.date().isoformat()}'") == {old.id}
    assert await found(f"modified_date eq '{new.updated_at.strftime('%Y-%m-%dT%H:%M:%SZ')}'") == {new.id}
    assert await found(f"created_date gt '{T0.date().isoformat()}' and created_date lt '2999-01-01'") == {new.id}
    reply = await get(web, "/petitions?per_page=1&filter=" + quote(f"created_date lt '{day}'"), secret)
    assert "filter=" in reply.json()["_links"]["self"]["href"]
    for bad in ("title eq 'x'", "created_date after '2026-01-01'", "created_date gt 'soon'"):
        error = assert_error(await get(web, "/petitions?filter=" + quote(bad), secret), 400)
        assert error["properties"] == ["filter"]


@pytest.mark.gen_test
async def test_petition_resource_fields_and_organisation_scope(web, make):
    org, other = make.organisation(name="Riverton Council"), make.organisation()
    petition = make.petition(organisation=org, title="Parks", statement="Parks matter.", request="Open them.")
    make.signature(petition)
    elsewhere = make.petition(organisation=other)
    org_key, open_key = token(make, organisation=org), token(make)
    reply = await get(web, f"/petitions/{petition.id}", org_key)
    body = reply.json()
    assert body["identifiers"] == [f"portal:{petition.id}"]
    assert body["origin_system"] == body["originating_system"]
    # Seed 001: summary is the title; the statement leads the description; the request is petition_text.
    assert body["title"] == "Parks" and body["summary"] == "Parks" and body["petition_text"] == "Open them."
    assert body["description"] == "<p>Parks matter.</p><p>Text</p>" and body["total_signatures"] == 1
    assert body["browser_url"].endswith(f"/petitions/{petition.slug}") and body["target"] == [{"name": "Riverton Council"}]
    assert body["created_date"].endswith("Z") and body["modified_date"].endswith("Z")
    href = body["_links"]["self"]["href"]
    assert href.endswith(f"/api/osdi/v1/petitions/{petition.id}")
    assert body["_links"]["osdi:signatures"]["href"] == href + "/signatures"
    assert body["_links"]["osdi:record_signature_helper"]["href"] == href + "/record_signature_helper"
    creator = body["_embedded"]["osdi:creator"]
    assert body["_links"]["osdi:creator"]["href"] == creator["_links"]["self"]["href"]
    assert "email_addresses" not in creator and "given_name" not in creator
    assert (await get(web, f"/petitions/{petition.slug}", org_key)).code == 200
    assert_error(await get(web, f"/petitions/{elsewhere.id}", org_key), 404)
    assert (await get(web, f"/petitions/{elsewhere.id}", open_key)).code == 200
    listed = (await get(web, "/petitions", org_key)).json()
    assert listed["total_records"] == 1
    assert_error(await get(web, "/petitions/999999", org_key), 404)
    person = await get(web, creator["_links"]["self"]["href"].split(BASE, 1)[1], org_key)
    assert person.code == 200 and set(person.json()) == {"identifiers", "origin_system", "_links"}


@pytest.mark.gen_test
async def test_post_creates_for_the_keys_organisation_and_deduplicates_on_identifiers(web, make):
    org = make.organisation()
    clerk = make.clerk(org)
    writer = token(make, scopes=("read", "update"), organisation=org, user=clerk)
    data = {"identifiers": ["free_petitions:1"], "summary": "My Free Petition", "originating_system": "FreePetitions.com"}
    reply = await post_json(web, BASE + "/petitions", data, osdi_headers(writer))
    assert reply.code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/hal+json")
    body = reply.json()
    petition = Petition.get()
    assert body["identifiers"] == [f"portal:{petition.id}", "free_petitions:1"]
    assert body["title"] == "My Free Petition" and body["origin_system"] == "FreePetitions.com"
    assert body["total_signatures"] == 0
    assert (petition.status, petition.organisation_id, petition.lead_petitioner_id) == ("live", org.id, clerk.id)
    assert [e.new_value for e in AuditEvent.select().where(AuditEvent.action == "status")] == ["staging", "live"]
    again = await post_json(web, BASE + "/petitions", {"identifiers": ["free_petitions:1"], "title": "Renamed",
                                                      "description": "<p>More <script>x</script></p>"},
                            osdi_headers(writer, "api-key"))
    assert again.code == 200 and Petition.select().count() == 1
    petition = Petition.get()
    assert petition.title == "Renamed" and petition.description == "<p>More </p>"
    update = await post_json(web, BASE + f"/petitions/{petition.id}",
                             {"identifiers": ["free_petitions:2"], "summary": "Short summary",
                              "total_signatures": 999, "created_date": "2000-01-01T00:00:00Z",
                              "identifiers_extra": 1, "target": [{"name": "Someone else"}]},
                             osdi_headers(writer), method="PUT")
    assert update.code == 200, update.text
    body = update.json()
    assert body["identifiers"] == [f"portal:{petition.id}", "free_petitions:1", "free_petitions:2"]
    # Action Network's PUT renames a petition through "summary" (its title field) when no title is sent.
    assert body["summary"] == "Short summary" and body["title"] == "Short summary"
    assert body["total_signatures"] == 0 and body["target"] == [{"name": org.name}]
    assert not body["created_date"].startswith("2000")
    # Our own identifier de-duplicates too.
    native = await post_json(web, BASE + "/petitions", {"identifiers": [f"portal:{petition.id}"], "title": "By id"},
                             osdi_headers(writer))
    assert native.code == 200 and Petition.select().count() == 1 and Petition.get().title == "By id"
    # Another organisation may use the same foreign identifier for its own petition.
    org2 = make.organisation()
    other = token(make, scopes=("update",), organisation=org2)
    created = await post_json(web, BASE + "/petitions", {"identifiers": ["free_petitions:1"], "title": "Theirs"},
                              osdi_headers(other))
    assert created.code == 200 and Petition.select().count() == 2


@pytest.mark.gen_test
async def test_petition_write_refusals(web, make):
    org = make.organisation()
    writer = token(make, scopes=("read", "update"), organisation=org)
    reader = token(make, scopes=("read", "create"), organisation=org)
    test_key = token(make, scopes=("read", "update"), organisation=org, is_test=True)
    assert_error(await post_json(web, BASE + "/petitions", {"title": "X y"}, osdi_headers(reader)), 403)
    assert_error(await post_json(web, BASE + "/petitions", {"title": "X y"}, osdi_headers(test_key)), 403)
    error = assert_error(await post_json(web, BASE + "/petitions", {"description": "no title"},
                                         osdi_headers(writer)), 400)
    assert error["properties"] == ["summary"]  # seed 001: summary is the required title
    assert_error(await post_json(web, BASE + "/petitions", {"title": "x", "identifiers": "nope"},
                                 osdi_headers(writer)), 400)
    assert_error(await post_json(web, BASE + "/petitions", {"title": 12}, osdi_headers(writer)), 400)
    broken = await web.fetch(BASE + "/petitions", method="POST", body="[1,", headers=osdi_headers(writer))
    assert_error(broken, 400)
    assert_error(await post_json(web, BASE + "/petitions", {"title": "x"}, {}), 401)
    assert Petition.select().count() == 0
    citizens = make.petition(organisation=org)
    error = assert_error(await post_json(web, BASE + f"/petitions/{citizens.id}", {"title": "Rewritten"},
                                         osdi_headers(writer), method="PUT"), 403)
    assert "started on the portal" in error["description"]
    tagged = await post_json(web, BASE + f"/petitions/{citizens.id}", {"identifiers": ["crm:5"],
                                                                      "title": citizens.title},
                             osdi_headers(writer), method="PUT")
    assert tagged.code == 200 and "crm:5" in tagged.json()["identifiers"]
    mine = await post_json(web, BASE + "/petitions", {"title": "Ours"}, osdi_headers(writer))
    mine_id = mine.json()["identifiers"][0].split(":")[1]
    make.signature(Petition.get_by_id(int(mine_id)))
    error = assert_error(await post_json(web, BASE + f"/petitions/{mine_id}", {"petition_text": "Changed"},
                                         osdi_headers(writer), method="PUT"), 403)
    assert "signatures" in error["description"]
    other_org = token(make, scopes=("read", "update"), organisation=make.organisation())
    assert_error(await post_json(web, BASE + f"/petitions/{mine_id}", {"title": "Mine now"},
                                 osdi_headers(other_org), method="PUT"), 404)
    refused = await web.fetch(BASE + f"/petitions/{mine_id}", method="DELETE", headers=osdi_headers(writer))
    error = assert_error(refused, 403)
    assert "not allowed" in error["description"] and Petition.select().count() == 2


@pytest.mark.gen_test
async def test_record_signature_helper_and_signature_resources(web, make):
    org = make.organisation()
    petition = make.petition(organisation=org, api_enabled=True)
    writer = token(make, scopes=("read", "create"), organisation=org)
    reply = await post_json(web, BASE + f"/petitions/{petition.id}/record_signature_helper", signer(),
                            osdi_headers(writer))
    assert reply.code == 200, reply.text
    body = reply.json()
    signature = Signature.get()
    assert (signature.full_name, signature.email, signature.city, signature.state, signature.postal_code,
            signature.country, signature.comment, signature.source, signature.show_name) == \
        ("Ann Lee", "ann@example.org", "Riverton", "RV", "1234 AB", "NL", "Please do it", "osdi", False)
    assert signature.confirmed_at is None
    assert OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature").count() == 1
    assert body["identifiers"] == [f"portal:{signature.id}", "crm:77"] and body["comments"] == "Please do it"
    assert body["origin_system"] == "Campaign CRM"
    assert body["referrer_data"] == {"source": "newsletter", "website": "example.org"}
    assert "ann@example.org" not in reply.text and "Ann" not in reply.text
    # Not counted or listed until the signer confirms.
    listed = (await get(web, f"/petitions/{petition.id}/signatures", writer)).json()
    assert listed["total_records"] == 0 and listed["_embedded"] == {"osdi:signatures": []}
    Signature.update(confirmed_at=clock.now()).execute()
    listed = await get(web, f"/petitions/{petition.id}/signatures", writer)
    [item] = listed.json()["_embedded"]["osdi:signatures"]
    assert item["identifiers"] == body["identifiers"] and item["modified_date"].endswith("Z")
    links = item["_links"]
    assert links["osdi:petition"]["href"].endswith(f"/petitions/{petition.id}")
    one = await get(web, links["self"]["href"].split(BASE, 1)[1], writer)
    assert one.code == 200 and one.json()["identifiers"] == body["identifiers"]
    assert item["comments"] == "Please do it"  # the petition's organisation reads what was written to it
    outsider = (await get(web, f"/petitions/{petition.id}/signatures", token(make))).json()
    assert "comments" not in outsider["_embedded"]["osdi:signatures"][0]
    person = await get(web, links["osdi:person"]["href"].split(BASE, 1)[1], writer)
    assert person.code == 200 and "given_name" not in person.json() and "Lee" not in person.text
    assert_error(await get(web, f"/petitions/{petition.id}/signatures/99999", writer), 404)
    assert_error(await get(web, "/people/s99999", writer), 404)
    # The same address again: still one signature, the same resource back.
    again = await post_json(web, BASE + f"/petitions/{petition.id}/record_signature_helper",
                            signer(**{"given_name": "Annie"}), osdi_headers(writer))
    assert again.code == 200 and again.json()["identifiers"][0] == f"portal:{signature.id}"
    assert Signature.select().count() == 1
    # Another key sending an address that had signed answers only "accepted": no id, time or comment.
    stranger = token(make, scopes=("create",))
    other = await post_json(web, BASE + f"/petitions/{petition.id}/record_signature_helper", signer(),
                            osdi_headers(stranger))
    assert other.code == 200 and other.json() == {} and Signature.select().count() == 1
    # Action Network's way: the same body POSTed to the petition's signatures collection.
    clash = await post_json(web, BASE + f"/petitions/{petition.id}/signatures", signer("bo@example.org"),
                            osdi_headers(writer))
    assert clash.code == 400 and "crm:77" in clash.json()["error"]  # a foreign id names one signature only
    assert Signature.select().count() == 1  # nothing half-written
    assert OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature").count() == 1
    collection = await post_json(web, BASE + f"/petitions/{petition.id}/signatures",
                                 {**signer("bo@example.org"), "identifiers": ["crm:78"]}, osdi_headers(writer))
    assert collection.code == 200 and Signature.select().count() == 2
    assert Signature.get(Signature.email == "bo@example.org").source == "osdi"
    deleted = await web.fetch(BASE + links["self"]["href"].split(BASE, 1)[1], method="DELETE",
                              headers=osdi_headers(writer))
    assert_error(deleted, 403)


@pytest.mark.gen_test
async def test_record_signature_refusals(web, make):
    petition = make.petition(api_enabled=True)
    path = BASE + f"/petitions/{petition.id}/record_signature_helper"
    writer = token(make, scopes=("read", "create"))
    assert_error(await post_json(web, path, signer(), osdi_headers(token(make))), 403)
    assert_error(await post_json(web, path, signer(), osdi_headers(token(make, scopes=("create",), is_test=True))), 403)
    assert_error(await post_json(web, path, signer(), {}), 401)
    closed = make.petition(status="to_process", api_enabled=True)
    assert_error(await post_json(web, BASE + f"/petitions/{closed.id}/record_signature_helper", signer(),
                                 osdi_headers(writer)), 403)
    refused = make.petition()  # API submissions not enabled by the petition
    error = assert_error(await post_json(web, BASE + f"/petitions/{refused.id}/record_signature_helper", signer(),
                                         osdi_headers(writer)), 403)
    assert "API submissions are disabled" in error["description"]
    assert_error(await post_json(web, BASE + "/petitions/424242/record_signature_helper", signer(),
                                 osdi_headers(writer)), 404)
    error = assert_error(await post_json(web, path, {"comments": "no person"}, osdi_headers(writer)), 400)
    assert error["properties"] == ["person"]
    no_email = signer()
    no_email["person"]["email_addresses"] = []
    error = assert_error(await post_json(web, path, no_email, osdi_headers(writer)), 400)
    assert "email" in error["properties"]
    assert_error(await post_json(web, path, {**signer(), "add_tags": "x"}, osdi_headers(writer)), 400)
    assert Signature.select().count() == 0


@pytest.mark.gen_test
async def test_signatures_paging_and_shown_names_on_people(web, make):
    petition = make.petition()
    secret = token(make)
    with clock.frozen(T0):
        shown = make.signature(petition, full_name="Zoë van Dijk", show_name=True)
    with clock.frozen(T0 + dt.timedelta(days=3)):
        make.signature(petition, full_name="Quiet Person", show_name=False)
    first = (await get(web, f"/petitions/{petition.id}/signatures?per_page=1", secret)).json()
    assert first["total_pages"] == 2 and "next" in first["_links"]
    assert first["_embedded"]["osdi:signatures"][0]["identifiers"] == [f"portal:{shown.id}"]
    day = (T0 + dt.timedelta(days=1)).date().isoformat()
    later = (await get(web, f"/petitions/{petition.id}/signatures?filter=" + quote(f"created_date gt '{day}'"),
                       secret)).json()
    assert later["total_records"] == 1
    person = (await get(web, f"/people/s{shown.id}", secret)).json()
    assert (person["given_name"], person["family_name"]) == ("Zoë", "van Dijk")


@pytest.mark.gen_test
async def test_unknown_addresses_and_methods_answer_osdi_errors(web, make):
    secret = token(make)
    assert_error(await get(web, "/events", secret), 404)
    assert_error(await web.fetch(BASE + "/", method="DELETE", headers=osdi_headers(secret)), 405)
