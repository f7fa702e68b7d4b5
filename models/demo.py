"""Demo data for `python portal.py demo`: idempotent, built through the domain functions so the
histories and audit trails look like real use."""
import datetime as dt
import random

from models import clock, mail
from models.audit import Actor
from models.db import db
from models.organisation import Organisation, create_organisation
from models.petition import Petition, transition, unique_slug, update_recipient_fields
from models.response import Response
from models.sanitize import from_markdown
from models.signature import Signature
from models.user import add_membership, create_user

PASSWORD = "demo-password"
MARKER_SLUG = "ministry-of-environment"

USERS = [
    # email, name, flags, organisation slug, role
    ("admin@demo.example", "Ada Admin", {"is_admin": True}, None, None),
    ("moderator@demo.example", "Mo Moderator", {"is_moderator": True}, None, None),
    ("clerk.ministry@demo.example", "Clara Clerk", {}, "ministry-of-environment", "manager"),
    ("clerk.council@demo.example", "Carl Council", {}, "riverton-city-council", "manager"),
    ("clerk.parliament@demo.example", "Petra Parliament", {}, "national-parliament", "clerk"),
    ("anna@demo.example", "Anna Activist", {}, None, None),
    ("ben@demo.example", "Ben Builder", {}, None, None),
]

FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Lars",
         "Mila", "Noah", "Olga", "Pieter", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Yara", "Zoë",
         "Łukasz", "Søren", "José", "Aoife", "Mehmet"]
LAST = ["Jansen", "de Vries", "Smith", "Müller", "Rossi", "Nowak", "Hansen", "García", "Dubois", "O'Brien",
        "Kowalski", "Novak", "Berg", "Lindqvist", "Peeters", "Silva", "Yılmaz", "Costa", "Bakker", "Visser"]
CITIES = ["Riverton", "Eastwick", "Northam", "Lakeside", "Millbrook", "Old Harbour", "Westfield", None]


def _petition(title, organisation, lead, request, statement, description):
    """A draft written in Markdown (as the petition form takes it), created now; publish() and the
    other steps move its creation back in time so that created ≤ submitted ≤ opened ≤ …"""
    return Petition.create(slug=unique_slug(title), title=title, request=request, statement=statement,
                           description=from_markdown(description), description_source=description,
                           organisation=organisation, lead_petitioner=lead, language="en")


def _created(petition, when):
    Petition.update(created_at=when, updated_at=when).where(Petition.id == petition.id).execute()
    return Petition.get_by_id(petition.id)


def _signatures(petition, count, start, end, rng, unconfirmed=0):
    """Bulk-insert confirmed signatures spread between start and end (demo only: no mails)."""
    end = min(end, clock.now())  # no signature, and no confirmation, in the future
    span = max((end - start).total_seconds(), 0)
    rows = []
    for n in range(count + unconfirmed):
        created = start + dt.timedelta(seconds=rng.random() * span)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "petition": petition.id, "full_name": f"{first} {last}", "email": f"signer{n}.{petition.id}@demo.example",
            "city": rng.choice(CITIES), "show_name": rng.random() < 0.4, "wants_notice": rng.random() < 0.3,
            "created_at": created,
            "confirmed_at": min(created + dt.timedelta(minutes=rng.randint(1, 600)), end) if n < count else None,
            "source": "demo",
        })
    with db.atomic():
        for i in range(0, len(rows), 500):
            Signature.insert_many(rows[i:i + 500]).execute()
    Petition.update(signature_count=count).where(Petition.id == petition.id).execute()


def logins():
    lines = ["Demo logins (password for all: %s):" % PASSWORD]
    for email, name, flags, org, role in USERS:
        what = "site admin" if flags.get("is_admin") else "moderator" if flags.get("is_moderator") else \
            f"{role} of {org}" if org else "lead petitioner"
        lines.append(f"  {email:32} {name:18} {what}")
    return lines


