"""Forms that lead to the error, for every form (the shared Field module and base layout): the
error summary with a link to each wrong field, "Error: " before the title, aria-invalid and
aria-describedby tying each field to its hint and error, a single live announcement, a skip link."""
import re

import pytest


def summary_links(html):
    block = re.search(r'<div class="error-summary" id="error-summary" role="alert" tabindex="-1".*?</div>', html, re.S)
    assert block, "no error summary"
    return re.findall(r'<a href="#([^"]+)">', block.group(0))


def control(html, control_id):
    found = re.search(r'<(input|select|textarea)[^>]*\bid="%s"[^>]*>' % re.escape(control_id), html)
    assert found, f"no control {control_id}"
    return found.group(0)


@pytest.mark.gen_test
async def test_a_failed_signature_leads_to_each_wrong_field(web, make):
    petition = make.petition()
    page = await web.get(f"/petitions/{petition.slug}")
    assert 'class="skip-link" href="#main"' in page.text and '<main id="main"' in page.text
    assert "error-summary" not in page.text and "<title>Error:" not in page.text
    assert 'aria-describedby="full_name-hint"' in control(page.text, "full_name")
    reply = await web.post(f"/petitions/{petition.slug}/sign", {"full_name": "X", "email": "nope"})
    assert reply.code == 400
    assert re.search(r"<title>Error: ", reply.text)
    assert summary_links(reply.text) == ["full_name", "email", "accept_terms"]
    assert reply.text.count('role="alert"') == 1  # one live announcement
    for name in ("full_name", "email", "accept_terms"):
        tag = control(reply.text, name)
        assert 'aria-invalid="true"' in tag
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
        assert f"{name}-error" in described
        assert f'id="{name}-error"' in reply.text
    assert "terms-links" in re.search(r'aria-describedby="([^"]+)"', control(reply.text, "accept_terms")).group(1)
    assert 'aria-invalid' not in control(reply.text, "city")


@pytest.mark.gen_test
async def test_every_kind_of_form_gets_the_summary(web, make):
    # sign-in (a domain error), the clerk's form (a domain rule), an admin form (WTForms validation)
    reply = await web.post("/signin", {"email": "", "password": ""})
    assert reply.code == 400 and summary_links(reply.text)
    organisation = make.organisation()
    petition = make.petition(status="in_process", organisation=organisation)
    await web.sign_in(make.clerk(organisation))
    reply = await web.post(f"/workspace/petitions/{petition.id}", {"status": "rejected", "date_projected":
                                                                  petition.date_projected.isoformat()})
    assert reply.code == 422 and summary_links(reply.text) == ["note"]
    assert 'aria-invalid="true"' in control(reply.text, "note")
