"""Clients written for We the People's API (https://api.whitehouse.gov/v1/), pointed at the portal
with only the base URL and the key changed, over real HTTP on both backends.

- `wethepeople` (PyPI 0.0.0.1, Python): driven for real. It sends no key when reading, builds
  /v1/petitions.json and /v1/petitions/{id}/signatures.json and reads metadata.responseInfo,
  .requestInfo, .resultset and each result's fields as attributes.
- The request and parse patterns of the others, reproduced with `requests`: jQuery pages
  ($.getJSON on /v1/petitions.jsonp?callback=? paging through metadata.resultset, and $.ajax with
  dataType "jsonp" sending isSignable=true), node-wethepeople (JSON body with a numeric zip,
  /v1/petitions/{id}.json, the joi-typed query), the we_the_people gem (?key=, limit=1000,
  Integer()/Time.at() on the fields, an embedded response with id and url), and the write API's
  sites and apps (POST /v1/signatures.json?api_key= with a JSON body, then /v1/validations), and
  the White House's own petitions-php-sdk (api_key on every call, ?key= on validations).
- JavaScript run for real in Node (when installed): fetch, JSONP executed as a script, a JSON POST.
"""
import json
import re
import shutil
import subprocess
from urllib.parse import urlencode

import pytest
import requests

from models import clock
from models.signature import Signature
from tests.support import deliver_mail, link_in, mails_in
from tests.support_dialects import answer, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")

JSONP = re.compile(r"^/\*\*/([\w$.]+)\((.*)\);$", re.S)


def wtp_client(base_url, apikey=None):
    """The wethepeople package's Api with its base URL (hard-coded to api.whitehouse.gov) changed."""
    import wethepeople
    from wethepeople import url

    class PortalApi(wethepeople.Api):
        @property
        def apiendpoint(self):
            return url.Url(f"{base_url}/v{self.version}")

    return PortalApi(apikey=apikey)


def jsonp(reply, callback):
    """What a <script> tag would hand the callback (and checks it is a script calling it)."""
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/javascript")
    found = JSONP.match(reply.text)
    assert found and found.group(1) == callback, reply.text[:200]
    return json.loads(found.group(2))


def confirm_by_mail(live_server, database, address):
    """The signer follows the mailed link and presses the button (a real browser's two requests)."""
    deliver_mail()
    [message] = [m for m in mails_in(database.mail_dir) if m["To"] == address]
    link = link_in(message)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    browser = requests.Session()
    assert browser.get(live_server.url + path, timeout=120).status_code == 200
    done = browser.post(live_server.url + path, data={"_xsrf": browser.cookies["_xsrf"]}, timeout=120)
    assert done.status_code == 200 and "confirmed" in done.text


