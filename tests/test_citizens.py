"""What a citizen meets (issue 11): start a petition from the home and organisation pages, the home
sections, full-text search over every public petition (FTS5 on SQLite, tsvector on PostgreSQL),
the threshold and progress, rejected petitions in public with their reason, what happens next and
sharing after confirming, and sending the confirmation mail again (limited per signature)."""
import datetime as dt
import re
from urllib.parse import urlencode

import pytest

from models import clock
from models.audit import Actor
from models.mail import OutboxMessage
from models.petition import Petition, transition
from models.signature import RESEND_INTERVAL, RESEND_MAX, Signature
from tests.support import link_in, mails_in, deliver_mail

GOOD = {"full_name": "Jane Doe", "email": "jane@example.org", "accept_terms": "y"}


def titles(html, petitions):
    """The titles of `petitions` in the order they appear in html (absent ones left out)."""
    found = [(html.find(f">{p.title}<"), p.title) for p in petitions]
    return [title for position, title in sorted(found) if position >= 0]


@pytest.mark.gen_test
async def test_start_a_petition_from_home_and_organisation_pages(web, make):
    organisation = make.organisation(name="Riverton City Council")
    home = await web.get("/")
    assert re.search(r'<a [^>]*href="/my/petitions/new"[^>]*id="start-petition"', home.text)
    page = await web.get(f"/organisations/{organisation.slug}")
    assert f'href="/my/petitions/new?organisation={organisation.id}"' in page.text
    await web.sign_in(make.user())
    form = await web.get(f"/my/petitions/new?organisation={organisation.id}")
    assert form.code == 200 and f'<option selected value="{organisation.id}">' in form.text


@pytest.mark.gen_test
async def test_home_shows_popular_closing_soon_and_recently_answered(web, make):
    organisation = make.organisation()
    popular = make.petition(organisation=organisation, title="Popular one about trees", signature_count=900)
    closing = make.petition(organisation=organisation, title="Closing one about lamps")
    Petition.update(closes_at=clock.now() + dt.timedelta(hours=5)).where(Petition.id == closing.id).execute()
    answered = make.petition(status="rejected", organisation=organisation, title="Rejected one about dogs")
    home = await web.get("/")
    sections = {name: home.text[home.text.index(f'id="{name}"'):] for name in
                ("popular", "closing-soon", "recently-answered")}
    assert sections["popular"].index(popular.title) < sections["popular"].index(closing.title)
    assert sections["closing-soon"].index(closing.title) < sections["closing-soon"].index(popular.title)
    assert answered.title not in sections["recently-answered"].split("</section>")[0]


@pytest.mark.gen_test
async def test_search_covers_every_public_petition_ranked_with_filters(web, make, backend):
    council, ministry = make.organisation(name="Riverton Council"), make.organisation(name="Ministry of Roads")
    in_title = make.petition(organisation=council, title="Bicycle lanes on Main Street",
                             request="Please paint lanes on the road.")
    in_text = make.petition(status="to_process", organisation=council, title="Safer crossings near schools",
                            request="Build crossings; more children cycle and use bicycles every day.")
    rejected = make.petition(status="rejected", organisation=ministry, title="Ban all bicycles on the highway",
                             request="Forbid cycling on motorways.")
    make.petition(organisation=council, title="More trees in the park", request="Plant trees near the pond.")
    make.petition(status="concept", organisation=council, title="Draft about bicycles")
    hidden = make.petition(organisation=council, title="Hidden petition about bicycles")
    Petition.update(hidden=True).where(Petition.id == hidden.id).execute()
    everyone = [in_title, in_text, rejected, hidden]

    reply = await web.get("/petitions?q=bicycle")
    assert reply.code == 200
    # stemming finds "bicycles" for "bicycle"; a word in the title ranks above one in the text
    found = titles(reply.text, everyone)
    assert set(found) == {in_title.title, in_text.title, rejected.title}
    assert found.index(in_title.title) < found.index(in_text.title)
    assert "Draft about bicycles" not in reply.text and hidden.title not in reply.text

    only_rejected = await web.get("/petitions?q=bicycle&status=rejected")
    assert titles(only_rejected.text, everyone) == [rejected.title]
    closed = await web.get("/petitions?q=bicycle&status=closed")
    assert titles(closed.text, everyone) == [in_text.title]
    by_org = await web.get(f"/petitions?q=bicycle&organisation={ministry.slug}")
    assert titles(by_org.text, everyone) == [rejected.title]
    for odd in ('"', "bicycle OR", "*", "NEAR(", "a'b", "ÄÖ", "-bicycle", "x" * 300):
        assert (await web.get("/petitions?" + urlencode({"q": odd}))).code == 200
    nothing = await web.get("/petitions?q=submarine")
    assert "No petition matches" in nothing.text
    # an edited title is searchable at once
    Petition.update(title="Submarine harbour").where(Petition.id == in_title.id).execute()
    assert titles((await web.get("/petitions?q=submarine")).text, [Petition.get_by_id(in_title.id)]) == [
        "Submarine harbour"]


