"""Moderation: the queue of petitions awaiting moderation, and publishing, sending back or
rejecting one. Moderators see every organisation's; clerks see the petitions addressed to theirs.
Every decision is models.petition.transition() through models/petitioning.py."""
import tornado.web

from forms.petition import HideForm, NoteForm, PublishForm
from handlers.accounts import PageHandler
from models import petitioning
from models.audit import history
from models.errors import InvalidInput
from models.numbers import page_number
from models.pagination import paginate
from models.petition import TERMINAL, allowed_moves, roles_of
from models.i18n import N_


def _page_number(handler):
    value = handler.get_argument("page", "1")
    return page_number(value)


class ModerationHandler(PageHandler):
    def require_moderation_access(self):
        user = self.require_user()
        if not (user.can_moderate or user.memberships.count()):
            raise tornado.web.HTTPError(403, reason=N_("Moderation is for moderators and the clerks of organisations."))
        return user

    def petition_to_moderate(self, key):
        self.require_moderation_access()
        return self.petition_with_role(key, {"moderator", "clerk", "admin"})

    def show(self, petition, status=200, publish_form=None, back_form=None, reject_form=None, hide_form=None,
             withdraw_form=None, reopen_form=None):
        user = self.current_user
        self.set_status(status)
        self.render("moderation/petition.html", petition=petition, moves=allowed_moves(petition, self.actor),
                    events=list(history(petition.id)), publish_form=publish_form or PublishForm(formdata=None),
                    back_form=back_form or NoteForm(formdata=None, prefix="back"),
                    reject_form=reject_form or NoteForm(formdata=None, prefix="reject"),
                    withdraw_form=withdraw_form or NoteForm(formdata=None, prefix="withdraw"),
                    reopen_form=reopen_form or NoteForm(formdata=None, prefix="reopen"),
                    terminal=TERMINAL, roles=roles_of(self.actor, petition),
                    hide_form=hide_form or HideForm(formdata=None), hidden_event=petitioning.hidden_event(petition),
                    show_hidden_reason=user.is_admin)


class QueueHandler(ModerationHandler):
    def get(self):
        user = self.require_moderation_access()
        page = paginate(petitioning.moderation_queue(user), _page_number(self), 20)
        self.render("moderation/queue.html", page=page, site_wide=user.can_moderate)


class ReviewHandler(ModerationHandler):
    def get(self, key):
        self.show(self.petition_to_moderate(key))


class DecisionHandler(ModerationHandler):
    """POST /moderation/{id}/(publish|send-back|reject|withdraw|reopen)."""

    def post(self, key, decision):
        petition = self.petition_to_moderate(key)
        data = self.form_data()
        try:
            if decision == "publish":
                form = PublishForm(data)
                petitioning.publish(petition, self.actor, closes_on=form.closes_on.data)
            elif decision == "send-back":
                form = NoteForm(data, prefix="back")
                petitioning.send_back(petition, self.actor, form.note.data)
            elif decision == "withdraw":
                form = NoteForm(data, prefix="withdraw")
                petitioning.withdraw(petition, self.actor, note=form.note.data)
            elif decision == "reopen":
                form = NoteForm(data, prefix="reopen")
                petitioning.reopen(petition, self.actor, note=form.note.data)
            else:
                form = NoteForm(data, prefix="reject")
                petitioning.reject(petition, self.actor, form.note.data)
        except InvalidInput as error:
            fields = {("closes_on" if name == "closes_at" else name): text for name, text in error.fields.items()}
            form.add_domain_errors(InvalidInput(fields))
            key = {"publish": "publish_form", "send-back": "back_form", "reject": "reject_form",
                   "withdraw": "withdraw_form", "reopen": "reopen_form"}[decision]
            return self.show(petition, status=400, **{key: form})
        self.redirect("/moderation" if decision in ("publish", "send-back", "reject") else f"/moderation/{petition.id}",
                      status=303)
