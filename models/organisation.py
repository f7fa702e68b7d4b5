"""Organisations that receive petitions, and who works for them."""
import re
import unicodedata

import peewee as pw

from models import clock
from models.db import BaseModel, db
from models.errors import InvalidInput, NotFound
from models.i18n import N_
from models.numbers import is_number
from models.sanitize import check_single_line

KINDS = ("ministry", "council", "parliament", "agency", "company", "other")
KIND_LABELS = {"ministry": N_("ministry"), "council": N_("council"), "parliament": N_("parliament"),
               "agency": N_("agency"), "company": N_("company"), "other": N_("other")}
ROLES = ("clerk", "manager")
ROLE_LABELS = {"clerk": N_("clerk"), "manager": N_("manager")}  # a manager is a clerk who may also invite members and manage keys


def slugify(text: str, max_length=80) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"


class Organisation(BaseModel):
    name = pw.CharField(max_length=255)
    slug = pw.CharField(max_length=80, unique=True)
    kind = pw.CharField(max_length=32, default="other")
    contact_email = pw.CharField(max_length=255, null=True)
    description = pw.TextField(default="")
    answer_period_days = pw.IntegerField(default=90)  # default time to answer after handover
    signature_threshold = pw.IntegerField(default=1000)  # count at which a response is promised
    # the language of mail to the organisation (the database default fills rows made before migration 0007)
    language = pw.CharField(max_length=16, default="en", constraints=[pw.SQL("DEFAULT 'en'")])
    created_at = pw.DateTimeField(default=clock.now)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @classmethod
    def by_slug_or_id(cls, key):
        query = cls.select()
        key = str(key or "").strip()
        if not key or len(key) > 80 or (key.isdigit() and not is_number(key, 9)):
            raise NotFound(N_("There is no organisation %(name)s.", name=repr(key[:80])))
        if is_number(key, 9):
            query = query.where((cls.id == int(key)) | (cls.slug == str(key)))
        else:
            query = query.where(cls.slug == str(key))
        organisation = query.first()
        if organisation is None:
            raise NotFound(N_("There is no organisation %(name)s.", name=repr(key)))
        return organisation


def create_organisation(name, kind="other", slug=None, contact_email=None, **extra):
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 255:
        errors["name"] = N_("Give a name of 1 to 255 characters.")
    check_single_line(errors, name=name)
    if kind not in KINDS:
        errors["kind"] = N_("Choose one of: %(choices)s.", choices=", ".join(KINDS))
    slug = slugify(slug or name)
    if Organisation.select().where(Organisation.slug == slug).exists():
        errors["slug"] = N_("The slug %(slug)s is taken; choose another.", slug=repr(slug))
    if errors:
        raise InvalidInput(errors)
    try:
        with db.atomic():  # a savepoint: a caller's transaction stays usable
            return Organisation.create(name=name, kind=kind, slug=slug, contact_email=contact_email, **extra)
    except pw.IntegrityError:  # the slug was taken between our check and this insert
        raise InvalidInput({"slug": N_("The slug %(slug)s is taken; choose another.", slug=repr(slug))}) from None