def test_wethepeople_package_lists_reads_and_pages_without_a_key(live_server, make):
    big = make.organisation(signature_threshold=3)
    live = make.petition(organisation=big, title="Żółw ścieżka – 水 for the river")
    for n in range(4):
        make.signature(live, full_name=f"Ann{n} Lee", show_name=n % 2 == 0, city="Riverton")
    quiet = make.petition()
    make.petition(status="concept")  # never served
    api = wtp_client(live_server.url)  # the package never sends its key when reading: none is needed

    listing = api.get_petitions(limit=5)
    assert listing.ids == [str(quiet.id), str(live.id)]  # newest first
    info = listing.metadata.responseinfo
    assert (info.status, info.developerMessage, info.errorCode) == (200, "OK", "")
    assert (listing.metadata.resultset.count, listing.metadata.resultset.limit,
            listing.metadata.resultset.offset) == (2, 5, 0)
    assert listing.metadata.requestinfo.resource == "petitions"
    assert listing.metadata.requestinfo.query["limit"] == "5"  # echoed as sent, as in the seed
    petition = listing.results[1]
    assert repr(petition) == f"<petition:{live.id}>"
    assert petition.title == "Żółw ścieżka – 水 for the river"  # no letter replaced by "x"
    assert (petition.signatureThreshold, petition.signatureCount, petition.signaturesNeeded) == (3, 4, 0)
    assert petition.status == "open" and petition.isSignable is True and petition.isPublic is True
    assert isinstance(petition.created, int) and isinstance(petition.deadline, int)
    assert petition.created < petition.deadline and petition.response == [] and petition.issues == []

    signatures = petition.signatures  # GET /v1/petitions/{id}/signatures.json through the package
    assert len(signatures) == 4 and repr(signatures[0]) == f"<signatureFor:petition:{live.id}>"
    assert sorted(s.name for s in signatures) == ["", "", "A. L.", "A. L."]
    assert all(s.type == "signature" and isinstance(s.created, str) and s.created.isdigit() for s in signatures)
    assert not any("@" in json.dumps(vars(s), default=str) for s in signatures)
    page = api.get_signatures(live.id, limit=2, offset=3)
    assert page.ids == [signatures[3].id] and page.metadata.resultset.count == 4

    assert api.get_petitions(title="Żółw").ids == [str(live.id)]  # the package sends the text unencoded
    assert api.get_petitions(status="open", sortBy="signature_count", sortOrder="desc").ids == \
        [str(live.id), str(quiet.id)]
    assert api.get_petitions(signatureCountFloor=1, isSignable=1).ids == [str(live.id)]
    mock = api.get_petitions(mock=1)
    assert mock.ids == ["226511", "224306", "224016"] and mock.metadata.resultset.count == 809


def test_jquery_pages_read_jsonp_and_page_through_the_resultset(live_server, make):
    petitions = [make.petition(title=f"Trees for street {n}") for n in range(5)]
    make.signature(petitions[0], show_name=True, full_name="Jo Doe", city="Riverton")
    base = live_server.url + "/v1"

    # $.getJSON(ENDPOINT + '?limit=..&offset=' + offset + '&callback=?'): jQuery names the callback.
    seen, offset = [], 0
    while True:
        reply = requests.get(f"{base}/petitions.jsonp?limit=2&offset={offset}&callback=jQuery19105_1700000000000"
                             f"&_=1700000000001", timeout=120)
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        data = jsonp(reply, "jQuery19105_1700000000000")
        resultset = data["metadata"]["resultset"]
        assert isinstance(resultset["count"], int) and resultset["limit"] == 2 and resultset["offset"] == offset
        seen += data["results"]
        # A petition counts as open between its numeric created and deadline timestamps.
        assert all(isinstance(p["created"], int) and p["created"] <= p["deadline"] for p in data["results"])
        if resultset["count"] - offset <= resultset["limit"]:
            break
        offset = resultset["offset"] + resultset["limit"]
    assert sorted(p["id"] for p in seen) == sorted(str(p.id) for p in petitions)

    # $.ajax({url: '.../petitions.jsonp', data: {isSignable: true, title, body, site}, dataType: 'jsonp'})
    query = urlencode({"isSignable": "true", "title": "street 3", "site": "whitehouse",
                       "callback": "jQuery111_222", "_": "1700000000002"})
    found = jsonp(requests.get(f"{base}/petitions.jsonp?{query}", timeout=120), "jQuery111_222")
    assert [p["id"] for p in found["results"]] == [str(petitions[3].id)]

    one = jsonp(requests.get(f"{base}/petitions/{petitions[0].id}.jsonp?callback=show", timeout=120), "show")
    assert one["results"][0]["signatureCount"] == 1 and one["metadata"]["resultset"]["count"] == 1
    names = jsonp(requests.get(f"{base}/petitions/{petitions[0].id}/signatures.jsonp?callback=app.render",
                               timeout=120), "app.render")
    assert [s["name"] for s in names["results"]] == ["J. D."]
    # Without a callback the answer is plain JSON; a callback that is not a function name is refused.
    plain = requests.get(f"{base}/petitions.json?limit=1&callback=ignored", timeout=120)
    assert plain.headers["Content-Type"].startswith("application/json") and plain.json()["results"]
    bad = requests.get(f"{base}/petitions.jsonp?callback=alert(1)//", timeout=120)
    assert bad.status_code == 400 and bad.json()["metadata"]["responseInfo"]["status"] == "400"
    missing = requests.get(f"{base}/petitions/999999.jsonp?callback=cb", timeout=120)
    assert missing.status_code == 404 and missing.text.startswith("/**/cb(")
    assert json.loads(JSONP.match(missing.text).group(2))["metadata"]["responseInfo"]["errorCode"] == "84"


