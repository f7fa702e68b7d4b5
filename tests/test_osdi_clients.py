"""The OSDI dialect as independent Action Network / OSDI client libraries use it, over real HTTP.

Each test replays one library's real requests (paths, headers, query strings, bodies, paging loops,
the fields it reads), as read from its source, with only the base URL and the key changed:
- `osdi` 0.3.1 (OSDIService / ActionService / ActionNetworkService),
- `py-actionnetworkorg` 1.1.9 (module action_network, its Utils),
- `parsons` 6.1 (parsons.ActionNetwork over APIConnector),
- `pyactionnetwork` 0.11.2 (ActionNetworkApi).
The libraries themselves are not test dependencies (osdi pins flake8, py-actionnetworkorg pins
requests and psycopg2-binary); they were run against a live demo portal, see the README.
"""
import datetime as dt
import json
import math
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from requests.utils import requote_uri

from models import clock
from models.petition import Petition
from models.signature import Signature
from tests.support_dialects import token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")

PREFIX = "/api/osdi/v1"
PACE_LIMIT = 4  # seconds: PACE_SECONDS plus slack


def person(email, given="Ann", family="Lee"):
    return {"given_name": given, "family_name": family, "email_addresses": [{"address": email}],
            "postal_addresses": [{"postal_code": "1234"}]}


def local(web, href):
    """An absolute link from a response, which must point at this server's OSDI prefix."""
    assert href.startswith(web.base_url + PREFIX), href
    return href


async def call(web, method, url, headers, body=None):
    """A request as `requests` sends it (GET may carry a body, as the osdi package's does)."""
    from tornado.httpclient import HTTPRequest

    url = requote_uri(url if url.startswith("http") else web.base_url + url)  # as requests quotes URLs
    request = HTTPRequest(url, method=method, headers=headers, body=body, allow_nonstandard_methods=True,
                          follow_redirects=False, request_timeout=60)
    reply = await web.http.fetch(request, raise_error=False)
    assert reply.headers["Content-Type"].startswith("application/hal+json"), (url, reply.code)
    return reply.code, json.loads(reply.body)


def petitions_of(make, n=3):
    org = make.organisation()
    petitions = [make.petition(organisation=org, api_enabled=True) for _ in range(n)]
    return org, petitions


# ---- osdi 0.3.1 ---------------------------------------------------------------------------------

class OsdiPackage:
    """osdi.base.service.OSDIService: uri without a trailing slash, header "OSDI-API-TOKEN",
    Content-Type JSON on every request, data=json.dumps(data) (so a GET carries the body "null"),
    success only on 200/201/204."""

    def __init__(self, web, secret):
        self.web, self.uri = web, web.base_url + PREFIX
        self.headers = {"Content-Type": "application/json", "OSDI-API-TOKEN": secret}

    async def request(self, url, method, data=None, is_full=False):
        full_url = url if is_full else f"{self.uri}/{url}"
        code, body = await call(self.web, method, full_url, self.headers, json.dumps(data))
        assert code in (200, 201, 204), (code, body)
        return body

    async def get_all(self, object_type, url=None, is_full=None):
        """OSDIService._get_all, line for line."""
        if url is None:
            url, is_full = object_type, False if is_full is None else is_full
        elif is_full is None:
            is_full = True
        response = await self.request(url, "GET", is_full=is_full)
        if response.get("total_pages") == 0:
            return []
        all_res = response["_embedded"][object_type]
        while (len(response["_embedded"][object_type]) >= response["per_page"]
               and len(all_res) < response.get("total_records", math.inf) and "next" in response["_links"]):
            response = await self.request(local(self.web, response["_links"]["next"]["href"]), "GET", is_full=True)
            all_res += response["_embedded"][object_type]
        return all_res


def osdi_model_id(data):
    """osdi.base.model.ActionModel: an identifier containing "action", else the self link's last part."""
    found = [i for i in data["identifiers"] if "action" in i]
    return found[0].split(":")[-1] if found else data["_links"]["self"]["href"].split("/")[-1]