def load():
    """Load the demo data once; on a second run say so and print the logins again."""
    if Organisation.select().where(Organisation.slug == MARKER_SLUG).exists():
        return ["Demo data is already loaded."] + logins()
    rng = random.Random(20261124)
    now = clock.now()
    first_mail = (mail.OutboxMessage.select().order_by(mail.OutboxMessage.id.desc()).first())
    first_mail_id = first_mail.id if first_mail else 0
    with db.atomic():
        orgs = {
            "ministry-of-environment": create_organisation(
                "Ministry of Environment", "ministry", slug="ministry-of-environment",
                contact_email="petitions@environment.demo.example", answer_period_days=60, signature_threshold=1000),
            "riverton-city-council": create_organisation(
                "Riverton City Council", "council", slug="riverton-city-council",
                contact_email="clerk@riverton.demo.example", answer_period_days=42, signature_threshold=500),
            "national-parliament": create_organisation(
                "National Parliament – Committee on Petitions", "parliament", slug="national-parliament",
                contact_email="petitions@parliament.demo.example", answer_period_days=90,
                signature_threshold=10000),
        }
        users = {}
        for email, name, flags, org, role in USERS:
            users[email] = create_user(email, name, PASSWORD, **flags)
            if org:
                add_membership(users[email], orgs[org], role)
    anna, ben = users["anna@demo.example"], users["ben@demo.example"]
    moderator = Actor.for_user(users["moderator@demo.example"])
    clerks = {slug: Actor.for_user(users[email]) for email, _, _, slug, _ in USERS if slug
              for slug in [slug]}
    day = dt.timedelta(days=1)

    def at(days_ago, hours=10):
        return (now - days_ago * day).replace(hour=hours, minute=0, second=0)

    def publish(petition, lead, submitted, opened, closes):
        petition = _created(petition, at(submitted + 2))
        with clock.frozen(at(submitted)):
            petition = transition(petition, "staging", Actor.for_user(lead))
        with clock.frozen(at(opened)):
            petition = transition(petition, "live", moderator, closes_at=closes)
        return petition

    council, ministry, parliament = (orgs["riverton-city-council"], orgs["ministry-of-environment"],
                                     orgs["national-parliament"])

    _petition("Free drinking water fountains in every park", council, anna,
              "Install a drinking water fountain in each of Riverton's 14 public parks.",
              "On hot days families have nowhere to refill bottles; bottled water creates litter.",
              "Most parks in Riverton have no tap at all. A fountain costs less than a year of litter "
              "collection around the kiosks.")

    p = _petition("Protect the old oak avenue on Mill Road", council, ben,
                  "Keep the 40 oaks of Mill Road and redesign the road works around them.",
                  "The avenue is 120 years old and home to bats and owls.",
                  "The council's plan to widen Mill Road would fell **all 40 oaks**. "
                  "An alternative route exists.")
    p = _created(p, at(3))
    with clock.frozen(at(1)):
        transition(p, "staging", Actor.for_user(ben))

    p = _petition("Ban single-use plastic at public events", ministry, anna,
                  "Ban single-use plastic cups, plates and cutlery at events that need a public permit.",
                  "Festivals leave tonnes of plastic behind; reusable systems work elsewhere.",
                  "Cities that required reusable cups at events cut event waste by more than half. "
                  "We ask the ministry to make it the national rule.\n\n- cups\n- plates\n- cutlery")
    p = publish(p, anna, 40, 38, now + 30 * day)
    _signatures(p, 1800, at(38), now, rng, unconfirmed=25)

    p = _petition("Safe cycle lanes to all secondary schools", council, ben,
                  "Build protected cycle lanes on the main routes to Riverton's five secondary schools.",
                  "Two children were hit by cars on the way to school last year.",
                  "Parents want their children to cycle safely. Protected lanes on five routes would "
                  "cover 80% of pupils.")
    p = publish(p, ben, 33, 30, now + 2 * day)
    _signatures(p, 900, at(30), now, rng, unconfirmed=10)

    p = _petition("Publish all committee votes as open data", parliament, anna,
                  "Publish every committee vote, with each member's vote, as open data within a day.",
                  "Citizens cannot see how their representatives vote in committee.",
                  "Plenary votes are published; committee votes, where most decisions are made, are not.")
    p = publish(p, anna, 20, 18, now + 60 * day)
    _signatures(p, 400, at(18), now, rng)

    p = _petition("Extend night bus services in Riverton", council, ben,
                  "Run the N1 and N2 night buses every 30 minutes on Friday and Saturday nights until 4 am.",
                  "Night workers and young people have no safe way home.",
                  "Since the night buses were cut back, taxi queues after midnight are long and unsafe.")
    p = publish(p, ben, 80, 78, at(11))
    _signatures(p, 650, at(78), at(11), rng)
    with clock.frozen(at(10, 2)):
        transition(p, "to_process", Actor.job("close_petitions"))

    p = _petition("Restore funding for rural libraries", parliament, anna,
                  "Restore the rural library fund to its 2020 level.",
                  "Forty village libraries closed since the fund was halved.",
                  "Libraries are often the last public place in a village. We ask Parliament to restore "
                  "the fund.")
    p = publish(p, anna, 200, 198, at(110))
    _signatures(p, 1200, at(198), at(110), rng)
    with clock.frozen(at(109, 2)):
        p = transition(p, "to_process", Actor.job("close_petitions"))
    with clock.frozen(at(100)):
        update_recipient_fields(p, clerks["national-parliament"], {
            "status": "in_process", "date_projected": at(100).date().isoformat(),
            "reference_field": "PET-2026-0142", "answer_due_date": at(10).date().isoformat()})

    p = _petition("Plant 10,000 street trees by 2030", ministry, ben,
                  "Fund 10,000 new street trees in towns with the least green space by 2030.",
                  "Trees cool streets in heat waves and clean the air.",
                  "Heat maps show the hottest streets have no trees. A national programme would fix that.")
    p = publish(p, ben, 150, 148, at(60))
    _signatures(p, 2100, at(148), at(60), rng)
    with clock.frozen(at(59, 2)):
        p = transition(p, "to_process", Actor.job("close_petitions"))
    with clock.frozen(at(50)):
        update_recipient_fields(p, clerks["ministry-of-environment"], {
            "status": "in_process", "date_projected": at(50).date().isoformat(),
            "reference_field": "MinEnv/2026/3381", "answer_due_date": (now + 7 * day).date().isoformat()})

    p = _petition("Lower the speed limit near schools to 30 km/h", council, anna,
                  "Set a 30 km/h limit on every street within 300 metres of a school.",
                  "Lower speeds halve the risk of serious injury.",
                  "Many cities have done this with good results. Riverton should follow.")
    p = publish(p, anna, 120, 118, at(70))
    _signatures(p, 700, at(118), at(70), rng)
    with clock.frozen(at(69, 2)):
        p = transition(p, "to_process", Actor.job("close_petitions"))
    with clock.frozen(at(60)):
        p_id = p.id
        update_recipient_fields(p, clerks["riverton-city-council"], {
            "status": "in_process", "date_projected": at(60).date().isoformat(),
            "reference_field": "RCC-2026-771", "answer_due_date": at(20).date().isoformat()})
    with clock.frozen(at(25)):
        from models.answering import publish_response, save_draft

        council_clerk = clerks["riverton-city-council"]
        response = save_draft(
            council, council_clerk, "30 km/h near all schools from next spring",
            "The council thanks the petitioners. We will introduce a **30 km/h limit"
            "** within 300 metres of all schools from 1 April, with new signs and "
            "speed checks.\n\nThe transport committee approved the plan on 3 November.", [p_id])
        response = publish_response(response, council_clerk)
        # The demo's signers are made up: no notices for them.
        Response.update(notices_state="done").where(Response.id == response.id).execute()

    p = _petition("Rename the city after our football club", council, ben,
                  "Rename Riverton to Riverton United.", "We are proud of our club.", "Go United!")
    p = _created(p, at(16))
    with clock.frozen(at(15)):
        p = transition(p, "staging", Actor.for_user(ben))
    with clock.frozen(at(14)):
        transition(p, "rejected", moderator, note="A petition must ask for something the council can decide "
                                                  "and that is not frivolous.")

    p = _petition("Weekly farmers' market in the town square", council, anna,
                  "Hold a farmers' market in the town square every Saturday morning.",
                  "Local growers have nowhere to sell directly.", "Fresh food, local jobs.")
    p = publish(p, anna, 50, 48, now + 20 * day)
    _signatures(p, 120, at(48), at(30), rng)
    with clock.frozen(at(29)):
        transition(p, "withdrawn", Actor.for_user(anna), note="The council agreed to a trial market.")

    p = _petition("Reopen the coastal ferry line", ministry, ben,
                  "Reopen the ferry between Old Harbour and the islands.", "The islands are cut off in winter.",
                  "Collected on the islanders' own website through the API.")
    p = publish(p, ben, 12, 10, now + 50 * day)
    Petition.update(hidden=True, hidden_reason="Signatures are collected on the islanders' own website.",
                    api_enabled=True, allowed_domains="localhost\n127.0.0.1:8000\nferry.demo.example"
                    ).where(Petition.id == p.id).execute()
    _signatures(p, 150, at(10), now, rng)

    # The open demo petitions take signatures from partner websites through every API.
    (Petition.update(api_enabled=True, allowed_domains="localhost\n127.0.0.1:8000")
     .where((Petition.status == "live") & (Petition.hidden == False)).execute())  # noqa: E712
    # The demo's history is made up; its mails were never meant for anyone.
    mail.OutboxMessage.delete().where(mail.OutboxMessage.id > first_mail_id).execute()
    total = Signature.select().count()
    return [f"Loaded demo data: 3 organisations, {Petition.select().count()} petitions, {total} signatures."] + logins()