def test_node_client_searches_reads_signs_and_validates(live_server, make, database):
    petition = make.petition(api_enabled=True, title="Safe crossings")
    make.signature(petition, postal_code="12345", city="Riverton", show_name=True, full_name="Bo Ek")
    make.signature(petition, postal_code="99999")
    secret = token(make, scopes=("read", "create"))
    base = live_server.url + "/v1"

    # Petitions.searchPetitions(query): /v1/petitions.json with the joi-typed (integer) arguments
    search = requests.get(f"{base}/petitions.json", params={"isPublic": 1, "isSignable": 1, "limit": 1000,
                                                             "offset": 0, "signatureCountFloor": 2}, timeout=120)
    assert search.status_code == 200 and [p["id"] for p in search.json()["results"]] == [str(petition.id)]
    # Petitions.getPetition(id) and getSignatures(id, {zipcode}) by segment
    got = requests.get(f"{base}/petitions/{petition.id}.json", timeout=120).json()["results"][0]
    assert got["id"] == str(petition.id) and got["signatureCount"] == 2
    zipped = requests.get(f"{base}/petitions/{petition.id}/signatures.json", params={"zipcode": 12345},
                          timeout=120).json()
    assert [s["zip"] for s in zipped["results"]] == ["12345"] and zipped["results"][0]["name"] == "B. E."

    # request({uri, method: 'POST', body: params, json: params}): a JSON body whose zip is a number
    signature = {"petition_id": str(petition.id), "email": "node@example.org", "first_name": "Node",
                 "last_name": "Client", "zip": 55555}
    signed = requests.post(f"{base}/signatures.json", params={"api_key": secret}, json=signature, timeout=120)
    assert signed.status_code == 200
    assert signed.json() == {"metadata": {"responseInfo": {"status": 200, "developerMessage": "OK",
                                                           "userMessage": "", "errorCode": "", "moreInfo": ""}}}
    stored = Signature.get(Signature.email == "node@example.org")
    assert (stored.full_name, stored.postal_code, stored.source, stored.confirmed_at) == \
        ("Node Client", "55555", "wtp", None)

    # Validations.index({petition_id}): empty until the signer confirms, then this key's submission
    validations = requests.get(f"{base}/validations.json", params={"api_key": secret, "petition_id": petition.id},
                               timeout=120)
    assert validations.status_code == 200 and validations.json()["results"] == []
    confirm_by_mail(live_server, database, "node@example.org")
    validations = requests.get(f"{base}/validations.json", params={"api_key": secret, "petition_id": petition.id},
                               timeout=120).json()
    assert validations["results"] == [{"vid": str(stored.id), "email": "node@example.org",
                                       "signature_id": str(stored.id), "petition_id": str(petition.id)}]
    assert validations["metadata"]["resultset"] == {"count": 1, "limit": 1000, "offset": 0}
    other_key = token(make, scopes=("create",))
    assert requests.get(f"{base}/validations.json", params={"api_key": other_key},
                        timeout=120).json()["results"] == []
    assert requests.get(f"{base}/petitions/{petition.id}.json", timeout=120).json()["results"][0][
        "signatureCount"] == 3


