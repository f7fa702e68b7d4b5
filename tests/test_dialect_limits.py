"""Every key-based dialect shares one rate limiter and one key rule (models/api.py)."""
import datetime as dt

import pytest

from models import clock
from tests.support_dialects import token


@pytest.mark.gen_test
@pytest.mark.parametrize("path,header", [("/api/v1/petitions", None), ("/v1/petitions", None),
                                         ("/api/osdi/v1/petitions", "OSDI-API-Token")])
async def test_the_eleventh_request_in_a_second_gets_429_with_retry_after(web, make, path, header):
    secret = token(make)
    clock.set_global(dt.datetime(2026, 5, 1, 12, 0, 0))
    headers = {header: secret} if header else {}
    url = path if header else f"{path}?api_key={secret}"
    codes = [(await web.get(url, headers=headers)).code for _ in range(10)]
    assert codes == [200] * 10
    limited = await web.get(url, headers=headers)
    assert limited.code == 429, limited.text
    assert limited.headers["Retry-After"] == "1"
    assert "Too many requests" in limited.text
    clock.set_global(dt.datetime(2026, 5, 1, 12, 0, 1))
    assert (await web.get(url, headers=headers)).code == 200


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
