"""Responses: drafting, previewing and publishing (models/answering.py and the workspace pages),
the public responses pages, and the response notices to lead petitioners and opted-in signers."""
import re

import pytest

from models import answering, notices
from models.audit import Actor, AuditEvent
from models.errors import InvalidInput, NotAllowed, TransitionRefused
from models.mail import OutboxMessage
from models.petition import Petition
from models.response import Response, notice_key, notice_progress, response_for
from tests.support import deliver_mail, mails_in


def closed_with_signers(make, organisation, signers=(), status="in_process", title=None):
    """A petition that was live, got signatures (wants_notice per item), and is now `status`."""
    petition = make.petition(status="live", organisation=organisation, title=title)
    made = [make.signature(petition, wants_notice=wants, confirmed=confirmed) for wants, confirmed in signers]
    from models.petition import transition

    petition = transition(petition, "to_process", Actor.job("close_petitions"))
    if status == "in_process":
        petition = transition(petition, "in_process", Actor.system("test"))
    OutboxMessage.delete().execute()
    return Petition.get_by_id(petition.id), made


# ---- the domain ------------------------------------------------------------------------------------------

def test_publishing_completes_each_petition_and_queues_the_lead_petitioners_mail(make):
    organisation = make.organisation()
    clerk = Actor.for_user(make.clerk(organisation, name="Clara Clerk"))
    lead = make.user(email="lead@example.org")
    handed_over, _ = closed_with_signers(make, organisation)
    just_closed, _ = closed_with_signers(make, organisation, status="to_process")
    Petition.update(lead_petitioner=lead).where(Petition.id.in_([handed_over.id, just_closed.id])).execute()
    draft = answering.save_draft(organisation, clerk, "Our answer", "<p>Yes <script>alert(1)</script></p>",
                                 [handed_over.id, just_closed.id])
    assert "<script>" not in draft.body and draft.published_at is None
    assert response_for(handed_over) is None  # a draft is not an answer

    response = answering.publish_response(draft, clerk)
    assert response.published_at is not None and response.notices_state == "queued"
    for petition in (handed_over, just_closed):
        done = Petition.get_by_id(petition.id)
        assert done.status == "completed" and response_for(done).id == response.id
        assert AuditEvent.select().where((AuditEvent.petition_id == petition.id)
                                         & (AuditEvent.action == "response")).count() == 1
    # publishing implies the handover for a petition that was still to_process
    statuses = [(e.old_value, e.new_value) for e in AuditEvent.select().where(
        (AuditEvent.petition_id == just_closed.id) & (AuditEvent.action == "status")).order_by(AuditEvent.id)]
    assert statuses[-2:] == [("to_process", "in_process"), ("in_process", "completed")]
    assert Petition.get_by_id(just_closed.id).date_projected is not None
    # one mail for the lead petitioner of both petitions, under the notice key
    published = list(OutboxMessage.select().where(OutboxMessage.kind == "response_published"))
    assert [(m.to_address, m.dedupe_key) for m in published] == [
        ("lead@example.org", notice_key(response.id, None, lead.id))]
    assert "Our answer" in published[0].body and "<p>" not in published[0].body
    assert notice_progress(response) == {"queued": 1, "sent": 0, "failed": 0}


def test_a_response_is_published_once_and_only_by_its_organisations_clerks(make):
    organisation = make.organisation()
    clerk = Actor.for_user(make.clerk(organisation))
    petition, _ = closed_with_signers(make, organisation)
    draft = answering.save_draft(organisation, clerk, "Answer", "<p>text</p>", [petition.id])
    stranger = Actor.for_user(make.clerk(make.organisation()))
    with pytest.raises(NotAllowed):
        answering.publish_response(draft, stranger)
    with pytest.raises(NotAllowed):
        answering.save_draft(organisation, stranger, "Answer", "<p>text</p>", [petition.id])
    assert Petition.get_by_id(petition.id).status == "in_process"
    answering.publish_response(draft, clerk)
    with pytest.raises(TransitionRefused):
        answering.publish_response(draft, clerk)
    assert AuditEvent.select().where(AuditEvent.action == "response").count() == 1