def test_ruby_gem_sends_key_and_limit_and_coerces_the_fields(live_server, make):
    petition = make.petition(status="in_process")
    response = answer(make, [petition], title="Our answer", published_at=clock.now())
    open_one = make.petition()
    secret = token(make)
    base = live_server.url + "/v1"
    # WeThePeople::Resources::Petition.all: petitions.json with {key, limit: 1000} (and mock when set)
    listing = requests.get(f"{base}/petitions.json?key={secret}&limit=1000", timeout=120).json()
    resultset = listing["metadata"]["resultset"]
    assert [int(str(resultset[k])) for k in ("count", "offset", "limit")] == [2, 0, 1000]
    for attrs in listing["results"]:
        # attribute :signature_count, Integer / attribute :created, Time: Integer(v) and Time.at(v)
        for name in ("signatureThreshold", "signatureCount", "signaturesNeeded", "deadline", "created"):
            assert isinstance(attrs[name], int) and not isinstance(attrs[name], bool), name
        assert isinstance(attrs["issues"], list)
    # Petition.find(id): petitions/{id}.json, results.first; has_embedded :response => id and url
    found = requests.get(f"{base}/petitions/{petition.id}.json?key={secret}&limit=1000", timeout=120).json()
    first = found["results"][0]
    assert first["status"] == "responded" and first["signaturesNeeded"] == max(0, first["signatureThreshold"]
                                                                                - first["signatureCount"])
    assert first["response"]["id"] == response.id
    assert first["response"]["url"] == f"{live_server.url}/responses/{response.id}"
    assert requests.get(first["response"]["url"], timeout=120).status_code == 200  # the response's own page
    assert isinstance(first["response"]["associationTime"], int)
    unanswered = requests.get(f"{base}/petitions/{open_one.id}.json?key={secret}", timeout=120).json()
    assert unanswered["results"][0]["response"] == []  # blank, as in the seed: nothing embedded
    responses = requests.get(f"{base}/responses.json?key={secret}", timeout=120).json()
    [item] = responses["results"]
    assert isinstance(item["id"], int) and isinstance(item["created"], int)
    assert item["url"] == first["response"]["url"] and item["relative_url"] == f"/responses/{response.id}"
    assert item["petitions"][0]["id"] == str(petition.id) and item["petitions"][0]["signature_count"].isdigit()
    mock = requests.get(f"{base}/petitions.json?key={secret}&limit=1000&mock=1", timeout=120).json()
    assert mock["results"][0]["id"] == "226511"
    assert requests.get(f"{base}/petitions.json?key=pp_revoked&limit=1000", timeout=120).status_code == 401


