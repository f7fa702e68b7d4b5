"""The authorisation matrix: every v1 endpoint × every kind of key, with the status each cell expects."""
import itertools

import pytest

from models.api import update_api_settings
from models.apikey import revoke
from models.audit import Actor
from tests.support_api import call, new_key

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
ORIGIN = "https://forms.example.org"
KINDS = ("none", "revoked", "test", "read", "create", "update", "right_org", "other_org")
ALL = ("read", "create", "update")

# endpoint -> expected status per key kind (same order as KINDS)
EXPECTED = {
    "list petitions": (401, 401, 200, 200, 403, 403, 200, 200),
    "one petition": (401, 401, 200, 200, 403, 403, 200, 200),
    "signatures": (401, 401, 200, 200, 403, 403, 200, 200),
    "organisations": (401, 401, 200, 200, 403, 403, 200, 200),
    "one organisation": (401, 401, 200, 200, 403, 403, 200, 200),
    "put petition": (401, 401, 403, 403, 403, 200, 200, 403),
    # a create key reaches its owner's petitions (here the lead's key) or its organisation's, not another's
    "sign (Forbrukermakt)": (401, 401, 403, 403, 202, 403, 202, 403),
    "sign (petitions.eu)": (401, 401, 403, 403, 200, 403, 200, 403),
    "signature count": (200, 200, 200, 200, 200, 200, 200, 200),
}


@pytest.mark.gen_test
async def test_authorisation_matrix(web, make):
    org, other = make.organisation(), make.organisation()
    lead = make.user()
    live = make.petition(organisation=org, lead=lead)
    update_api_settings(live, Actor.for_user(lead), api_enabled=True, allowed_domains="forms.example.org",
                        hidden=False)
    working = make.petition(organisation=org, status="to_process")
    make.signature(live)
    revoked_key, revoked = new_key(make, scopes=ALL, organisation=org)
    revoke(revoked_key)
    tokens = {
        "none": None, "revoked": revoked,
        "test": new_key(make, scopes=ALL, organisation=org, is_test=True)[1],
        "read": new_key(make, scopes=("read",))[1],
        "create": new_key(make, scopes=("create",), user=lead, partner=False)[1],
        "update": new_key(make, scopes=("update",), organisation=org)[1],
        "right_org": new_key(make, scopes=ALL, organisation=org, partner=False)[1],
        "other_org": new_key(make, scopes=ALL, organisation=other, partner=False)[1],
    }
    counter = itertools.count()

    def request(endpoint, token):
        n = next(counter)
        origin = {"Origin": ORIGIN}
        return {
            "list petitions": lambda: call(web, "GET", "/api/v1/petitions", token=token),
            "one petition": lambda: call(web, "GET", f"/api/v1/petitions/{live.slug}", token=token),
            "signatures": lambda: call(web, "GET", "/api/v1/signatures", token=token),
            "organisations": lambda: call(web, "GET", "/api/v1/organisations", token=token),
            "one organisation": lambda: call(web, "GET", f"/api/v1/organisations/{org.slug}", token=token),
            "put petition": lambda: call(web, "PUT", f"/api/v1/petitions/{working.id}",
                                         {"reference_field": f"REF-{n}"}, token=token),
            "sign (Forbrukermakt)": lambda: call(
                web, "POST", f"/api/v1/petitions/{live.slug}/signatures",
                {"full_name": "Jane Doe", "email": f"jane{n}@example.org", "accept_terms": True}, token=token,
                headers=origin),
            "sign (petitions.eu)": lambda: call(
                web, "POST", f"/api/v1/petitions/{live.id}/signature",
                {"name": "J. Doe", "email": f"j{n}@example.org", "city": "Town", "visible": 0}, token=token,
                headers=origin),
            "signature count": lambda: call(web, "GET", f"/api/v1/petitions/{live.slug}/signature-count",
                                            token=token),
        }[endpoint]()

    found = {}
    for endpoint in EXPECTED:
        found[endpoint] = tuple([(await request(endpoint, tokens[kind])).code for kind in KINDS])
    assert found == EXPECTED
