"""Signed webhooks against a real local HTTP receiver: every event verified with the Standard
Webhooks reference library, retries with backoff, disabling after repeated failure (with a mail),
no duplicate delivery after the job is killed, address rules, and subscribing through the
workspace, the API and the command line."""
import datetime as dt
import json
import signal

import pytest
from standardwebhooks.webhooks import Webhook

from jobs.scheduler import run_job
from models import answering, clock, config, webhooks
from models.audit import Actor
from models.mail import OutboxMessage
from models.petition import transition, update_recipient_fields
from tests.support_jobs import run_cli, sign_in_cookie, start_cli, wait_for
from tests.support_webhooks import Receiver

SYSTEM = Actor.system("test")


@pytest.fixture
def allow_http(database):
    return config.configure(config.current().with_(webhooks_allow_http=True))


def subscribe(organisation, url, events=None):
    return webhooks.create_endpoint(organisation, SYSTEM, url, events or list(webhooks.EVENTS))


def deliver():
    result = run_job("deliver_webhooks", trigger="cli")
    assert result["outcome"] == "ok", result
    return result["counts"]


def test_every_event_is_signed_as_the_specification_says(make, allow_http):
    organisation = make.organisation(signature_threshold=5)
    lead = make.user(email="lead.person@example.org", name="Lead Person")
    petition = make.petition("staging", organisation=organisation, lead=lead)
    with Receiver() as receiver:
        endpoint, secret = subscribe(organisation, receiver.url)
        assert secret.startswith("whsec_")
        petition = transition(petition, "live", SYSTEM)
        make.signature(petition, email="signer.secret@example.net", full_name="Secret Signer", city="Oslo")
        petition = transition(petition, "to_process", SYSTEM)
        update_recipient_fields(petition, SYSTEM, {"reference_field": "CASE-1", "date_projected": clock.today().isoformat()})
        response = answering.save_draft(organisation, SYSTEM, "Our answer", "<p>Yes.</p>", [petition.id])
        answering.publish_response(response, SYSTEM)
        counts = deliver()
        assert counts["delivered"] == len(receiver.requests) and counts["retry"] == 0
        verifier = Webhook(secret)
        types = []
        for request in receiver.requests:
            payload = verifier.verify(request["body"], request["headers"])  # raises on a wrong signature
            types.append(payload["type"])
            assert request["headers"]["webhook-id"].startswith("msg_")
            assert request["headers"]["webhook-signature"].startswith("v1,")
            text = request["body"].decode()
            for personal in ("lead.person@example.org", "Lead Person", "signer.secret@example.net", "Secret Signer"):
                assert personal not in text
        assert types.count("petition.status_changed") == 4  # live, to_process, in_process, completed
        for expected in ("petition.published", "petition.closed", "petition.recipient_updated",
                         "response.published"):
            assert expected in types
        published = next(e for e in receiver.events() if e["type"] == "petition.published")
        assert published["data"]["id"] == petition.id
        assert published["data"]["links"]["html"].endswith(f"/petitions/{petition.slug}")
        updated = next(e for e in receiver.events() if e["type"] == "petition.recipient_updated")
        assert set(updated["data"]["changed"]) >= {"reference_field", "date_projected"}
        answered = next(e for e in receiver.events() if e["type"] == "response.published")
        assert answered["data"]["petitions"][0]["id"] == petition.id
        assert len(set(receiver.ids())) == len(receiver.requests)
        assert deliver()["delivered"] == 0  # nothing twice


def test_only_subscribed_events_of_the_own_organisation_are_sent(make, allow_http):
    mine, other = make.organisation(), make.organisation()
    with Receiver() as receiver:
        subscribe(mine, receiver.url, ["petition.closed"])
        make.petition("to_process", organisation=mine)
        make.petition("to_process", organisation=other)
        deliver()
        assert [e["type"] for e in receiver.events()] == ["petition.closed"]


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_id(make, allow_http):
    organisation = make.organisation()
    with Receiver(replies=[500, 204]) as receiver:
        endpoint, secret = subscribe(organisation, receiver.url, ["petition.closed"])
        make.petition("to_process", organisation=organisation)
        assert deliver()["retry"] == 1
        assert deliver()["delivered"] == 0  # not due yet
        assert len(receiver.requests) == 1
        clock.set_global(clock.now() + dt.timedelta(minutes=2))
        assert deliver()["delivered"] == 1
        first, second = receiver.requests
        assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
        assert first["body"] == second["body"]
        Webhook(secret).verify(second["body"], second["headers"])
        delivery = webhooks.WebhookDelivery.get()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        log = webhooks.attempts_of([delivery.id])[delivery.id]
        assert [a.status_code for a in log] == [500, 204]


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_mailed(make, allow_http, monkeypatch):
    monkeypatch.setenv("PORTAL_JOB_DELIVER_WEBHOOKS_DISABLE_AFTER", "3")
    organisation = make.organisation()
    manager = make.clerk(organisation, role="manager", email="manager@example.org")
    with Receiver(replies=[503]) as receiver:
        endpoint, _ = webhooks.create_endpoint(organisation, Actor.for_user(manager), receiver.url,
                                               ["petition.closed"])
        make.petition("to_process", organisation=organisation)
        for _ in range(3):
            deliver()
            clock.set_global(clock.now() + dt.timedelta(hours=1))
        endpoint = webhooks.WebhookEndpoint.get_by_id(endpoint.id)
        assert endpoint.disabled_at is not None and "503" in endpoint.disabled_reason
        mails = list(OutboxMessage.select().where(OutboxMessage.kind == "webhook_disabled"))
        assert [m.to_address for m in mails] == ["manager@example.org"]
        make.petition("to_process", organisation=organisation)
        clock.set_global(clock.now() + dt.timedelta(days=1))
        deliver()
        assert len(receiver.requests) == 3  # nothing more while disabled
        webhooks.enable_endpoint(endpoint, SYSTEM)
        receiver.replies = [204]
        assert deliver()["delivered"] == 2  # what waited is sent once it is back on