def test_write_api_sites_post_json_and_read_the_seed_error_codes(live_server, make, database):
    petition = make.petition(api_enabled=True)
    closed = make.petition(status="to_process", api_enabled=True)
    secret = token(make, scopes=("create",))
    url = f"{live_server.url}/v1/signatures.json?api_key={secret}"
    sign = {"petition_id": str(petition.id), "email": "app@example.org", "first_name": "Catherine",
            "last_name": "McMahon", "zip": "94502"}

    # The apps' NSMutableURLRequest / PHP postJson(): a JSON body with Content-Type application/json
    reply = requests.post(url, data=json.dumps(sign), headers={"Content-Type": "application/json"}, timeout=120)
    assert reply.status_code == 200 and reply.json()["metadata"]["responseInfo"]["status"] == 200
    # curl -d '{...}' sends JSON labelled as a form; form fields (requests' data=) work as well
    as_form_label = requests.post(url, data=json.dumps({**sign, "email": "curl@example.org"}), timeout=120)
    assert as_form_label.status_code == 200
    form = requests.post(url, data={**sign, "email": "form@example.org"}, timeout=120)
    assert form.status_code == 200
    assert {s.email for s in Signature.select()} == {"app@example.org", "curl@example.org", "form@example.org"}

    def error(reply, status, code):
        assert reply.status_code == status, reply.text
        info = reply.json()["metadata"]["responseInfo"]
        assert (info["status"], info["errorCode"]) == (str(status), code)
        assert info["developerMessage"] == info["developerMessage:"] and info["userMessage"]
        return info

    info = error(requests.post(url, json={"petition_id": str(petition.id), "email": "x@example.org"},
                               timeout=120), 400, "75")
    assert info["userMessage"].startswith("Missing required fields. These fields are required: "
                                          "signature_source_api_key, petition_id, email, first_name, last_name.")
    info = error(requests.post(url, json={**sign, "petition_id": "52796fe3362c79771d00000e"}, timeout=120), 404, "76")
    assert info["userMessage"] == "The petition you are trying to sign doesn't exist."
    info = error(requests.post(url, json={**sign, "petition_id": str(closed.id)}, timeout=120), 403, "74")
    assert info["developerMessage"].startswith(f"Petition {closed.id} cannot accept more signatures. (")
    assert info["userMessage"] == ("This petition cannot accept more signatures. You can open a new petition on "
                                   f"this issue here: {live_server.url}/.")
    info = error(requests.post(f"{live_server.url}/v1/signatures.json?api_key=asY1k9uCQY7Hg8MCBaa", json=sign,
                               timeout=120), 401, "85")
    assert info["developerMessage"] == "401 Unauthorized : Invalid key."
    error(requests.get(f"{live_server.url}/v1/validations.json?api_key=asY1k9uCQY7Hg8MCBaa", timeout=120), 401, "85")
    assert Signature.select().count() == 3

    confirm_by_mail(live_server, database, "app@example.org")
    listed = requests.get(f"{live_server.url}/v1/validations.json", params={"api_key": secret}, timeout=120).json()
    assert [(v["email"], v["petition_id"]) for v in listed["results"]] == [("app@example.org", str(petition.id))]
    assert all(isinstance(v[k], str) for v in listed["results"] for k in ("vid", "signature_id", "petition_id"))
    mock = requests.get(f"{live_server.url}/v1/validations.json?mock=1", timeout=120)
    assert mock.status_code == 200 and len(mock.json()["results"]) == 3


def test_official_php_sdk_request_patterns(live_server, make, database):
    """WhiteHouse/petitions-php-sdk: api_key on every call (reads too), rawurlencoded arguments,
    a JSON POST, validations with both ?key= and ?api_key=, and an exception whenever
    responseInfo.status != 200 (PHP's loose comparison: "200" and 200 both pass)."""
    petition = make.petition(api_enabled=True, title="Benches for Austin")
    for n in range(3):
        make.signature(petition, city="Austin", state="TX", show_name=True, full_name=f"Jane Doe{n}")
    make.signature(petition, city="Dallas", state="TX")
    secret = token(make, scopes=("read", "create"))
    host = live_server.url + "/v1"

    def run_curl(resource, get_vals=(), post_vals=None, api_key=secret):
        pairs = list(get_vals) + ([("api_key", api_key)] if api_key else [])
        # buildQueryString(): rawurlencode, a NULL value as a bare key
        query = "&".join(k if v is None else f"{k}={requests.utils.quote(str(v), safe='/')}" for k, v in pairs)
        url = f"{host}/{resource}?{query}"
        if post_vals is None:
            reply = requests.get(url, timeout=120)
        else:
            body = json.dumps(post_vals)
            reply = requests.post(url, data=body, timeout=120, headers={"Content-Type": "application/json",
                                                                        "Content-Length": str(len(body))})
        response = reply.json()
        status = response.get("metadata", {}).get("responseInfo", {}).get("status")
        if not status:
            raise AssertionError("Could not connect to Petitions API.")
        if str(status) != "200":
            raise LookupError(response["metadata"]["responseInfo"]["developerMessage"])
        return response

    run_curl("petitions.json")  # the constructor's connection test
    run_curl("petitions.json", api_key=None)  # "a NULL API key may be used ... if only Read API functionality"
    listing = run_curl("petitions.json", [("limit", 10), ("offset", 0), ("status", "open"),
                                          ("createdBefore", 4102444800)])
    assert [p["id"] for p in listing["results"]] == [str(petition.id)]
    assert run_curl(f"petitions/{petition.id}.json")["results"][0]["title"] == "Benches for Austin"
    assert run_curl(f"petitions/{petition.id}.json", [("mock", "1")])["results"][0]["id"] == "226512"
    austin = run_curl(f"petitions/{petition.id}/signatures.json",
                      [("limit", 2), ("offset", 1), ("city", "Austin"), ("state", "TX"),
                       ("createdBefore", 4102444800)])
    assert austin["metadata"]["resultset"] == {"count": 3, "limit": 2, "offset": 1}
    assert [s["name"] for s in austin["results"]] == ["J. D.", "J. D."]
    sent = run_curl("signatures.json", post_vals={"petition_id": str(petition.id), "email": "jane.doe@example.com",
                                                  "first_name": "Jane", "last_name": "Doe", "zip": "55555"})
    assert sent["metadata"]["responseInfo"]["status"] == 200
    confirm_by_mail(live_server, database, "jane.doe@example.com")
    validations = run_curl("validations.json", [("key", secret), ("limit", 10), ("offset", 0),
                                                ("petition_id", str(petition.id))])
    assert [v["email"] for v in validations["results"]] == ["jane.doe@example.com"]
    with pytest.raises(LookupError, match="Invalid key"):
        run_curl("validations.json", [("key", None), ("limit", 10), ("offset", 0)], api_key=None)
    with pytest.raises(LookupError, match="not found"):
        run_curl("petitions/exampleID.json")


