"""Admin pages over real HTTP: organisations, members and roles, invitations, users."""
import datetime as dt

import pytest

from models import clock
from models.account import Invitation
from models.organisation import Organisation
from models.user import Membership, User
from tests.support import PASSWORD, deliver_mail, link_in, mails_in


def _path(url):
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


ORG = {"name": "Lakeside Water Board", "slug": "", "kind": "agency", "contact_email": "board@lakeside.example",
       "description": "<p>Water</p><script>x()</script>", "answer_period_days": "60", "signature_threshold": "500"}


@pytest.mark.gen_test
async def test_only_admins_reach_admin_pages(web, make):
    organisation = make.organisation()
    pages = ["/admin", "/admin/organisations", "/admin/organisations/new", f"/admin/organisations/{organisation.slug}",
             "/admin/users", "/admin/petitions"]
    for page in pages:
        reply = await web.get(page)
        assert reply.code == 302 and reply.location.startswith("/signin?next="), page
    assert (await web.post("/admin/organisations/new", ORG)).code == 403
    for user in (make.user(), make.moderator(), make.clerk(organisation, role="manager")):
        await web.sign_in(user)
        for page in pages:
            assert (await web.get(page)).code == 403, page
        assert (await web.post("/admin/organisations/new", ORG)).code == 403
        assert (await web.post(f"/admin/users/{user.id}", {"is_admin": "y"})).code == 403
        await web.post("/signout", {})
    assert Organisation.select().count() == 1
    assert not User.select().where(User.is_admin == True).exists()  # noqa: E712
    admin = make.admin()
    await web.sign_in(admin)
    for page in pages:
        assert (await web.get(page)).code == 200, page
    assert (await web.get("/admin/organisations/no-such-thing")).code == 404
    assert (await web.get("/admin/organisations/99999999999999999999999")).code == 404
    assert (await web.get("/admin/organisations/99999999999999999999999/members")).code == 404


@pytest.mark.gen_test
async def test_create_and_edit_an_organisation(web, make):
    await web.sign_in(make.admin())
    bad = await web.post("/admin/organisations/new", {**ORG, "name": "", "kind": "empire", "contact_email": "nope",
                                                      "answer_period_days": "soon", "signature_threshold": "-5"})
    assert bad.code == 400
    for text in ("Give a name of 1 to 255 characters.", "Choose one of: ministry", "valid email address",
                 "Give a whole number of days.", "Give a number from 0"):
        assert text in bad.text
    assert Organisation.select().count() == 0
    reply = await web.post("/admin/organisations/new", ORG)
    assert reply.code == 303 and reply.location == "/admin/organisations/lakeside-water-board/members"
    organisation = Organisation.get()
    assert (organisation.kind, organisation.answer_period_days, organisation.signature_threshold) == ("agency", 60, 500)
    assert "<script>" not in organisation.description
    taken = await web.post("/admin/organisations/new", ORG)
    assert taken.code == 400 and "is taken" in taken.text
    reserved = await web.post("/admin/organisations/new", {**ORG, "slug": "New"})
    assert reserved.code == 400 and "reserved" in reserved.text
    edit = await web.post(f"/admin/organisations/{organisation.slug}",
                          {**ORG, "name": "Lakeside Water Authority", "answer_period_days": "30"})
    assert edit.code == 200 and "Saved." in edit.text
    organisation = Organisation.get_by_id(organisation.id)
    assert organisation.name == "Lakeside Water Authority" and organisation.answer_period_days == 30
    bad_edit = await web.post(f"/admin/organisations/{organisation.slug}", {**ORG, "answer_period_days": "0"})
    assert bad_edit.code == 400 and "Give a number from 1 to 3650" in bad_edit.text
    assert Organisation.get_by_id(organisation.id).answer_period_days == 30
    listing = await web.get("/admin/organisations")
    assert "Lakeside Water Authority" in listing.text and "30 days" in listing.text