@pytest.mark.gen_test
async def test_threshold_and_progress_on_petition_pages_and_cards(web, make):
    organisation = make.organisation(name="Riverton City Council", signature_threshold=500)
    petition = make.petition(organisation=organisation, title="Fountains in every park")
    Petition.update(signature_count=125).where(Petition.id == petition.id).execute()
    page = await web.get(f"/petitions/{petition.slug}")
    assert "At 500 signatures Riverton City Council will respond." in page.text
    assert '<progress class="progress-bar" max="500" value="125"' in page.text and "(25%)" in page.text
    card = await web.get("/petitions?status=open")
    assert 'max="500" value="125"' in card.text
    Petition.update(signature_count=900).where(Petition.id == petition.id).execute()
    reached = (await web.get(f"/petitions/{petition.slug}")).text
    assert 'max="500" value="500"' in reached and "threshold of 500 signatures is reached" in reached
    organisation.signature_threshold = 0
    organisation.save()
    assert "will respond" not in (await web.get(f"/petitions/{petition.slug}")).text


@pytest.mark.gen_test
async def test_rejected_petitions_are_public_with_their_reason_unless_hidden(web, make):
    petition = make.petition(status="staging", title="Close the motorway at night")
    transition(petition, "rejected", Actor.for_user(make.moderator()), note="Motorways are not ours to close.")
    page = await web.get(f"/petitions/{petition.slug}")
    assert page.code == 200 and 'id="rejection"' in page.text and "Motorways are not ours to close." in page.text
    assert 'action="/petitions/%s/sign"' % petition.slug not in page.text
    assert petition.title in (await web.get("/petitions?status=rejected")).text
    Petition.update(hidden=True).where(Petition.id == petition.id).execute()
    assert (await web.get(f"/petitions/{petition.slug}")).code == 404
    assert petition.title not in (await web.get("/petitions?status=rejected")).text


@pytest.mark.gen_test
async def test_after_confirming_what_happens_next_and_share_links(web, make, database):
    petition = make.petition(title="Night buses & trams")
    await web.post(f"/petitions/{petition.slug}/sign", GOOD)
    deliver_mail()
    [message] = mails_in(database.mail_dir)
    path = "/" + link_in(message).split(":", 2)[-1].split("/", 1)[1]
    page = await web.post(path, {})
    assert page.code == 200 and 'id="next-steps"' in page.text and 'id="share"' in page.text
    assert "mailto:?subject=Night%20buses%20%26%20trams" in page.text
    assert "jane@example.org" not in page.text


@pytest.mark.gen_test
async def test_send_the_confirmation_mail_again_is_limited_per_signature(web, make):
    start = dt.datetime(2026, 11, 24, 9, 0)
    clock.set_global(start)
    petition = make.petition()
    assert (await web.post(f"/petitions/{petition.slug}/sign", GOOD)).code == 303
    signed = await web.get(f"/petitions/{petition.slug}/signed")
    assert 'id="resend"' in signed.text
    confirmations = OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature")
    assert confirmations.count() == 1
    # too soon after the first mail
    early = await web.post(f"/petitions/{petition.slug}/signed")
    assert early.code == 429 and "Try again in 5 minutes" in early.text and confirmations.count() == 1
    for n in range(RESEND_MAX):
        clock.set_global(start + (n + 1) * RESEND_INTERVAL)
        reply = await web.post(f"/petitions/{petition.slug}/signed")
        assert reply.code == 303, reply.text[:300]
        assert confirmations.count() == n + 2
    assert 'id="resent"' in (await web.get(reply.location)).text
    clock.set_global(start + 10 * RESEND_INTERVAL)
    refused = await web.post(f"/petitions/{petition.slug}/signed")
    assert refused.code == 429 and confirmations.count() == RESEND_MAX + 1
    assert Signature.get().resend_count == RESEND_MAX
    # a browser that did not sign cannot make anyone's mail go out
    stranger = type(web)(web.http, web.base_url)
    assert (await stranger.post(f"/petitions/{petition.slug}/signed")).code == 400
    assert confirmations.count() == RESEND_MAX + 1