@pytest.mark.gen_test
async def test_osdi_package_lists_follows_links_and_signs(web, make):
    org, petitions = petitions_of(make, 3)
    for _ in range(27):  # more than one default page of 25
        make.signature(petitions[0])
    client = OsdiPackage(web, token(make, scopes=("read", "create", "update"), organisation=org, user=make.clerk(org)))
    # ActionNetworkService() starts by reading every tag.
    assert await client.get_all("osdi:tags", url="tags", is_full=False) == []
    rows = await client.get_all("osdi:petitions", url="petitions", is_full=False)
    assert sorted(int(osdi_model_id(r)) for r in rows) == sorted(p.id for p in petitions)
    first = next(r for r in rows if osdi_model_id(r) == str(petitions[0].id))
    # ActionModel.get_linked_collection("osdi:signatures") follows the absolute link and its "next".
    signatures = await client.get_all("osdi:signatures", url=local(web, first["_links"]["osdi:signatures"]["href"]))
    assert len(signatures) == 27 and len({s["identifiers"][0] for s in signatures}) == 27
    assert (await client.request(f"petitions/{petitions[0].id}", "GET"))["total_signatures"] == 27
    signed = await client.request(f"petitions/{petitions[1].id}/record_signature_helper", "POST",
                                  {"person": person("osdi-lib@example.org"), "comments": "via osdi"})
    assert signed["identifiers"][0].startswith("portal:")
    assert Signature.get(Signature.email == "osdi-lib@example.org").petition_id == petitions[1].id
    created = await client.request("petitions", "POST", {"title": "From the osdi package", "identifiers": ["lib:1"]})
    again = await client.request("petitions", "POST", {"title": "From the osdi package", "identifiers": ["lib:1"]})
    assert osdi_model_id(created) == osdi_model_id(again)
    assert Petition.select().where(Petition.title == "From the osdi package").count() == 1
    # A petition synced from Action Network carries "action_network:<uuid>": ActionModel takes that as
    # its id and builds petitions/<uuid>, which Action Network's rule (the identifier without the
    # prefix) resolves.
    synced = await client.request("petitions", "POST", {"title": "Synced", "identifiers": ["action_network:d91b-4b2e"]})
    assert osdi_model_id(synced) == "d91b-4b2e"
    assert (await client.request("petitions/d91b-4b2e", "GET"))["title"] == "Synced"
    assert (await client.request("petitions/d91b-4b2e/signatures", "GET"))["total_records"] == 0
    other = OsdiPackage(web, token(make, organisation=make.organisation()))
    code, body = await call(web, "GET", f"{PREFIX}/petitions/d91b-4b2e", other.headers)
    assert code == 404 and body["error"]
    for unknown in ("4b2e", "d91b", "D91B-4B2E", "other_system:d91b-4b2e"):
        code, _body = await call(web, "GET", f"{PREFIX}/petitions/{unknown}", client.headers)
        assert code == 404, unknown
    # The full "prefix:id" form names it too (issue 12).
    assert (await client.request("petitions/action_network:d91b-4b2e", "GET"))["title"] == "Synced"


# ---- py-actionnetworkorg 1.1.9 --------------------------------------------------------------------

class PyActionNetworkOrg:
    """action_network.models.utils.Utils with _base_url set to the portal's (it ends in "/")."""

    def __init__(self, web, secret):
        self.web, self.base = web, web.base_url + PREFIX + "/"
        self.headers = {"Content-Type": "application/json", "OSDI-API-Token": secret}

    async def get(self, url):
        code, body = await call(self.web, "GET", self.base + url, self.headers)
        return code, body

    def collection_url(self, resource_name, page, per_page=25, filter=None):
        # Verbatim: no "&" before filter, so per_page arrives as "25filter=None".
        return f"{resource_name}/?page={page}&per_page={per_page}filter={filter}"

    async def get_resource_collection(self, resource_name, limit=None, per_page=25, filter=None):
        count, results, page = 0, [], 1
        while True:
            code, response_json = await self.get(self.collection_url(resource_name, page, per_page, filter))
            assert code == 200, response_json
            items = response_json["_embedded"][list(response_json["_embedded"])[0]]
            count += len(items)
            results.append(items)
            page += 1
            if not (count < response_json["total_records"] or (limit is not None and count < limit)):
                break
        return results

    async def post(self, url, payload, method="POST"):
        return await call(self.web, method, self.base + url, self.headers, json.dumps(payload))