@pytest.mark.gen_test
async def test_invite_a_clerk_who_sets_name_and_password(web, make, database, http_client, base_url):
    from tests.support import WebClient

    organisation = make.organisation(name="Riverton Council")
    await web.sign_in(make.admin())
    bad = await web.post(f"/admin/organisations/{organisation.slug}/members/invite", {"email": "nope", "role": "boss"})
    assert bad.code == 400 and "valid email address" in bad.text and "Choose one of: clerk, manager" in bad.text
    reply = await web.post(f"/admin/organisations/{organisation.slug}/members/invite",
                           {"email": "New.Clerk@Riverton.example", "role": "clerk"})
    assert reply.code == 303
    page = await web.get(reply.location)
    assert "new.clerk@riverton.example as clerk" in page.text
    deliver_mail()
    [message] = mails_in(database.mail_dir)
    assert message["To"] == "new.clerk@riverton.example" and "Riverton Council" in message["Subject"]
    path = _path(link_in(message, r"https?://\S+/invitations/[A-Za-z0-9_\-]+"))
    invitee = WebClient(http_client, base_url)
    form = await invitee.get(path)
    assert form.code == 200 and "Join Riverton Council" in form.text and 'name="password"' in form.text
    short = await invitee.post(path, {"name": "", "password": "short"})
    assert short.code == 400 and "Give a name" in short.text and "at least 8 characters" in short.text
    assert not User.select().where(User.email == "new.clerk@riverton.example").exists()
    done = await invitee.post(path, {"name": "Nina Newclerk", "password": "a long password"})
    assert done.code == 303 and done.location == "/workspace"
    user = User.get(User.email == "new.clerk@riverton.example")
    assert user.is_member_of(organisation.id) and user.email_confirmed_at is not None
    assert Membership.get(Membership.user == user).role == "clerk"
    assert (await invitee.post(path, {"name": "Again", "password": "a long password"})).code == 410
    # The new clerk signs in with the password chosen.
    fresh = WebClient(http_client, base_url)
    await fresh.sign_in(user, password="a long password")


@pytest.mark.gen_test
async def test_invitation_for_an_existing_account_just_joins(web, make, database, http_client, base_url):
    from tests.support import WebClient

    organisation = make.organisation()
    existing = make.user()
    await web.sign_in(make.admin())
    await web.post(f"/admin/organisations/{organisation.slug}/members/invite", {"email": existing.email, "role": "manager"})
    deliver_mail()
    path = _path(link_in(mails_in(database.mail_dir)[0], r"https?://\S+/invitations/[A-Za-z0-9_\-]+"))
    other = WebClient(http_client, base_url)
    form = await other.get(path)
    assert "You have an account with this address already" in form.text and 'name="password"' not in form.text
    assert (await other.post(path, {})).code == 303
    assert existing.is_member_of(organisation.id, roles=("manager",))
    assert User.get_by_id(existing.id).check_password(PASSWORD)


@pytest.mark.gen_test
async def test_invitations_expire(web, make, database):
    organisation = make.organisation()
    await web.sign_in(make.admin())
    await web.post(f"/admin/organisations/{organisation.slug}/members/invite", {"email": "late@example.org", "role": "clerk"})
    deliver_mail()
    path = _path(link_in(mails_in(database.mail_dir)[0], r"https?://\S+/invitations/[A-Za-z0-9_\-]+"))
    clock.set_global(clock.now() + dt.timedelta(days=8))
    reply = await web.post(path, {"name": "Late Person", "password": "a long password"})
    assert reply.code == 410 and "expired" in reply.text
    assert not User.select().where(User.email == "late@example.org").exists()


@pytest.mark.gen_test
async def test_managers_manage_their_own_organisation_only(web, make):
    mine, other = make.organisation(), make.organisation()
    manager = make.clerk(mine, role="manager")
    clerk = make.clerk(mine)
    await web.sign_in(manager)
    mine_page = await web.get("/my/petitions")
    assert f'href="/admin/organisations/{mine.slug}/members"' in mine_page.text
    page = await web.get(f"/admin/organisations/{mine.slug}/members")
    assert page.code == 200 and clerk.email in page.text
    assert (await web.get(f"/admin/organisations/{other.slug}/members")).code == 404
    assert (await web.post(f"/admin/organisations/{other.slug}/members/invite",
                           {"email": "x@example.org", "role": "clerk"})).code == 404
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/invite",
                           {"email": "x@example.org", "role": "clerk"})).code == 303
    assert Invitation.select().count() == 1
    # Promote, then demote; the last manager cannot demote or remove themself.
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/{clerk.id}/role", {"role": "manager"})).code == 303
    assert clerk.is_member_of(mine.id, roles=("manager",))
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/{clerk.id}/remove", {})).code == 303
    assert not clerk.is_member_of(mine.id)
    last = await web.post(f"/admin/organisations/{mine.slug}/members/{manager.id}/role", {"role": "clerk"})
    assert last.code == 400 and "at least one manager" in last.text
    assert manager.is_member_of(mine.id, roles=("manager",))
    invitation = Invitation.get()
    assert (await web.post(f"/admin/organisations/{mine.slug}/invitations/{invitation.id}/cancel", {})).code == 303
    assert Invitation.select().count() == 0
    # A plain clerk may not manage members.
    await web.post("/signout", {})
    plain = make.clerk(mine)
    await web.sign_in(plain)
    assert (await web.get(f"/admin/organisations/{mine.slug}/members")).code == 404
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/invite",
                           {"email": "y@example.org", "role": "clerk"})).code == 404
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/{manager.id}/remove", {})).code == 404
    assert (await web.post(f"/admin/organisations/{mine.slug}/members/invite", {"email": "y@example.org"},
                           xsrf=False)).code == 403