def test_no_duplicate_delivery_after_the_job_is_killed(make, database, allow_http):
    organisation = make.organisation()
    with Receiver(hold_on=2) as receiver:
        subscribe(organisation, receiver.url, ["petition.closed"])
        for _ in range(3):
            make.petition("to_process", organisation=organisation)
        child = start_cli(database, "jobs", "run", "deliver_webhooks", PORTAL_WEBHOOKS_ALLOW_HTTP="true")
        try:
            wait_for(lambda: len(receiver.requests) >= 2, what="the job to send the second event")
            child.send_signal(signal.SIGKILL)
            child.wait(60)
        finally:
            if child.poll() is None:
                child.kill()
        receiver.release()
        later = (clock.now() + webhooks.STALE_SENDING + dt.timedelta(minutes=1)).isoformat()
        code, output = run_cli(database, "jobs", "run", "deliver_webhooks", "--now", later,
                               PORTAL_WEBHOOKS_ALLOW_HTTP="true")
        assert code == 0, output
        ids = receiver.ids()
        assert len(set(ids)) == 3
        assert ids[0] != ids[1] and ids.count(ids[0]) == 1  # delivered before the crash: not again
        assert ids.count(ids[1]) == 2  # in flight at the crash: sent again, same id, for the receiver to skip
        repeated = [r["body"] for r in receiver.requests if r["headers"]["webhook-id"] == ids[1]]
        assert repeated[0] == repeated[1]
        assert {d.status for d in webhooks.WebhookDelivery.select()} == {"delivered"}


def test_addresses_are_checked_when_subscribing_and_again_when_delivering(make, database):
    organisation = make.organisation()
    for url, problem in [("http://hooks.example.org/x", "https://"), ("https://127.0.0.1/x", "private"),
                         ("https://10.1.2.3/x", "private"), ("https://localhost/x", "local"),
                         ("https://169.254.169.254/latest/meta-data", "private"), ("https://[::1]:8443/", "private"),
                         ("https://100.64.0.1/", "private"), ("https://0.0.0.0/", "private"),
                         ("https://[::ffff:192.168.0.1]/", "private"), ("https://example.org:99999/", "port"),
                         ("ftp://example.org/", "https://"), ("https://user:pw@example.org/", "passwords"),
                         ("", "address")]:
        with pytest.raises(webhooks.InvalidInput) as refused:
            subscribe(organisation, url)
        assert problem in refused.value.fields["url"], (url, refused.value.fields)
    with pytest.raises(webhooks.InvalidInput) as refused:
        subscribe(organisation, "https://hooks.example.org/x", ["petition.exploded"])
    assert "petition.published" in refused.value.fields["events"]
    config.configure(config.current().with_(webhooks_allow_http=True))
    with Receiver() as receiver:
        subscribe(organisation, receiver.url.replace("127.0.0.1", "localhost"), ["petition.closed"])
        make.petition("to_process", organisation=organisation)
        config.configure(config.current().with_(webhooks_allow_http=False))  # the setting is turned off again
        assert deliver()["retry"] == 1
        assert receiver.requests == []
        attempt = webhooks.WebhookAttempt.get()
        assert attempt.error.startswith("refused")


