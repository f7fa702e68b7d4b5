"""Terms, privacy notice, accessibility statement and contact: shipped defaults, linked from every
page's footer and the terms checkbox, editable by site admins (Markdown, with a preview)."""
import pytest

from models import config
from models.petition import Petition


@pytest.mark.gen_test
async def test_every_page_links_the_four_pages_and_they_answer(web, make):
    petition = make.petition(status="live")
    page = await web.get(f"/petitions/{petition.slug}")
    for slug in ("terms", "privacy", "accessibility", "contact"):
        assert f'href="/pages/{slug}"' in page.text
        reply = await web.get(f"/pages/{slug}")
        assert reply.code == 200 and 'class="panel site-page"' in reply.text
    # the terms checkbox points at the terms and the privacy notice
    assert 'aria-describedby="terms-links"' in page.text
    assert (await web.get("/pages/nothing")).code == 404


@pytest.mark.gen_test
async def test_the_privacy_notice_states_the_periods_the_jobs_use(web, monkeypatch):
    monkeypatch.setenv("PORTAL_JOB_SIGNATURE_HYGIENE_DELETE_AFTER_DAYS", "17")
    monkeypatch.setenv("PORTAL_JOB_MAIL_RETENTION_KEEP_SENT_DAYS", "23")
    config.configure(config.current().with_(signature_retention_months=5))  # PORTAL_SIGNATURE_RETENTION_MONTHS
    reply = await web.get("/pages/privacy")
    assert "deleted after 17 days" in reply.text
    assert "23 days after they were sent" in reply.text
    assert "kept for 5 months" in reply.text


@pytest.mark.gen_test
async def test_a_site_admin_edits_a_page_in_markdown_with_a_preview(web, make):
    admin = make.admin()
    await web.sign_in(admin)
    form = await web.get("/admin/pages/contact")
    assert form.code == 200 and 'name="body"' in form.text
    text = "Write to **us** at the town hall.\n\nSecond paragraph <script>alert(1)</script>"
    preview = await web.post("/admin/pages/contact", {"title": "Contact us", "body": text, "preview": "1"})
    assert preview.code == 200 and "<strong>us</strong>" in preview.text and "<script>alert" not in preview.text
    assert (await web.get("/pages/contact")).text.count("Contact us") == 0  # a preview saves nothing
    saved = await web.post("/admin/pages/contact", {"title": "Contact us", "body": text})
    assert saved.code == 303
    page = await web.get("/pages/contact")
    assert "Contact us" in page.text and "<p>Write to <strong>us</strong> at the town hall.</p>" in page.text
    assert "<script>alert" not in page.text
    refused = await web.post("/admin/pages/contact", {"title": "", "body": "x"})
    assert refused.code == 422 and 'id="error-summary"' in refused.text and "<title>Error:" in refused.text
    # empty text: back to the default
    assert (await web.post("/admin/pages/contact", {"title": "Contact", "body": ""})).code == 303
    assert "people who run this portal" in (await web.get("/pages/contact")).text


@pytest.mark.gen_test
async def test_only_site_admins_edit_pages(web, make):
    await web.sign_in(make.moderator())
    assert (await web.get("/admin/pages/terms")).code == 403
    assert (await web.post("/admin/pages/terms", {"title": "Mine", "body": "x"})).code == 403
    assert "Mine" not in (await web.get("/pages/terms")).text
    assert Petition.select().count() == 0