def test_drafts_refuse_bad_input_naming_each_field(make):
    organisation = make.organisation()
    clerk = Actor.for_user(make.clerk(organisation))
    theirs, _ = closed_with_signers(make, make.organisation())
    live = make.petition(status="live", organisation=organisation)
    with pytest.raises(InvalidInput) as refused:
        answering.save_draft(organisation, clerk, "", "<script>x</script>", [])
    assert set(refused.value.fields) == {"title", "body", "petitions"}
    for ids in ([theirs.id], [live.id], ["abc"]):
        with pytest.raises(InvalidInput) as refused:
            answering.save_draft(organisation, clerk, "T", "<p>b</p>", ids)
        assert set(refused.value.fields) == {"petitions"}
    with pytest.raises(InvalidInput):
        answering.save_draft(organisation, clerk, "x" * 256, "<p>b</p>", [live.id])
    assert Response.select().count() == 0


def test_signer_notices_go_in_batches_to_confirmed_opted_in_signers_once(make, smtp, use_smtp):
    use_smtp(smtp)
    organisation = make.organisation()
    clerk = Actor.for_user(make.clerk(organisation))
    first, first_signers = closed_with_signers(
        make, organisation, [(True, True), (False, True), (True, False), (True, True), (True, True)])
    second, second_signers = closed_with_signers(make, organisation, [(True, True)])
    draft = answering.save_draft(organisation, clerk, "Both answered", "<p>Done.</p>", [first.id, second.id])
    response = answering.publish_response(draft, clerk)
    assert answering.opted_in_signers(response) == 4

    assert notices.queue_signer_batch(response.id, batch_size=3) == 3
    assert Response.get_by_id(response.id).notices_state == "running"
    assert notices.queue_signer_batch(response.id, batch_size=3) == 1
    assert notices.queue_signer_batch(response.id, batch_size=3) is None
    assert Response.get_by_id(response.id).notices_state == "done"
    # repeating from the start queues nothing twice: the dedupe key holds
    Response.update(notices_state="queued", notices_cursor=0).where(Response.id == response.id).execute()
    assert notices.queue_signer_notices(response, batch_size=2)["signers"] == 0
    queued = list(OutboxMessage.select().where(OutboxMessage.kind == "response_notice"))
    expected = {s.email for s in first_signers + second_signers if s.wants_notice and s.confirmed_at}
    assert sorted(m.to_address for m in queued) == sorted(expected)
    assert {m.dedupe_key for m in queued} == {notice_key(response.id, s.id) for s in first_signers + second_signers
                                               if s.wants_notice and s.confirmed_at}
    # the two lead petitioners' mails count too
    assert notice_progress(Response.get_by_id(response.id)) == {"queued": 6, "sent": 0, "failed": 0}

    assert deliver_mail()["sent"] == 8  # and the two "your petition is now: Answered" mails
    smtp.wait_for(8)
    for address in expected:
        [message] = [m for m in smtp.to(address) if "answered" in m["Subject"]]
        assert "Both answered" in message.get_content() and f"/responses/{response.id}" in message.get_content()
    assert notice_progress(Response.get_by_id(response.id)) == {"queued": 0, "sent": 6, "failed": 0}


# ---- the pages --------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_write_preview_and_publish_a_response_on_the_web(web, make):
    organisation = make.organisation(name="Riverton Council")
    clerk = make.clerk(organisation)
    petition, signers = closed_with_signers(make, organisation, [(True, True), (False, True)],
                                            title="Fountains in the parks")
    other, _ = closed_with_signers(make, organisation, status="to_process", title="Night buses")
    await web.sign_in(clerk)

    page = await web.get(f"/workspace/petitions/{petition.id}")
    assert f'href="/workspace/{organisation.slug}/responses/new?petition={petition.id}"' in page.text
    form = await web.get(f"/workspace/{organisation.slug}/responses/new?petition={petition.id}")
    assert form.code == 200
    checkbox = re.search(r'<input[^>]*value="%d"[^>]*>' % petition.id, form.text).group(0)
    assert "checked" in checkbox
    assert "Night buses" in form.text

    reply = await web.post(f"/workspace/{organisation.slug}/responses/new", {
        "title": "Fountains are coming", "body": "<p>We will <strong>build</strong> them.</p><script>x()</script>",
        "petitions": [str(petition.id), str(other.id)]})
    assert reply.code == 303
    preview_path = reply.location
    response_id = int(preview_path.rsplit("/", 1)[1])
    preview = await web.get(preview_path)
    assert "Preview of a draft response" in preview.text and "<strong>build</strong>" in preview.text
    assert "<script>x()" not in preview.text
    assert "1 confirmed signer who asked" in preview.text
    # not public before it is published
    assert (await web.get(f"/responses/{response_id}")).code == 404
    assert "Fountains are coming" not in (await web.get(f"/petitions/{petition.slug}")).text

    edited = await web.post(f"/workspace/responses/{response_id}/edit", {
        "title": "Fountains are coming soon", "body": "<p>We will build them.</p>", "petitions": [str(petition.id)]})
    assert edited.code == 303
    published = await web.post(f"/workspace/responses/{response_id}/publish", {})
    assert published.code == 303 and published.location.endswith("?published=1")
    done = await web.get(published.location)
    assert "Published." in done.text and 'id="notices-queued">1<' in done.text
    assert Petition.get_by_id(petition.id).status == "completed"
    assert Petition.get_by_id(other.id).status == "to_process"  # taken out of the response while a draft

    public = await web.get(f"/petitions/{petition.slug}")
    assert "Fountains are coming soon" in public.text and "Response from Riverton Council" in public.text
    listing = await web.get("/responses")
    assert f'href="/responses/{response_id}"' in listing.text and "Fountains in the parks" in listing.text
    shown = await web.get(f"/responses/{response_id}")
    assert shown.code == 200 and "We will build them." in shown.text
    # published responses cannot be published again or edited
    again = await web.post(f"/workspace/responses/{response_id}/publish", {})
    assert again.code == 409 and "published already" in again.text
    assert (await web.get(f"/workspace/responses/{response_id}/edit")).code == 302