@pytest.mark.gen_test
async def test_organisation_keys_subscribe_through_the_api(make, web, relaxed_rate_limits):
    from models.api import issue_key

    organisation = make.organisation()
    clerk = make.clerk(organisation)
    _, token = issue_key(clerk, "CRM", ["read", "update"], organisation=organisation)
    _, reader = issue_key(clerk, "reader", ["read"])
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"url": "https://cases.example.org/hooks", "events": ["petition.closed", "response.published"]})
    created = await web.fetch("/api/v1/webhooks", method="POST", body=body, headers=auth)
    assert created.code == 201, created.text
    answer = created.json()
    assert answer["secret"].startswith("whsec_") and answer["events"] == ["petition.closed", "response.published"]
    listed = (await web.fetch("/api/v1/webhooks", headers=auth)).json()
    assert [w["id"] for w in listed["webhooks"]] == [answer["id"]] and "secret" not in listed["webhooks"][0]
    wrong = await web.fetch("/api/v1/webhooks", method="POST", headers=auth,
                            body=json.dumps({"url": "http://cases.example.org", "events": "nope"}))
    assert wrong.code == 422 and set(wrong.json()["fields"]) == {"url", "events"}
    refused = await web.fetch("/api/v1/webhooks", headers={"Authorization": f"Bearer {reader}"})
    assert refused.code == 403
    gone = await web.fetch(f"/api/v1/webhooks/{answer['id']}", method="DELETE", headers=auth)
    assert gone.code == 204
    assert (await web.fetch("/api/v1/webhooks", headers=auth)).json()["webhooks"] == []
    assert (await web.fetch(f"/api/v1/webhooks/{answer['id']}", headers=auth)).code == 404


@pytest.mark.gen_test
async def test_managers_subscribe_in_the_workspace_and_see_the_delivery_log(make, web, database):
    organisation = make.organisation()
    manager = make.clerk(organisation, role="manager")
    clerk = make.clerk(organisation)
    sign_in_cookie(web, database, clerk)
    form = {"url": "https://cases.example.org/hooks", "events": ["petition.closed"]}
    assert (await web.post(f"/workspace/{organisation.slug}/webhooks", form)).code == 403
    sign_in_cookie(web, database, manager)
    page = await web.post(f"/workspace/{organisation.slug}/webhooks", form)
    assert page.code == 201, page.text
    endpoint = webhooks.WebhookEndpoint.get()
    assert endpoint.secret in page.text and 'id="webhook-secret"' in page.text
    listing = await web.get(f"/workspace/{organisation.slug}/webhooks")
    assert endpoint.url in listing.text and endpoint.secret not in listing.text
    bad = await web.post(f"/workspace/{organisation.slug}/webhooks", {"url": "not a url"})
    assert bad.code == 422 and "Choose one or more" in bad.text
    make.petition("to_process", organisation=organisation)
    log = await web.get(f"/workspace/{organisation.slug}/webhooks/{endpoint.id}")
    assert log.code == 200 and "petition.closed" in log.text
    other = make.organisation()
    assert (await web.get(f"/workspace/{other.slug}/webhooks")).code == 404
    deleted = await web.post(f"/workspace/{organisation.slug}/webhooks/{endpoint.id}/delete")
    assert deleted.code == 303
    assert webhooks.WebhookEndpoint.get_by_id(endpoint.id).deleted_at is not None


def test_command_line_creates_lists_and_deletes(make, database):
    organisation = make.organisation(slug="city-council")
    code, output = run_cli(database, "webhook", "create", "--organisation", "city-council", "--url",
                           "https://cases.example.org/hooks", "--events", "petition.published,response.published")
    assert code == 0, output
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and webhooks.WebhookEndpoint.get().secret == secret
    code, output = run_cli(database, "webhook", "list")
    assert "city-council" in output and "https://cases.example.org/hooks" in output and secret not in output
    code, output = run_cli(database, "webhook", "create", "--organisation", "city-council", "--url",
                           "http://cases.example.org/hooks", "--events", "petition.published")
    assert code != 0 and "https://" in output
    endpoint_id = webhooks.WebhookEndpoint.get().id
    code, output = run_cli(database, "webhook", "delete", str(endpoint_id))
    assert code == 0, output
    assert run_cli(database, "webhook", "list")[1].strip() == ""
    del organisation


def test_finished_events_and_their_log_are_deleted_after_the_keeping_time(make, allow_http):
    organisation = make.organisation()
    with Receiver(replies=[204]) as receiver:
        subscribe(organisation, receiver.url, ["petition.closed"])
        make.petition("to_process", organisation=organisation)
        assert deliver()["delivered"] == 1
        receiver.replies = [500]
        make.petition("to_process", organisation=organisation)
        assert deliver()["retry"] == 1
        clock.set_global(clock.now() + dt.timedelta(days=31, minutes=-5))
        counts = deliver()  # the failing one is retried, still unfinished: kept
        assert counts["purged"] == 1 and counts["retry"] == 1
        assert webhooks.WebhookEvent.select().count() == 1
        assert webhooks.WebhookAttempt.select().count() == 2


def test_an_endpoint_that_fails_is_not_tried_again_in_the_same_run(make, allow_http):
    organisation = make.organisation()
    with Receiver(replies=[503, 204]) as receiver:
        subscribe(organisation, receiver.url, ["petition.closed"])
        for _ in range(3):
            make.petition("to_process", organisation=organisation)
        counts = deliver()
        assert (counts["retry"], counts["delivered"], len(receiver.requests)) == (1, 0, 1)
        assert deliver()["delivered"] == 2  # the two that waited are due; the failed one after its backoff
        clock.set_global(clock.now() + dt.timedelta(minutes=2))
        assert deliver()["delivered"] == 1
        assert len(set(receiver.ids())) == 3
