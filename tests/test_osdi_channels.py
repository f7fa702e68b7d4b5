"""Every signing channel lands in the one signatures table under the one uniqueness rule, and no
dialect shows an email address or a name its signer chose to hide."""
import pytest

from models import clock
from models.signature import Signature
from tests.support_dialects import answer, osdi_headers, post_json, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")


async def sign_on_web(web, petition, email, name="Web Signer"):
    reply = await web.post(f"/petitions/{petition.slug}/sign", {"full_name": name, "email": email,
                                                                 "accept_terms": "y"})
    assert reply.code == 303, reply.text[:300]


async def sign_wtp(web, petition, email, secret):
    reply = await web.post(f"/v1/signatures?api_key={secret}", {"petition_id": str(petition.id), "email": email,
                                                                "first_name": "Wtp", "last_name": "Signer"},
                           xsrf=False)
    assert reply.code == 200, reply.text


async def sign_osdi(web, petition, email, secret):
    reply = await post_json(web, f"/api/osdi/v1/petitions/{petition.id}/record_signature_helper",
                            {"person": {"given_name": "Osdi", "family_name": "Signer",
                                        "email_addresses": [{"address": email}]}}, osdi_headers(secret))
    assert reply.code == 200, reply.text


@pytest.mark.gen_test
async def test_three_channels_one_table_one_uniqueness_rule(web, make):
    petition = make.petition(api_enabled=True)
    secret = token(make, scopes=("read", "create"))
    await sign_on_web(web, petition, "web@example.org")
    await sign_wtp(web, petition, "wtp@example.org", secret)
    await sign_osdi(web, petition, "osdi@example.org", secret)
    rows = {s.email: s.source for s in Signature.select()}
    assert rows == {"web@example.org": "web", "wtp@example.org": "wtp", "osdi@example.org": "osdi"}
    # The same address through every channel (in any capitalisation) is one signature.
    await sign_on_web(web, petition, "Same@Example.org")
    await sign_wtp(web, petition, "same@example.org", secret)
    await sign_osdi(web, petition, "SAME@example.org ", secret)
    same = list(Signature.select().where(Signature.email == "same@example.org"))
    assert len(same) == 1 and same[0].source == "web"
    assert Signature.select().count() == 4


@pytest.mark.gen_test
async def test_no_dialect_leaks_an_email_or_a_hidden_name(web, make):
    petition = make.petition(status="in_process")
    open_petition = make.petition(organisation=petition.organisation, api_enabled=True)
    secret = token(make, scopes=("read", "create"))
    hidden = make.signature(open_petition, full_name="Hilda Hiddenname", email="hilda@secret.example",
                            show_name=False, city="Riverton")
    shown = make.signature(open_petition, full_name="Sven Shownname", email="sven@secret.example", show_name=True)
    await sign_osdi(web, open_petition, "osdi.person@secret.example", secret)
    Signature.update(confirmed_at=clock.now()).where(Signature.confirmed_at.is_null()).execute()
    response = answer(make, [petition])
    osdi = f"/api/osdi/v1/petitions/{open_petition.id}"
    wtp_paths = ["/v1/petitions", f"/v1/petitions/{open_petition.id}", f"/v1/petitions/{open_petition.id}/signatures",
                 "/v1/responses", f"/v1/responses/{response.id}"]
    osdi_paths = ["/api/osdi/v1/", "/api/osdi/v1/petitions", osdi, f"{osdi}/signatures",
                  f"/api/osdi/v1/people/s{hidden.id}", f"/api/osdi/v1/people/s{shown.id}",
                  f"/api/osdi/v1/people/u{open_petition.lead_petitioner_id}"]
    texts = []
    for path in wtp_paths:
        reply = await web.get(f"{path}?api_key={secret}")
        assert reply.code == 200, path
        texts.append(reply.text)
    for path in osdi_paths:
        reply = await web.get(path, headers=osdi_headers(secret))
        assert reply.code == 200, path
        texts.append(reply.text)
    everything = "\n".join(texts)
    assert "@" not in everything  # no signer's, petitioner's or clerk's address anywhere
    for name in ("Hilda", "Hiddenname", "Osdi", open_petition.lead_petitioner.name):
        assert name not in everything
    assert "Sven" in everything  # a shown name appears (OSDI person) ...
    assert "S. S." in everything  # ... and as initials in We the People's list
    # Validations are the one place with addresses: only the submitting key's own.
    own = await web.get(f"/v1/validations?api_key={secret}")
    assert [r["email"] for r in own.json()["results"]] == ["osdi.person@secret.example"]
