"""Public pages over real HTTP: lists, search, paging, hidden petitions, organisations, sitemap."""
import pytest

from models.petition import Petition


@pytest.mark.gen_test
async def test_home_lists_live_petitions_and_searches(web, make):
    org = make.organisation("Riverton Council")
    make.petition(title="Save the riverside meadow", organisation=org)
    make.petition(title="More bicycle parking at the station", organisation=org)
    make.petition(status="staging", title="Draft about meadow bees")
    reply = await web.get("/")
    assert reply.code == 200
    assert "Save the riverside meadow" in reply.text and "More bicycle parking" in reply.text
    assert "Draft about meadow bees" not in reply.text
    reply = await web.get("/?q=meadow", follow=True)  # the old home search goes to the search page
    assert "Save the riverside meadow" in reply.text and "bicycle" not in reply.text


@pytest.mark.gen_test
async def test_home_pages_through_many_petitions(web, make):
    org = make.organisation()
    for n in range(23):
        make.petition(title=f"Petition about topic {n:02d}", organisation=org)
    first, second = await web.get("/petitions?status=open"), await web.get("/petitions?status=open&page=2")
    assert "Page 1 of 2" in first.text and "Page 2 of 2" in second.text
    assert second.text.count('class="card"') == 3


@pytest.mark.gen_test
async def test_petition_page_shows_text_count_and_sign_form(web, make):
    petition = make.petition(title="Plant trees on Elm Street", description="<p>Shade <b>matters</b></p>")
    make.signature(petition)
    make.signature(petition, confirmed=False)
    reply = await web.get(f"/petitions/{petition.slug}")
    assert reply.code == 200
    assert "Plant trees on Elm Street" in reply.text and "<b>matters</b>" in reply.text
    assert '<strong id="signature-count">1</strong>' in reply.text
    assert 'action="/petitions/%s/sign"' % petition.slug in reply.text
    assert (await web.get(f"/petitions/{petition.id}")).code == 200


@pytest.mark.gen_test
async def test_hidden_petitions_are_in_no_list_search_or_sitemap_and_answer_404(web, make):
    petition = make.petition(title="Secret ferry petition")
    Petition.update(hidden=True).where(Petition.id == petition.id).execute()
    assert (await web.get(f"/petitions/{petition.slug}")).code == 404
    for path in ("/", "/petitions?q=ferry", "/petitions", "/sitemap.xml", f"/organisations/{petition.organisation.slug}"):
        reply = await web.get(path)
        assert reply.code == 200 and "Secret ferry" not in reply.text and petition.slug not in reply.text


@pytest.mark.gen_test
async def test_drafts_are_not_public(web, make):
    petition = make.petition(status="concept")
    assert (await web.get(f"/petitions/{petition.slug}")).code == 404


@pytest.mark.gen_test
async def test_organisation_pages_answered_page_and_sitemap(web, make):
    org = make.organisation("Ministry of Tests", kind="ministry")
    petition = make.petition(organisation=org, title="Test everything twice")
    assert "Ministry of Tests" in (await web.get("/organisations")).text
    reply = await web.get(f"/organisations/{org.slug}")
    assert reply.code == 200 and "Test everything twice" in reply.text
    assert (await web.get("/organisations/no-such-org")).code == 404
    assert (await web.get("/answered")).code == 200
    sitemap = await web.get("/sitemap.xml")
    assert sitemap.headers["Content-Type"].startswith("application/xml")
    assert f"/petitions/{petition.slug}</loc>" in sitemap.text


@pytest.mark.gen_test
async def test_output_is_escaped(web, make):
    petition = make.petition(title="<script>alert(1)</script> petition")
    reply = await web.get(f"/petitions/{petition.slug}")
    assert "<script>alert(1)</script>" not in reply.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.text


@pytest.mark.gen_test
async def test_unknown_pages_answer_404_page(web):
    reply = await web.get("/no/such/page")
    assert reply.code == 404 and "Not found" in reply.text


@pytest.mark.gen_test
async def test_huge_numeric_ids_and_nul_characters_get_4xx_not_500(web, make):
    petition = make.petition()
    assert (await web.get("/organisations/" + "9" * 30)).code == 404
    assert (await web.get("/petitions/" + "9" * 30)).code == 404
    reply = await web.post(f"/petitions/{petition.slug}/sign",
                           {"full_name": "Nul\x00 Byte", "email": "nul@example.org", "accept_terms": "y"})
    assert reply.code == 400 and "NUL character" in reply.text
    assert (await web.get("/?q=a%00b")).code == 400
