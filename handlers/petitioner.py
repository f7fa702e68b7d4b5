"""The petitioner's area under /my: start a petition, edit the draft, submit, withdraw, close
early, and follow each petition (status, dates, reference, response, history)."""
import tornado.web

from forms.petition import NoteForm, PetitionForm
from handlers.accounts import PageHandler
from models import petitioning
from models.audit import history
from models.errors import InvalidInput
from models.numbers import page_number
from models.organisation import Organisation
from models.pagination import paginate
from models.petition import allowed_moves
from models.response import response_for
from models.sanitize import from_markdown
from models.user import Membership


def _page_number(handler):
    value = handler.get_argument("page", "1")
    return page_number(value)


class PetitionerHandler(PageHandler):
    def own_petition(self, key):
        """The signed-in user's own petition; 404 for anyone else's."""
        return self.petition_with_role(key, {"petitioner"})

    def organisations(self):
        return Organisation.select().order_by(Organisation.name)


class MyPetitionsHandler(PetitionerHandler):
    def get(self):
        user = self.require_user()
        page = paginate(petitioning.my_petitions(user), _page_number(self), 20)
        answers = {p.id: response_for(p) for p in page.items if p.status == "completed"}
        memberships = (Membership.select(Membership, Organisation).join(Organisation)
                       .where(Membership.user == user).order_by(Organisation.name))
        self.render("my/petitions.html", page=page, answers=answers, memberships=list(memberships))


class NewPetitionHandler(PetitionerHandler):
    def get(self):
        self.require_user()
        form = PetitionForm(formdata=None).set_organisations(self.organisations())
        preset = self.get_argument("organisation", "")
        if preset:
            form.organisation.data = preset
        self.render("my/edit.html", form=form, petition=None, preview=None)

    def post(self):
        user = self.require_user()
        form = PetitionForm(self.form_data()).set_organisations(self.organisations())
        if self.get_body_argument("preview", None) is not None:
            return self.render("my/edit.html", form=form, petition=None, preview=from_markdown(form.description.data))
        try:
            petition = petitioning.create_petition(user, form.values())
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("my/edit.html", form=form, petition=None, preview=None)
        self.redirect(f"/my/petitions/{petition.id}", status=303)


class EditPetitionHandler(PetitionerHandler):
    def get(self, key):
        petition = self.own_petition(key)
        form = PetitionForm(formdata=None, obj=petition).set_organisations(self.organisations())
        form.organisation.data = str(petition.organisation_id)
        form.description.data = petition.description_source or petition.description
        form.closes_on.data = petition.closes_at.date().isoformat() if petition.closes_at else ""
        self.render("my/edit.html", form=form, petition=petition, preview=None)

    def post(self, key):
        petition = self.own_petition(key)
        form = PetitionForm(self.form_data()).set_organisations(self.organisations())
        if self.get_body_argument("preview", None) is not None:
            return self.render("my/edit.html", form=form, petition=petition,
                               preview=from_markdown(form.description.data))
        try:
            petitioning.edit_petition(petition, self.actor, form.values())
        except InvalidInput as error:
            form.add_domain_errors(error)
            self.set_status(400)
            return self.render("my/edit.html", form=form, petition=petition, preview=None)
        self.redirect(f"/my/petitions/{petition.id}", status=303)


class MyPetitionHandler(PetitionerHandler):
    def get(self, key):
        petition = self.own_petition(key)
        self.show(petition)

    def show(self, petition, note_form=None, status=200, message=None):
        self.set_status(status)
        self.render("my/petition.html", petition=petition, response=response_for(petition),
                    events=list(history(petition.id)), moves=allowed_moves(petition, self.actor),
                    note_form=note_form or NoteForm(formdata=None), message=message)


class MoveHandler(MyPetitionHandler):
    """POST /my/petitions/{id}/(submit|withdraw|close): one button each, one domain function each."""

    def post(self, key, action):
        petition = self.own_petition(key)
        form = NoteForm(self.form_data())
        if action == "submit":
            petitioning.submit(petition, self.actor)
        elif action == "withdraw":
            petitioning.withdraw(petition, self.actor, note=form.note.data)
        elif action == "close":
            petitioning.close_early(petition, self.actor)
        else:
            raise tornado.web.HTTPError(404)
        self.redirect(f"/my/petitions/{petition.id}", status=303)
