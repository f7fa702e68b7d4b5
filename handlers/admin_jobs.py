"""The scheduled-jobs page for site admins: the same facts as `jobs list`, recent failures,
permanent mail failures, and a button to run a job now."""
import logging

import tornado.web

from handlers.base import BaseHandler
from jobs import scheduler
from models import jobs as records
from models.mail import OutboxMessage
from models.response import Response, notice_progress
from models.i18n import N_

log = logging.getLogger("portal.jobs")


def _admin(handler):
    user = handler.require_user()
    if not user.is_admin:
        raise tornado.web.HTTPError(403, reason=N_("Only site admins may see the scheduled jobs."))
    return user


class JobsHandler(BaseHandler):
    def get(self):
        _admin(self)
        failed_mail = (OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.to_address,
                                            OutboxMessage.attempts, OutboxMessage.last_error,
                                            OutboxMessage.created_at)
                       .where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc()).limit(50))
        # Notices still being queued, and the last few finished, with their delivery progress.
        responses = list(Response.select().where(Response.notices_state.in_(["queued", "running"]))
                         .order_by(Response.id)) + list(
            Response.select().where(Response.notices_state == "done").order_by(Response.id.desc()).limit(5))
        self.render("admin_jobs/index.html", jobs=scheduler.describe_jobs(), failures=records.recent_failures(),
                    failed_mail=list(failed_mail), started=self.get_argument("started", ""),
                    notices=[(response, notice_progress(response)) for response in responses])


class RunJobHandler(BaseHandler):
    def post(self, name):
        user = _admin(self)
        try:
            scheduler.by_name(name)
        except KeyError:
            raise tornado.web.HTTPError(404, reason=f"There is no job {name[:64]!r}.")
        # In a thread of its own, with its own connection: a long job must not hold up the server.
        scheduler.run_in_background(name, trigger="admin")
        log.info("admin user %s started job %s", user.id, name)
        self.redirect(f"/admin/jobs?started={name}")