@pytest.mark.gen_test
async def test_py_actionnetworkorg_paging_quirks_and_writes(web, make):
    org, petitions = petitions_of(make, 3)
    clerk = make.clerk(org)
    client = PyActionNetworkOrg(web, token(make, scopes=("read", "create", "update"), organisation=org, user=clerk))
    # petitions.get() without a page sends page=None and per_page=25filter=None.
    code, body = await client.get(client.collection_url("petitions", None))
    assert code == 200 and (body["page"], body["per_page"], body["total_records"]) == (1, 25, 3)
    assert len(body["_embedded"]["osdi:petitions"]) == 3
    pages = await client.get_resource_collection("petitions", per_page=2)
    assert [len(p) for p in pages] == [2, 1]
    # The filter is swallowed into per_page, as on Action Network: the number before it still counts.
    code, body = await client.get(client.collection_url("petitions", 1, 2, "modified_date gt '2000-01-01'"))
    assert code == 200 and body["per_page"] == 2
    code, body = await client.get(f"petitions/{petitions[0].id}")
    assert code == 200 and body["title"] == petitions[0].title
    # signature.create POSTs the helper's body to the signatures collection.
    code, signed = await client.post(f"petitions/{petitions[0].id}/signatures",
                                     {"person": person("pyan@example.org"), "comments": "hi"})
    assert code == 200 and signed["_links"]["osdi:petition"]["href"].endswith(f"/petitions/{petitions[0].id}")
    signature = Signature.get(Signature.email == "pyan@example.org")
    signature.confirmed_at = signature.created_at
    signature.save()
    pages = await client.get_resource_collection(f"petitions/{petitions[0].id}/signatures")
    assert [s["identifiers"][0] for s in pages[0]] == [f"portal:{signature.id}"]
    # signatures.get_by_person(person_id) reads the signer's own signatures.
    person_href = signed["_links"]["osdi:person"]["href"]
    code, body = await client.get(person_href.split(PREFIX + "/", 1)[1] + "/signatures/?page=1&per_page=25filter=None")
    assert code == 200 and [s["identifiers"][0] for s in body["_embedded"]["osdi:signatures"]] == \
        [f"portal:{signature.id}"]
    code, created = await client.post("petitions", {"title": "From py-actionnetworkorg", "identifiers": ["pyan:1"]})
    assert code == 200
    new_id = created["_links"]["self"]["href"].rsplit("/", 1)[1]
    code, updated = await client.post(f"petitions/{new_id}", {"title": "Renamed"}, method="PUT")
    assert code == 200 and updated["title"] == "Renamed"


@pytest.mark.gen_test
async def test_page_arguments_are_read_like_action_network(web, make):
    petitions_of(make, 3)
    headers = {"OSDI-API-Token": token(make)}
    for query, expected in (("page=None&per_page=null", (1, 25)), ("page=&per_page=2filter=x", (1, 2)),
                            ("page=2&per_page=2abc", (2, 2)), ("page=undefined&per_page=1", (1, 1))):
        code, body = await call(web, "GET", f"{PREFIX}/petitions?{query}", headers)
        assert code == 200 and (body["page"], body["per_page"]) == expected, (query, body)
    for query in ("page=two", "per_page=-1", "page=0", "per_page=x25"):
        code, body = await call(web, "GET", f"{PREFIX}/petitions?{query}", headers)
        assert code == 400 and "whole number" in body["error"], query


# ---- parsons 6.1 -----------------------------------------------------------------------------------

class Parsons:
    """parsons.ActionNetwork with api_url and api (APIConnector) pointed at the portal: relative URLs
    joined onto the uri with a trailing slash; raise_for_status on anything >= 400."""

    def __init__(self, web, secret):
        self.web, self.api_url = web, web.base_url + PREFIX
        self.uri = self.api_url + "/"
        self.headers = {"Content-Type": "application/json", "OSDI-API-Token": secret}

    async def request(self, method, url, params=None, data=None):
        full = urljoin(self.uri, url)
        params = {k: v for k, v in (params or {}).items() if v is not None}  # requests drops None
        if params:
            full += ("&" if "?" in full else "?") + urlencode(params)
        return await call(self.web, method, full, self.headers, data)

    async def get_page(self, object_name, page, per_page=25, filter=None):
        code, body = await self.request("GET", object_name, {"page": page, "per_page": min(per_page, 25),
                                                             "filter": filter})
        assert code == 200, body
        return body

    async def get_entry_list(self, object_name, limit=None, per_page=25, filter=None):
        """Stops only at an empty page: the page past the end must still carry _embedded."""
        count, page, return_list = 0, 1, []
        while True:
            response = await self.get_page(object_name, page, per_page, filter=filter)
            page += 1
            response_list = response["_embedded"][list(response["_embedded"])[0]]
            if not response_list:
                return return_list
            return_list.extend(response_list)
            count += len(response_list)
            if limit and count >= limit:
                return return_list[:limit]