NODE_CLIENT = r"""
// What JavaScript clients of We the People do: fetch JSON, run JSONP as a script, POST JSON.
const vm = require('vm');
const [base, key, petitionId] = process.argv.slice(2);
(async () => {
  const out = {};
  const list = await (await fetch(`${base}/v1/petitions.json?limit=100`)).json();
  out.titles = list.results.map(p => p.title);
  out.open = list.results.every(p => typeof p.created === 'number' && p.created < p.deadline);
  const script = await (await fetch(`${base}/v1/petitions.jsonp?limit=1000&offset=0&callback=jQuery19105_17&_=17`)).text();
  vm.runInNewContext(script, {jQuery19105_17: data => { out.jsonpCount = data.metadata.resultset.count; }});
  const sign = await fetch(`${base}/v1/signatures.json?api_key=${key}`, {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({petition_id: petitionId, email: 'js@example.org', first_name: 'Jay', last_name: 'Es', zip: 55555})});
  out.signStatus = sign.status;
  out.signInfo = (await sign.json()).metadata.responseInfo;
  const missing = await fetch(`${base}/v1/petitions/424242.json`);
  const info = (await missing.json()).metadata.responseInfo;
  out.missing = [missing.status, info.status != 200, info.errorCode, info.userMessage];
  console.log(JSON.stringify(out));
})().catch(error => { console.error(error); process.exit(1); });
"""


def test_javascript_clients_run_in_node(live_server, make, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    petition = make.petition(api_enabled=True, title="Łąka – 花 meadow")
    make.petition(title="Second one")
    secret = token(make, scopes=("create",))
    script = tmp_path / "client.js"
    script.write_text(NODE_CLIENT)
    run = subprocess.run([node, str(script), live_server.url, secret, str(petition.id)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert sorted(out["titles"]) == ["Second one", "Łąka – 花 meadow"] and out["open"] is True
    assert out["jsonpCount"] == 2
    assert out["signStatus"] == 200 and out["signInfo"]["status"] == 200 and out["signInfo"]["errorCode"] == ""
    assert Signature.get().email == "js@example.org" and Signature.get().postal_code == "55555"
    assert out["missing"] == [404, True, "84", "The petition that you requested does not exist."]
