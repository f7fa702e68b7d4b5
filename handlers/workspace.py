"""The recipient workspace: an organisation's petitions, the clerk's petition page with the
recipient form and history, responses (draft, preview, publish) and the CSV export.

Access is checked in one place per kind of object (_organisation, _petition, _response): members
of the organisation only; everyone else gets a 404, so another organisation's petitions are not
even shown to exist.
"""
import csv
import io
from urllib.parse import urlencode

import peewee as pw
import tornado.web

from forms.workspace import RecipientForm, ResponseForm
from handlers.base import BaseHandler
from models import answering
from models.audit import history
from models.chart import signatures_per_day
from models.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from models.numbers import is_number, page_number
from models.organisation import Organisation
from models.pagination import paginate
from models.petition import (RECIPIENT_STATUSES, STATUS_LABELS, STATUSES, Petition, allowed_moves, status_counts,
                             update_recipient_fields)
from models.response import notice_progress, response_for
from models.user import Membership

PER_PAGE = 25
WORK_STATUSES = [s for s in STATUSES if s != "concept"]  # drafts are the petitioner's own
SORTS = {
    "answer_due_date": ("Answer-due date", Petition.answer_due_date),
    "date_projected": ("Handover date", Petition.date_projected),
    "closes_at": ("Closing date", Petition.closes_at),
    "updated": ("Last change", Petition.updated_at),
}
FIELD_LABELS = {"date_projected": "Handover date", "reference_field": "Reference",
                "answer_due_date": "Answer due by", "status": "Status", "response": "Response"}


