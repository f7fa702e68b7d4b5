"""Helpers for the We the People and OSDI dialect tests: keys, answered petitions, JSON requests."""
import json

from models import clock
from models.apikey import create_key
from models.audit import Actor
from models.petition import Petition, transition
from models.response import Response, ResponsePetition


def token(make, scopes=("read",), organisation=None, is_test=False, user=None, partner=None):
    """A key's secret token (the key itself is found again by authenticate()). A key of an
    organisation belongs to one of its clerks: it speaks for the organisation only while its
    owner works there. A key with the create scope is a partner key unless `partner=False`."""
    user = user or make.user()
    if organisation is not None and not user.is_member_of(organisation.id):
        from models.user import add_membership

        add_membership(user, organisation, "clerk")
    _key, secret = create_key(user, "test key", list(scopes), organisation=organisation, is_test=is_test,
                              is_partner=partner if partner is not None else "create" in scopes)
    return secret


def accepting_api_signatures(petition):
    """Turn on 'Enable API submissions' (a petition's own choice on every key-based channel)."""
    Petition.update(api_enabled=True).where(Petition.id == petition.id).execute()
    return reload(petition)


def answer(make, petitions, title="Our answer", published_at=None):
    """Publish one response answering the given in_process petitions (they become completed)."""
    published_at = published_at or clock.now()
    response = Response.create(organisation=petitions[0].organisation, title=title, body="<p>We agree.</p>",
                               published_at=published_at)
    for petition in petitions:
        ResponsePetition.create(response=response, petition=petition)
        transition(petition, "completed", Actor.system("test"), response=response)
    return response


def reload(petition):
    return Petition.get_by_id(petition.id)


async def post_json(web, path, data, headers=None, method="POST"):
    return await web.fetch(path, method=method, body=json.dumps(data),
                           headers={"Content-Type": "application/json", **(headers or {})})


def osdi_headers(secret, name="OSDI-API-Token"):
    return {name: secret}
