"""Text longer than its column is a 4xx naming the field on every channel, and nothing is written.

PostgreSQL raises on a VARCHAR overflow (a 500) where SQLite silently stores the text, so these run
on both backends; the worst are the ones anybody can reach: signing (web and every API dialect),
sign-up, and the fields clerks and admins type into.
"""
import json

import pytest

from models.errors import InvalidInput
from models.organisation import Organisation
from models.petition import Petition
from models.signature import Signature
from models.user import User
from tests.support_api import call, new_key, sign_in_as
from tests.support_dialects import osdi_headers, token
from tests.test_api_signing import ORIGIN, api_petition

OVER = {"full_name": 256, "city": 256, "postal_code": 33, "state": 65, "country": 65}


def long_text(n):
    return ("Ab " * n)[:n - 1] + "z"


@pytest.mark.gen_test
async def test_web_signing_form_refuses_each_over_long_field(web, make):
    petition = make.petition()
    good = {"full_name": "Jane Doe", "email": "jane@example.org", "accept_terms": "y"}
    for field, length in (("full_name", 256), ("city", 256), ("email", 300)):
        value = long_text(length) if field != "email" else "a" * 300 + "@example.org"
        reply = await web.post(f"/petitions/{petition.slug}/sign", {**good, field: value})
        assert reply.code == 400, (field, reply.code)
        assert "at most" in reply.text or "valid email" in reply.text
    assert Signature.select().count() == 0


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_every_api_dialect_refuses_over_long_signer_fields(web, make):
    petition = api_petition(make)
    _key, v1 = new_key(make, scopes=("create",))
    wtp = token(make, scopes=("create",))
    osdi = token(make, scopes=("create",))
    for field, length in OVER.items():
        text = long_text(length)
        body = {"full_name": "Jane Doe", "email": "jane@example.org", "accept_terms": True, field: text}
        reply = await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures", body, token=v1,
                           headers={"Origin": ORIGIN})
        assert reply.code in (400, 422), (field, reply.code, reply.text)
        assert field in reply.text
        wtp_names = {"full_name": "first_name", "city": "city", "postal_code": "zip", "state": "state",
                     "country": "country"}
        wtp_body = {"petition_id": str(petition.id), "email": "john@example.com", "first_name": "John",
                    "last_name": "Doe", wtp_names[field]: text}
        reply = await web.fetch(f"/v1/signatures?api_key={wtp}", method="POST", body=json.dumps(wtp_body),
                                headers={"Content-Type": "application/json"})
        assert 400 <= reply.code < 500, (field, reply.code, reply.text)
        osdi_names = {"full_name": "given_name", "city": "locality", "postal_code": "postal_code",
                      "state": "region", "country": "country"}
        person = {"family_name": "Lee", "given_name": "Ann", "email_addresses": [{"address": "ann@example.org"}],
                  "postal_addresses": [{}]}
        if field == "full_name":
            person["given_name"] = text
        else:
            person["postal_addresses"] = [{osdi_names[field]: text}]
        reply = await web.fetch(f"/api/osdi/v1/petitions/{petition.id}/record_signature_helper", method="POST",
                                body=json.dumps({"person": person, "identifiers": ["crm:" + "9" * 300],
                                                 "origin_system": long_text(300)}),
                                headers={"Content-Type": "application/json", **osdi_headers(osdi)})
        assert 400 <= reply.code < 500, (field, reply.code, reply.text)
    assert Signature.select().count() == 0


@pytest.mark.gen_test
async def test_accounts_keys_organisations_petitions_and_references_refuse_over_long_text(web, make):
    reply = await web.post("/signup", {"name": long_text(256), "email": "new@example.org",
                                       "password": "long enough password"})
    assert reply.code == 400 and User.select().where(User.email == "new@example.org").count() == 0
    admin = make.admin()
    sign_in_as(web, admin)
    reply = await web.post("/admin/organisations/new", {"name": long_text(256), "kind": "council"})
    assert reply.code in (400, 422) and Organisation.select().count() == 0
    reply = await web.post("/user/api-tokens", {"name": long_text(101), "scopes": "read"})
    assert reply.code in (400, 422) and "at most" in reply.text
    organisation = make.organisation()
    user = make.user()
    sign_in_as(web, user)
    reply = await web.post("/my/petitions/new", {"title": long_text(256), "request": "Please plant more trees.",
                                                 "organisation": str(organisation.id), "language": "en"})
    assert reply.code in (400, 422) and Petition.select().count() == 0
    petition = make.petition(status="to_process", organisation=organisation)
    _key, writer = new_key(make, scopes=("read", "update"), organisation=organisation)
    reply = await call(web, "PUT", f"/api/v1/petitions/{petition.id}", {"reference_field": long_text(257)},
                       token=writer)
    assert reply.code == 422 and "reference_field" in reply.text
    assert Petition.get_by_id(petition.id).reference_field is None


def test_the_model_net_refuses_what_validation_missed_on_both_backends(make):
    """The last line: any write of a CharField beyond its max_length is an InvalidInput naming it,
    the same on SQLite as on PostgreSQL, whether it is a create, a save or an update."""
    petition = make.petition()
    with pytest.raises(InvalidInput) as error:
        Signature.create(petition=petition, full_name="x" * 256, email="a@example.org", created_at=petition.created_at)
    assert set(error.value.fields) == {"full_name"} and "255" in error.value.fields["full_name"]
    with pytest.raises(InvalidInput):
        Petition.update(reference_field="r" * 257).where(Petition.id == petition.id).execute()
    with pytest.raises(InvalidInput):
        Petition.update({Petition.title: "t" * 256}).where(Petition.id == petition.id).execute()
    petition.language = "x" * 9
    with pytest.raises(InvalidInput):
        petition.save()
    assert Petition.get_by_id(petition.id).language == "en" and Signature.select().count() == 0
    Petition.update(reference_field="r" * 256).where(Petition.id == petition.id).execute()  # at the limit: fine


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_lone_surrogates_in_json_are_refused_not_stored(web, make):
    """JSON may escape half a UTF-16 pair ("\\ud800"); json.loads gives a str no database or UTF-8
    encoder accepts (a 500 when written or echoed). Such text is refused like control characters."""
    petition = api_petition(make)
    _key, v1 = new_key(make, scopes=("create", "read", "update"), organisation=petition.organisation)
    raw = b'{"full_name": "Jane \\ud800 Doe", "email": "jane@example.org", "accept_terms": true}'
    reply = await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures", raw=raw, token=v1,
                       headers={"Origin": ORIGIN})
    assert reply.code in (400, 422) and "full_name" in reply.text, reply.text
    reply = await call(web, "PUT", f"/api/v1/petitions/{petition.id}", raw=b'{"reference_field": "R\\udfff"}',
                       token=v1)
    assert reply.code in (400, 422) and "reference_field" in reply.text, reply.text
    reply = await call(web, "PUT", f"/api/v1/petitions/{petition.id}", raw=b'{"\\udfff": "R"}', token=v1)
    assert reply.code in (400, 422) and "\\udfff" in reply.text, reply.text
    wtp = token(make, scopes=("create",))
    reply = await web.fetch(f"/v1/signatures?api_key={wtp}", method="POST",
                            body=('{"petition_id": "%d", "email": "john@example.com", "first_name": "Jo\\ud800hn", '
                                  '"last_name": "Doe"}' % petition.id).encode(),
                            headers={"Content-Type": "application/json"})
    assert 400 <= reply.code < 500, reply.text
    assert Signature.select().count() == 0 and Petition.get_by_id(petition.id).reference_field is None