@pytest.mark.gen_test
async def test_signatures_per_day_chart_with_a_table_on_public_and_clerk_pages(web, make):
    clock.set_global(dt.datetime(2026, 11, 20, 9, 0))
    petition = make.petition(title="Chart me")
    for day, n in ((20, 2), (22, 3)):
        clock.set_global(dt.datetime(2026, 11, day, 12, 0))
        for _ in range(n):
            make.signature(petition)
    make.signature(petition, confirmed=False)
    clock.set_global(dt.datetime(2026, 11, 23, 9, 0))
    page = await web.get(f"/petitions/{petition.slug}")
    table = page.text[page.text.index('id="chart-table"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr><td>([\d-]+)</td><td>(\d+)</td></tr>", table)
    assert rows == [("2026-11-20", "2"), ("2026-11-21", "0"), ("2026-11-22", "3"), ("2026-11-23", "0")]
    image = await web.get(f"/petitions/{petition.slug}/chart.svg")
    assert image.code == 200 and image.headers["Content-Type"].startswith("image/svg+xml")
    assert image.text.startswith("<svg") and "Confirmed signatures per day" in image.text
    clerk = make.clerk(petition.organisation)
    transition(petition, "to_process", Actor.job("close_petitions"))
    await web.sign_in(clerk)
    workspace = await web.get(f"/workspace/petitions/{petition.id}")
    assert f'src="/petitions/{petition.slug}/chart.svg"' in workspace.text and 'id="chart-table"' in workspace.text


# ---- writing without HTML ------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_petitions_and_responses_are_written_in_markdown_with_a_preview(web, make):
    from models.response import Response

    organisation = make.organisation()
    lead = make.user()
    await web.sign_in(lead)
    text = "First paragraph with **bold**.\nA new line.\n\n- one\n- two\n\n<script>alert(1)</script>"
    fields = {"title": "Plain text petitions please", "request": "Let people write without HTML.",
              "statement": "", "description": text, "organisation": str(organisation.id), "language": "en",
              "closes_on": ""}
    preview = await web.post("/my/petitions/new", {**fields, "preview": "1"})
    assert preview.code == 200 and 'id="preview"' in preview.text
    assert "<strong>bold</strong>.<br>" in preview.text and "<li>one</li>" in preview.text
    assert Petition.select().count() == 0  # a preview saves nothing
    created = await web.post("/my/petitions/new", fields)
    assert created.code == 303
    petition = Petition.get()
    assert petition.description.startswith("<p>First paragraph with <strong>bold</strong>.<br>")
    assert "<script" not in petition.description and petition.description_source == text
    edit = await web.get(f"/my/petitions/{petition.id}/edit")
    assert "First paragraph with **bold**." in edit.text  # the writer edits what they wrote
    # stored HTML (older petitions, API clients) keeps rendering
    Petition.update(description="<p>Old <em>HTML</em></p>", description_source=None).where(
        Petition.id == petition.id).execute()
    assert "<p>Old <em>HTML</em></p>" in (await web.get(f"/my/petitions/{petition.id}/edit")).text.replace(
        "&lt;", "<").replace("&gt;", ">")

    clerk = make.clerk(organisation)
    answered = make.petition(status="to_process", organisation=organisation)
    await web.sign_in(clerk)
    body = "Dear petitioners,\n\nWe will do it.\nIn spring."
    reply = await web.post(f"/workspace/{organisation.slug}/responses/new",
                           {"title": "Yes", "body": body, "petitions": str(answered.id)})
    assert reply.code == 303
    response = Response.get()
    assert response.body == "<p>Dear petitioners,</p>\n<p>We will do it.<br>\nIn spring.</p>"
    assert response.body_source == body
    assert "We will do it.\nIn spring." in (await web.get(f"/workspace/responses/{response.id}/edit")).text