@pytest.mark.gen_test
async def test_the_response_form_shows_its_errors_beside_the_fields(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    await web.sign_in(clerk)
    reply = await web.post(f"/workspace/{organisation.slug}/responses/new", {"title": "", "body": " "})
    assert reply.code == 422
    for name, message in [("title", "Give the response a title."), ("body", "Write the text of the response."),
                          ("petitions", "Choose at least one petition")]:
        block = re.search(r'<div class="field has-error">(?:(?!</div>).)*id="%s".*?</div>' % name, reply.text, re.S)
        assert block and message in block.group(0), name
    assert Response.select().count() == 0


@pytest.mark.gen_test
async def test_other_organisations_cannot_see_or_publish_a_draft(web, make):
    organisation = make.organisation()
    petition, _ = closed_with_signers(make, organisation)
    draft = answering.save_draft(organisation, Actor.for_user(make.clerk(organisation)), "Draft", "<p>b</p>",
                                 [petition.id])
    await web.sign_in(make.clerk(make.organisation()))
    assert (await web.get(f"/workspace/responses/{draft.id}")).code == 404
    assert (await web.get(f"/workspace/responses/{draft.id}/edit")).code == 404
    assert (await web.post(f"/workspace/responses/{draft.id}/edit", {"title": "Mine", "body": "<p>x</p>"})).code == 404
    assert (await web.post(f"/workspace/responses/{draft.id}/publish", {})).code == 404
    assert (await web.post(f"/workspace/responses/{draft.id}/publish", {}, xsrf=False)).code == 403
    assert Response.get_by_id(draft.id).published_at is None and Response.get_by_id(draft.id).title == "Draft"
    assert Petition.get_by_id(petition.id).status == "in_process"
    assert (await web.get("/responses/999999")).code == 404


def test_the_file_transport_writes_the_lead_petitioners_response_mail(make, database):
    organisation = make.organisation()
    clerk = Actor.for_user(make.clerk(organisation))
    petition, _ = closed_with_signers(make, organisation)
    answering.publish_response(answering.save_draft(organisation, clerk, "Answer A", "<p>Body A</p>",
                                                    [petition.id]), clerk)
    deliver_mail()
    subjects = [m["Subject"] for m in mails_in(database.mail_dir)]
    assert any("has answered your petition" in s for s in subjects)


@pytest.mark.gen_test
async def test_a_hidden_petitions_response_stays_hidden_and_the_clerk_sees_notice_progress(web, make):
    organisation = make.organisation()
    clerk = make.clerk(organisation)
    petition, _ = closed_with_signers(make, organisation, [(True, True), (True, True), (False, True)])
    actor = Actor.for_user(clerk)
    response = answering.publish_response(answering.save_draft(organisation, actor, "Visible answer", "<p>b</p>",
                                                               [petition.id]), actor)
    assert (await web.get(f"/responses/{response.id}")).code == 200
    await web.sign_in(clerk)
    page = await web.get(f"/workspace/petitions/{petition.id}")
    assert "Response notices: 1 queued, 0 sent · 2 confirmed signers asked to be told." in " ".join(page.text.split())
    Petition.update(hidden=True, hidden_reason="test").where(Petition.id == petition.id).execute()
    assert (await web.get(f"/responses/{response.id}")).code == 404
    assert "Visible answer" not in (await web.get("/responses")).text
