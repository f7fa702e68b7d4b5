"""Every key-based dialect shares one key rule (models/api.py); the rate limits: test_rate_limits.py."""
import pytest

from tests.support_dialects import token


@pytest.mark.gen_test
async def test_a_key_of_an_organisation_its_owner_left_reads_nothing_in_any_dialect(web, make):
    from models.user import Membership

    organisation = make.organisation()
    clerk = make.clerk(organisation)
    secret = token(make, scopes=("read",), organisation=organisation, user=clerk)
    assert (await web.get(f"/v1/petitions?api_key={secret}")).code == 200
    Membership.delete().where(Membership.user == clerk.id).execute()
    assert (await web.get(f"/v1/petitions?api_key={secret}")).code == 401
    assert (await web.get("/api/osdi/v1/petitions", headers={"OSDI-API-Token": secret})).code == 401
    assert (await web.get(f"/api/v1/petitions?api_key={secret}")).code == 403