@pytest.mark.gen_test
async def test_admin_makes_moderators_and_admins(web, make):
    admin = make.admin()
    user = make.user(name="Uma User")
    await web.sign_in(admin)
    listing = await web.get("/admin/users?q=uma")
    assert listing.code == 200 and "Uma User" in listing.text and admin.email not in listing.text
    assert (await web.post(f"/admin/users/{user.id}", {"is_moderator": "y"})).code == 303
    user = User.get_by_id(user.id)
    assert user.is_moderator and not user.is_admin
    assert (await web.post(f"/admin/users/{user.id}", {"is_moderator": "y", "is_admin": "y"})).code == 303
    assert User.get_by_id(user.id).is_admin
    refused = await web.post(f"/admin/users/{admin.id}", {})
    assert refused.code == 422 and "your own admin rights" in refused.text
    assert User.get_by_id(admin.id).is_admin
    assert (await web.post("/admin/users/999999", {})).code == 404
    assert (await web.post(f"/admin/users/{user.id}", {}, xsrf=False)).code == 403


@pytest.mark.gen_test
async def test_admin_changes_are_in_the_audit_trail_without_email_addresses(web, make):
    from models.audit import AuditEvent

    admin = make.admin()
    user = make.user()
    organisation = make.organisation()
    await web.sign_in(admin)
    await web.post(f"/admin/users/{user.id}", {"is_moderator": "y"})
    await web.post(f"/admin/organisations/{organisation.slug}", {**ORG, "name": organisation.name,
                                                                 "answer_period_days": "45"})
    await web.post(f"/admin/organisations/{organisation.slug}/members/invite", {"email": "z@example.org", "role": "clerk"})
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [(e.action, e.field, e.new_value) for e in events if e.field in ("is_moderator", "answer_period_days", "role")] == [
        ("user", "is_moderator", "True"), ("organisation", "answer_period_days", "45"), ("invitation", "role", "clerk")]
    assert all(e.petition_id is None and e.actor_id == admin.id for e in events)
    assert not any("@" in (e.note or "") + (e.new_value or "") + (e.old_value or "") for e in events)
    dashboard = await web.get("/admin")
    assert 'id="admin-history"' in dashboard.text and "answer period" in dashboard.text


WEIRD = ["", "x" * 5000, "9" * 30, "-1", "\u0000", "<script>", "2026-02-30", "0", "１２", "%00"]


@pytest.mark.gen_test
async def test_odd_input_never_gives_a_500(web, make):
    """Every form of this area, fed odd values (huge, NUL, markup, impossible dates), answers 4xx or succeeds."""
    org = make.organisation()
    admin = make.admin()
    staging = make.petition(status="staging", organisation=org, lead=admin)
    concept = make.petition(status="concept", organisation=org, lead=admin)
    await web.sign_in(admin)
    posts = {
        "/signin": ["email", "password", "next"], "/signup": ["name", "email", "password"], "/reset": ["email"],
        "/account/password": ["current_password", "new_password"],
        "/my/petitions/new": ["title", "request", "statement", "description", "organisation", "language", "closes_on"],
        f"/my/petitions/{concept.id}/edit": ["title", "request", "organisation", "language", "closes_on"],
        f"/moderation/{staging.id}/publish": ["closes_on"],
        f"/moderation/{staging.id}/send-back": ["back-note"],
        "/admin/organisations/new": ["name", "slug", "kind", "contact_email", "answer_period_days", "signature_threshold"],
        f"/admin/organisations/{org.slug}": ["name", "kind", "contact_email", "answer_period_days", "signature_threshold"],
        f"/admin/organisations/{org.slug}/members/invite": ["email", "role"],
        f"/admin/organisations/{org.slug}/members/{admin.id}/role": ["role"],
        f"/admin/petitions/{staging.id}/hide": ["reason"],
    }
    for path, fields in posts.items():
        for w in WEIRD:
            r = await web.post(path, {f: w for f in fields})
            assert r.code < 500, (path, w, r.code, r.text[:500])
        if path == "/signin":
            await web.sign_in(admin)
    for path in ["/my/petitions?page=99999999999999", "/admin/users?q=%00&page=-1", "/admin/petitions?q=" + "x" * 300,
                 "/moderation?page=abc", "/signin?next=%00", "/reset/" + "a" * 128, "/invitations/x", "/confirm-email/x",
                 "/admin/organisations/%00", "/my/petitions/0", "/moderation/0"]:
        r = await web.get(path)
        assert r.code < 500, (path, r.code, r.text[:500])
    nul = await web.post("/signin", {"email": "a\x00@example.org", "password": "x"})
    assert nul.code == 400 and "NUL character" in nul.text
