"""The dialect-neutral API core in models/api.py: domains, Origin matching, the settings rule for
petitions hidden by moderation. (The rate limiter: test_rate_limits.py.)"""
import pytest

from models import api
from models.audit import Actor
from models.errors import NotAllowed
from models.petition import Petition


def test_domain_lines():
    lines, problems = api.normalise_domains("Example.COM\n\nlocalhost\n127.0.0.1:8000\nexample.com\nsub-1.example.org.")
    assert lines == ["example.com", "localhost", "127.0.0.1:8000", "sub-1.example.org."] and problems == []
    for bad in ("https://example.com", "http:example.com", "example.com/path", "a b", "host:0", "host:65536",
                "host:port", "::1", "-bad.example", "bad_.example", "x" * 300, "ex ample.com", "a..b"):
        assert api.check_domain_line(bad), bad


@pytest.mark.parametrize("origin,allowed", [
    ("https://forms.example.org", True), ("http://forms.example.org:3000", True),
    ("https://FORMS.example.org", True), ("https://forms.example.org:443", True),
    ("http://127.0.0.1:8000", True), ("http://127.0.0.1:8001", False), ("http://127.0.0.1", False),
    ("https://evil.example", False), ("https://forms.example.org.evil.example", False),
    ("https://example.org", False), ("null", False), ("", False), (None, False), ("ftp://forms.example.org", False),
    ("https://forms.example.org@evil.example", False), ("https://[::1]:80", False), ("https://x:99999", False),
])
def test_origin_matching(make, origin, allowed):
    petition = Petition(allowed_domains="forms.example.org\n127.0.0.1:8000")
    assert api.origin_allowed(petition, origin) is allowed


def test_only_moderators_unhide_a_petition_moderation_hid(make):
    lead = make.user()
    petition = make.petition(lead=lead)
    Petition.update(hidden=True, hidden_reason="personal data").where(Petition.id == petition.id).execute()
    with pytest.raises(NotAllowed):
        api.update_api_settings(petition, Actor.for_user(lead), api_enabled=True, allowed_domains="", hidden=False)
    api.update_api_settings(petition, Actor.for_user(lead), api_enabled=True, allowed_domains="", hidden=True)
    assert Petition.get_by_id(petition.id).api_enabled is True
    api.update_api_settings(petition, Actor.for_user(make.admin()), api_enabled=True, allowed_domains="",
                            hidden=False)
    assert Petition.get_by_id(petition.id).hidden is False


def test_key_token_from_request_parts():
    assert api.key_token_from("q", "Bearer h") == "h"
    assert api.key_token_from("q", "bearer  h ") == "h"
    assert api.key_token_from("q", "Basic abc") == "q"
    assert api.key_token_from(None, None, header_key=" osdi ") == "osdi"
    assert api.key_token_from("", "Bearer ") is None