@pytest.mark.gen_test
async def test_parsons_connector(web, make):
    org, petitions = petitions_of(make, 4)
    for _ in range(3):
        make.signature(petitions[0])
    clerk = make.clerk(org)
    an = Parsons(web, token(make, scopes=("read", "create", "update"), organisation=org, user=clerk))
    assert len(await an.get_entry_list("petitions")) == 4
    assert len(await an.get_entry_list("petitions", per_page=3, limit=3)) == 3
    assert len(await an.get_entry_list("petitions", filter="modified_date gt '2000-01-01'")) == 4
    assert len(await an.get_entry_list("petitions", filter="created_date lt '2000-01-01'")) == 0
    assert (await an.get_page("petitions", 2, per_page=3))["page"] == 2
    code, one = await an.request("GET", f"petitions/{petitions[0].id}")
    assert code == 200 and one["total_signatures"] == 3
    signatures = await an.get_entry_list(f"petitions/{petitions[0].id}/signatures", per_page=2)
    assert len(signatures) == 3
    signature_id = signatures[0]["_links"]["self"]["href"].rsplit("/", 1)[1]
    code, body = await an.request("GET", f"petitions/{petitions[0].id}/signatures/{signature_id}")
    assert code == 200 and body["identifiers"] == [f"portal:{signature_id}"]
    person_id = body["_links"]["osdi:person"]["href"].rsplit("/", 1)[1]
    assert len(await an.get_entry_list(f"people/{person_id}/signatures")) == 1
    # create_petition / update_petition: title, description, petition_text, target; absolute URL.
    data = {"title": "From Parsons", "description": "<p>Why</p>", "petition_text": "Do it",
            "target": [{"name": "Council"}]}
    code, created = await an.request("POST", f"{an.api_url}/petitions", data=json.dumps(data))
    assert code == 200 and created["title"] == "From Parsons" and created["petition_text"] == "Do it"
    new_id = created["_links"]["self"]["href"].rsplit("/", 1)[1]
    code, updated = await an.request("PUT", f"{an.api_url}/petitions/{new_id}",
                                     data=json.dumps({**data, "title": "Parsons renamed"}))
    assert code == 200 and updated["title"] == "Parsons renamed"
    # update_signature: refused with a JSON error parsons can show; create_signature sends its payload
    # as query parameters (a parsons bug): a 400 saying what is missing, nothing stored.
    code, body = await an.request("PUT", f"petitions/{petitions[0].id}/signatures/{signature_id}",
                                  data=urlencode({"comments": "changed"}))
    assert code == 403 and "cannot be changed" in body["error"]
    before = Signature.select().count()
    code, body = await an.request("POST", f"petitions/{petitions[0].id}/signatures",
                                  params={"comments": "hi", "_links": "osdi:person"})
    assert code == 400 and "person" in body["error"] and Signature.select().count() == before


# ---- pyactionnetwork 0.11.2 ----------------------------------------------------------------------

@pytest.mark.gen_test
async def test_pyactionnetwork_reads_the_entry_point(web, make):
    petitions_of(make, 2)
    headers = {"OSDI-API-Token": token(make)}
    # refresh_config() reads the AEP (its URL is hard-coded: a subclass points it at the portal) and
    # prints config["motd"]; resource_to_url("petitions") falls back to _links["osdi:petitions"].
    code, config = await call(web, "GET", PREFIX + "/", headers)
    assert code == 200 and config["motd"]
    url = config["_links"]["osdi:petitions"]["href"]
    assert urlsplit(url).path == PREFIX + "/petitions"
    code, body = await call(web, "GET", local(web, url), headers)
    assert code == 200 and body["total_records"] == 2 and len(body["_embedded"]["osdi:petitions"]) == 2
    docs = await web.get(PREFIX + "/docs")
    assert docs.code == 200 and f"{web.base_url}{PREFIX}/" in docs.text and "pyactionnetwork" in docs.text


# ---- pacing ---------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_a_burst_is_paced_not_refused_but_the_minute_limit_still_answers_429(web, make, monkeypatch):
    """Parsons and the osdi package page as fast as they can and stop at the first 429: over the
    per-second limit an OSDI request waits for the next second (the same limiter decides)."""
    import time

    petitions_of(make, 1)
    headers = {"OSDI-API-Token": token(make)}
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "2")
    started = time.monotonic()
    codes = [(await call(web, "GET", f"{PREFIX}/petitions?page={n}&per_page=1", headers))[0] for n in (1, 2, 3)]
    assert codes == [200, 200, 200] and time.monotonic() - started < PACE_LIMIT
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1")
    # Both calls in one minute window whatever the wall clock says (a pinned clock also means no pacing).
    clock.set_global(dt.datetime(2026, 5, 1, 12, 0, 30))
    headers = {"OSDI-API-Token": token(make)}
    assert (await call(web, "GET", f"{PREFIX}/petitions", headers))[0] == 200
    started = time.monotonic()
    reply = await web.get(f"{PREFIX}/petitions", headers=headers)
    assert reply.code == 429 and int(reply.headers["Retry-After"]) > 1 and time.monotonic() - started < 1
    assert reply.json()["osdi:error"]["response_code"] == 429