class WorkspaceBase(BaseHandler):
    def my_organisations(self):
        user = self.require_user()
        return list(Organisation.select().join(Membership)
                    .where(Membership.user == user.id).order_by(Organisation.name))

    def _require_member(self, organisation_id):
        """Only members work an organisation; to anyone else its things do not exist (404)."""
        if not self.require_user().is_member_of(organisation_id):
            raise tornado.web.HTTPError(404)

    def _organisation(self, key):
        """An organisation the signed-in user is a member of, or 404."""
        self.require_user()
        try:
            organisation = Organisation.by_slug_or_id(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        self._require_member(organisation.id)
        return organisation

    def _petition(self, key):
        """A petition of one of the user's organisations, or 404."""
        petition = self.petition_with_role(key, {"clerk"})
        if petition.status == "concept":  # a draft is the petitioner's own until it is submitted
            raise tornado.web.HTTPError(404)
        return petition

    def _response(self, key):
        self.require_user()
        try:
            response = answering.get_response(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        self._require_member(response.organisation_id)
        return response


class WorkspaceHandler(WorkspaceBase):
    """/workspace: straight to the organisation, or a choice for members of several."""

    def get(self):
        organisations = self.my_organisations()
        if len(organisations) == 1:
            return self.redirect(f"/workspace/{organisations[0].slug}")
        if not organisations:
            raise tornado.web.HTTPError(403, reason="The workspace is for members of an organisation; "
                                                    "ask your organisation's manager or a site admin to invite you.")
        rows = []
        for organisation in organisations:
            counts = {name: query.count() for name, query in answering.needs_attention(organisation).items()}
            rows.append((organisation, counts))
        self.render("workspace/index.html", rows=rows, labels=answering.ATTENTION_LABELS)


def _filters(handler):
    status = handler.get_argument("status", "")
    status = status if status in WORK_STATUSES else ""
    show = handler.get_argument("show", "")
    show = show if show in answering.ATTENTION_LABELS else ""
    sort = handler.get_argument("sort", "answer_due_date")
    sort = sort if sort in SORTS else "answer_due_date"
    direction = "desc" if handler.get_argument("dir", "asc") == "desc" else "asc"
    q = handler.get_argument("q", "").strip()[:200]
    return {"status": status, "show": show, "sort": sort, "dir": direction, "q": q}


def _filtered(organisation, filters):
    if filters["show"]:
        query = answering.needs_attention(organisation)[filters["show"]]
    else:
        query = answering.workspace_petitions(organisation)
    if filters["status"]:
        query = query.where(Petition.status == filters["status"])
    return Petition.search(query, filters["q"])


class OrganisationWorkspaceHandler(WorkspaceBase):
    """/workspace/<org>: petitions grouped by status with counts, needs attention, search, sorting, paging."""

    def get(self, key):
        organisation = self._organisation(key)
        filters = _filters(self)
        query = _filtered(organisation, filters)
        field = SORTS[filters["sort"]][1]
        order = field.desc(nulls="LAST") if filters["dir"] == "desc" else field.asc(nulls="LAST")
        group = pw.Case(None, [(Petition.status == s, i) for i, s in enumerate(STATUSES)], len(STATUSES))
        page = paginate(query.order_by(group, order, Petition.id.desc()), _page_number(self), PER_PAGE)
        counts = status_counts(answering.workspace_petitions(organisation))
        counts.pop("concept", None)
        attention = {name: q.count() for name, q in answering.needs_attention(organisation).items()}
        responses = list(answering.responses_of(organisation).limit(20))
        base_query = urlencode({k: v for k, v in filters.items() if v}) + "&"
        self.render("workspace/organisation.html", organisation=organisation, page=page, counts=counts,
                    total=sum(counts.values()), attention=attention, filters=filters, sorts=SORTS,
                    labels=answering.ATTENTION_LABELS, status_labels=STATUS_LABELS, responses=responses,
                    attention_of=answering.attention_of, base_query=base_query,
                    organisations=self.my_organisations())


def csv_cell(value):
    """A cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "|", "%"):
        text = "'" + text
    return text


EXPORT_COLUMNS = ["id", "slug", "title", "status", "created_at", "opens_at", "closes_at", "closed_at",
                  "date_projected", "reference_field", "answer_due_date", "signature_count",
                  "response_published_at", "url"]


class ExportHandler(WorkspaceBase):
    """/workspace/<org>/export.csv: status, dates, reference and counts (no personal data)."""

    def get(self, key):
        organisation = self._organisation(key)
        filters = _filters(self)
        query = _filtered(organisation, filters).order_by(Petition.id)
        published = {row["petition"]: row["published_at"] for row in
                     answering.Response.select(answering.ResponsePetition.petition, answering.Response.published_at)
                     .join(answering.ResponsePetition)
                     .where((answering.Response.organisation == organisation)
                            & answering.Response.published_at.is_null(False)).dicts()}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        base_url = self.settings_.base_url
        for petition in query:
            writer.writerow([csv_cell(v) for v in (
                petition.id, petition.slug, petition.title, petition.status, petition.created_at, petition.opens_at,
                petition.closes_at, petition.closed_at, petition.date_projected, petition.reference_field,
                petition.answer_due_date, petition.signature_count, published.get(petition.id),
                f"{base_url}/petitions/{petition.slug}")])
        self.set_header("Content-Type", "text/csv; charset=UTF-8")
        self.set_header("Content-Disposition", f'attachment; filename="{organisation.slug}-petitions.csv"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.finish(out.getvalue())


def _short(value, limit=160):
    value = value or "(empty)"
    return value if len(value) <= limit else value[:limit - 1] + "…"


def describe(event):
    """One audit event in words: what changed (the template adds who, when and the channel)."""
    if event.action in ("status", "reopen"):
        what = f"Status: {STATUS_LABELS.get(event.old_value, event.old_value)} → " \
               f"{STATUS_LABELS.get(event.new_value, event.new_value)}"
        return ("Reopened. " if event.action == "reopen" else "") + what
    if event.action == "field":
        label = FIELD_LABELS.get(event.field, event.field)
        return f"{label}: {_short(event.old_value)} → {_short(event.new_value)}"
    if event.action == "response":
        return f"Response published: {_short(event.new_value)}"
    if event.action in ("hidden", "unhidden"):  # the reason is for site admins
        return "Hidden from public pages" if event.action == "hidden" else "Shown on public pages again"
    label = FIELD_LABELS.get(event.field, event.field or "")
    text = f"{event.action.replace('_', ' ').capitalize()}{': ' + label if label else ''}"
    if event.old_value is not None or event.new_value is not None:
        text += f" ({_short(event.old_value, 80)} → {_short(event.new_value, 80)})"
    return text


NOTE_HIDDEN = ("hidden", "unhidden")


class PetitionWorkspaceHandler(WorkspaceBase):
    """/workspace/petitions/<id>: the recipient form, the history and the response."""

    def get(self, key):
        petition = self._petition(key)
        form = RecipientForm(formdata=None, obj=petition).set_moves(petition, allowed_moves(petition, self.actor))
        form.note.data = ""
        self.show(petition, form)

    def post(self, key):
        petition = self._petition(key)
        form = RecipientForm(self.form_data()).set_moves(petition, allowed_moves(petition, self.actor))
        if not form.validate():
            return self.show(petition, form, status=400)
        try:
            update_recipient_fields(petition, self.actor, form.changes(petition), note=form.note.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(petition, form, status=422)
        except (TransitionRefused, NotAllowed) as error:
            form.form_errors.append(error.message)
            return self.show(petition, form, status=error.status)
        self.redirect(f"/workspace/petitions/{petition.id}?saved=1", status=303)

    def show(self, petition, form, status=200):
        petition = Petition.get_by_id(petition.id)
        self.set_status(status)
        response = response_for(petition)
        drafts = list(answering.Response.select().join(answering.ResponsePetition)
                      .where((answering.ResponsePetition.petition == petition.id)
                             & answering.Response.published_at.is_null()))
        self.render("workspace/petition.html", petition=petition, form=form, events=list(history(petition.id)),
                    per_day=signatures_per_day(petition),
                    describe=describe, note_hidden=NOTE_HIDDEN, response=response, drafts=drafts,
                    progress=notice_progress(response) if response else None,
                    opted_in=answering.opted_in_signers(response) if response else 0,
                    flags=answering.attention_of(petition), labels=answering.ATTENTION_LABELS,
                    saved=self.get_argument("saved", "") == "1" and status == 200,
                    answerable=petition.status in answering.ANSWERABLE,
                    editable=len(form.status.choices) > 1 or petition.status in RECIPIENT_STATUSES)


# ---- responses ---------------------------------------------------------------------------------------

def _response_form(organisation, formdata=None, response=None, selected=()):
    form = ResponseForm(formdata)
    choices = [(str(p.id), f"{p.title} ({STATUS_LABELS[p.status]}"
                           f"{', ref. ' + p.reference_field if p.reference_field else ''})")
               for p in answering.answerable_petitions(organisation)]
    form.petitions.choices = choices
    if formdata is None:
        if response is not None:
            form.title.data, form.body.data = response.title, response.body_source or response.body
            form.petitions.data = [str(p.id) for p in answering.linked_petitions(response)]
        else:
            form.petitions.data = [str(s) for s in selected]
    return form


class NewResponseHandler(WorkspaceBase):
    """/workspace/<org>/responses/new: write a response to one or several petitions."""

    def get(self, key):
        organisation = self._organisation(key)
        selected = [p for p in self.get_arguments("petition") if is_number(p)]
        self.render("workspace/response_form.html", organisation=organisation, response=None,
                    form=_response_form(organisation, selected=selected))

    def post(self, key):
        organisation = self._organisation(key)
        form = _response_form(organisation, self.form_data())
        try:
            response = answering.save_draft(organisation, self.actor, form.title.data, form.body.data,
                                            form.petitions.data)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(422)
            return self.render("workspace/response_form.html", organisation=organisation, response=None, form=form)
        self.redirect(f"/workspace/responses/{response.id}", status=303)


class EditResponseHandler(WorkspaceBase):
    """/workspace/responses/<id>/edit: change a draft."""

    def get(self, key):
        response = self._response(key)
        if response.published_at is not None:
            return self.redirect(f"/workspace/responses/{response.id}")
        self.render("workspace/response_form.html", organisation=response.organisation, response=response,
                    form=_response_form(response.organisation, response=response))

    def post(self, key):
        response = self._response(key)
        organisation = response.organisation
        form = _response_form(organisation, self.form_data())
        try:
            answering.save_draft(organisation, self.actor, form.title.data, form.body.data, form.petitions.data,
                                 response=response)
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(422)
            return self.render("workspace/response_form.html", organisation=organisation, response=response,
                               form=form)
        self.redirect(f"/workspace/responses/{response.id}", status=303)


class ResponseWorkspaceHandler(WorkspaceBase):
    """/workspace/responses/<id>: the preview of a draft, or a published response's notice progress."""

    def get(self, key):
        self.show(self._response(key))

    def show(self, response, error=None, status=200):
        self.set_status(status)
        self.render("workspace/response.html", response=response, organisation=response.organisation,
                    petitions=answering.linked_petitions(response), error=error,
                    progress=notice_progress(response) if response.published_at else None,
                    opted_in=answering.opted_in_signers(response),
                    published_now=self.get_argument("published", "") == "1")


class PublishResponseHandler(ResponseWorkspaceHandler):
    """POST /workspace/responses/<id>/publish."""

    def post(self, key):
        response = self._response(key)
        try:
            answering.publish_response(response, self.actor)
        except (InvalidInput, TransitionRefused, NotAllowed) as error:
            return self.show(answering.get_response(response.id), error=error.message, status=error.status)
        self.redirect(f"/workspace/responses/{response.id}?published=1", status=303)


def _page_number(handler):
    value = handler.get_argument("page", "1")
    return page_number(value)
