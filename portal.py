"""The petition recipient portal: the Tornado application (one route table) and the command line.

    python portal.py serve [--address 127.0.0.1] [--port 8888]
    python portal.py migrate | demo | mail send
    python portal.py user create --email E --name N --password P [--admin] [--organisation SLUG --role clerk]
    python portal.py organisation create --name N --kind K [--slug S]
"""
import argparse
import asyncio
import logging
import sys
from pathlib import Path

import tornado.web

from handlers import accounts, admin, admin_jobs, api_osdi, api_wtp, moderation, petitioner, public, responses, ui
from handlers import workspace
from handlers.base import NotFoundHandler, log_request
from models import config
from models.db import bind, db, migrate

HERE = Path(__file__).resolve().parent
ID = r"([^/]+)"  # a petition or organisation, by numeric id or slug

ROUTES = [
    # public pages
    (r"/", public.HomeHandler),
    (r"/petitions/" + ID, public.PetitionHandler),
    (r"/petitions/" + ID + r"/sign", public.SignHandler),
    (r"/petitions/" + ID + r"/signed", public.SignedHandler),
    (r"/signatures/confirm/([A-Za-z0-9_\-]{1,128})", public.ConfirmHandler),
    (r"/organisations", public.OrganisationsHandler),
    (r"/organisations/" + ID, public.OrganisationHandler),
    (r"/answered", public.AnsweredHandler),
    (r"/sitemap\.xml", public.SitemapHandler),

    # accounts, petitioner area, moderation, admin (issue 3)
    (r"/signin", accounts.SignInHandler),
    (r"/signout", accounts.SignOutHandler),
    (r"/signup", accounts.SignUpHandler),
    (r"/confirm-email/([A-Za-z0-9_\-]{1,128})", accounts.ConfirmEmailHandler),
    (r"/reset", accounts.ResetRequestHandler),
    (r"/reset/([A-Za-z0-9_\-]{1,128})", accounts.ResetHandler),
    (r"/invitations/([A-Za-z0-9_\-]{1,128})", accounts.InvitationHandler),
    (r"/account/password", accounts.PasswordHandler),
    (r"/my/petitions", petitioner.MyPetitionsHandler),
    (r"/my/petitions/new", petitioner.NewPetitionHandler),
    (r"/my/petitions/(\d{1,12})", petitioner.MyPetitionHandler),
    (r"/my/petitions/(\d{1,12})/edit", petitioner.EditPetitionHandler),
    (r"/my/petitions/(\d{1,12})/(submit|withdraw|close)", petitioner.MoveHandler),
    (r"/moderation", moderation.QueueHandler),
    (r"/moderation/(\d{1,12})", moderation.ReviewHandler),
    (r"/moderation/(\d{1,12})/(publish|send-back|reject|withdraw|reopen)", moderation.DecisionHandler),
    (r"/admin", admin.DashboardHandler),
    (r"/admin/organisations", admin.OrganisationsHandler),
    (r"/admin/organisations/new", admin.NewOrganisationHandler),
    (r"/admin/organisations/" + ID, admin.OrganisationHandler),
    (r"/admin/organisations/" + ID + r"/members", admin.MembersHandler),
    (r"/admin/organisations/" + ID + r"/members/(invite)", admin.MembersHandler),
    (r"/admin/organisations/" + ID + r"/members/(\d{1,9})/(role|remove)", admin.MemberHandler),
    (r"/admin/organisations/" + ID + r"/invitations/(\d{1,9})/(cancel)", admin.MemberHandler),
    (r"/admin/users", admin.UsersHandler),
    (r"/admin/users/(\d{1,9})", admin.UserFlagsHandler),
    (r"/admin/petitions", admin.PetitionsHandler),
    (r"/admin/petitions/(\d{1,12})/(hide|unhide)", admin.HideHandler),

    # recipient workspace and public responses (issue 3)
    (r"/workspace", workspace.WorkspaceHandler),
    (r"/workspace/petitions/" + ID, workspace.PetitionWorkspaceHandler),
    (r"/workspace/responses/(\d{1,12})", workspace.ResponseWorkspaceHandler),
    (r"/workspace/responses/(\d{1,12})/edit", workspace.EditResponseHandler),
    (r"/workspace/responses/(\d{1,12})/publish", workspace.PublishResponseHandler),
    (r"/workspace/" + ID + r"/export\.csv", workspace.ExportHandler),
    (r"/workspace/" + ID + r"/responses/new", workspace.NewResponseHandler),
    (r"/workspace/" + ID, workspace.OrganisationWorkspaceHandler),
    (r"/responses", responses.ResponsesHandler),
    (r"/responses/(\d{1,12})", responses.ResponseHandler),

    # native v1 API, API keys, OpenAPI (issue 4)

    # scheduled jobs admin page (issue 5)
    (r"/admin/jobs", admin_jobs.JobsHandler),
    (r"/admin/jobs/([a-z_]{1,64})/run", admin_jobs.RunJobHandler),

    # We the People API (issue 6)
    (r"/v1/docs", api_wtp.DocsHandler),
    (r"/v1/petitions(?:\.json)?/?", api_wtp.PetitionsHandler),
    (r"/v1/petitions/([^/]+?)/signatures(?:\.json)?", api_wtp.SignaturesHandler),
    (r"/v1/petitions/([^/]+?)(?:\.json)?", api_wtp.PetitionHandler),
    (r"/v1/responses(?:\.json)?/?", api_wtp.ResponsesHandler),
    (r"/v1/responses/([^/]+?)(?:\.json)?", api_wtp.ResponseHandler),
    (r"/v1/signatures(?:\.json)?/?", api_wtp.SignatureCreateHandler),
    (r"/v1/validations(?:\.json)?/?", api_wtp.ValidationsHandler),
    (r"/v1/.*", api_wtp.UnknownHandler),

    # OSDI API (issue 6)
    (r"/api/osdi/v1/?", api_osdi.EntryPointHandler),
    (r"/api/osdi/v1/docs", api_osdi.DocsHandler),
    (r"/api/osdi/v1/petitions/?", api_osdi.PetitionsHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/?", api_osdi.PetitionHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/signatures/?", api_osdi.SignaturesHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/signatures/([^/]+)/?", api_osdi.SignatureHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/record_signature_helper/?", api_osdi.RecordSignatureHandler),
    (r"/api/osdi/v1/people/([^/]+)/?", api_osdi.PersonHandler),
    (r"/api/osdi/v1/.*", api_osdi.UnknownHandler),

]


def make_app(settings=None, debug=False):
    settings = settings or config.current()
    return tornado.web.Application(
        ROUTES,
        cookie_secret=settings.cookie_secret,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Lax"},
        login_url="/signin",
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        ui_modules=ui,
        default_handler_class=NotFoundHandler,
        debug=debug,
        compress_response=True,
        log_function=log_request,
    )


# ---- command line --------------------------------------------------------------------------------

def cmd_serve(args):
    import tornado.httpserver

    settings = config.current()
    with db.connection_context():
        from models.db import pending_migrations

        missing = pending_migrations()
    if missing:
        sys.exit(f"The database needs migrating ({', '.join(missing)}): run `python portal.py migrate` first.")

    if settings.run_jobs_in_serve:
        _check_schedules()

    async def main():
        app = make_app(settings)
        server = tornado.httpserver.HTTPServer(app, xheaders=True, max_body_size=1024 * 1024)
        server.listen(args.port, address=args.address)
        if settings.run_jobs_in_serve:
            from jobs.scheduler import start_scheduler

            start_scheduler()
        logging.getLogger("portal").info("serving on http://%s:%s (public address %s)", args.address, args.port,
                                         settings.base_url)
        await asyncio.Event().wait()

    asyncio.run(main())


def _require_current_schema():
    from models.db import pending_migrations

    with db.connection_context():
        missing = pending_migrations()
    if missing:
        sys.exit(f"The database needs migrating ({', '.join(missing)}): run `python portal.py migrate` first.")


def _check_schedules():
    from jobs.scheduler import ScheduleError, check_schedules

    try:
        check_schedules()
    except ScheduleError as error:
        sys.exit(f"error: {error}")


def cmd_worker(args):
    """The scheduler in a process of its own (for deployments that separate web and jobs)."""
    import signal

    _require_current_schema()
    _check_schedules()

    async def main():
        from jobs.scheduler import start_scheduler

        scheduler = start_scheduler()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        logging.getLogger("portal").info("worker running the scheduled jobs; stop with SIGTERM")
        await stop.wait()
        scheduler.shutdown(wait=True)  # let a running job finish (and release its lock)

    asyncio.run(main())


def cmd_jobs_list(args):
    from jobs.scheduler import describe_jobs

    def when(value):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"

    with db.connection_context():
        rows = describe_jobs()
    print(f"{'JOB':<22} {'SCHEDULE':<18} {'LAST RUN (UTC)':<20} {'OUTCOME':<9} {'NEXT RUN (UTC)':<20} COUNTS / ERROR")
    for row in rows:
        last = row["last"]
        detail = "-" if last is None else (last.error or last.counts_text)
        print(f"{row['name']:<22} {row['schedule']:<18} {when(last and last.started_at):<20} "
              f"{(last.outcome if last else 'never'):<9} {when(row['next']):<20} {detail[:120]}")


def cmd_jobs_run(args):
    from jobs.scheduler import by_name, run_job
    from models import clock

    try:
        by_name(args.name)
    except KeyError as error:
        sys.exit(f"error: {error.args[0]}")
    if args.now:
        try:
            clock.set_global(clock.parse_iso(args.now))
        except ValueError:
            sys.exit(f"error: --now {args.now!r} is not an ISO-8601 time such as 2026-12-01T09:00:00Z")
    result = run_job(args.name, trigger="cli")
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items()) or "-"
    if result["outcome"] == "skipped":
        print(f"{args.name}: skipped, it is running in another process")
    elif result["outcome"] == "ok":
        print(f"{args.name}: ok ({counts})")
    else:
        sys.exit(f"{args.name}: failed: {result['error']}")


def cmd_migrate(args):
    applied = migrate(verbose=True)
    print("schema is up to date" + (f" ({len(applied)} applied)" if applied else ""))


def cmd_demo(args):
    from models import demo

    with db.connection_context():
        for line in demo.load():
            print(line)


def cmd_mail_send(args):
    from models import mail

    counts = mail.deliver_pending(batch_size=args.batch)
    print(f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")


def cmd_user_create(args):
    from models.organisation import Organisation
    from models.user import add_membership, create_user

    with db.connection_context(), db.atomic():
        user = create_user(args.email, args.name, args.password, is_admin=args.admin, is_moderator=args.moderator)
        if args.organisation:
            add_membership(user, Organisation.by_slug_or_id(args.organisation), args.role)
    print(f"created user {user.email} (id {user.id})")


def cmd_organisation_create(args):
    from models.organisation import create_organisation

    with db.connection_context():
        organisation = create_organisation(args.name, args.kind, slug=args.slug, contact_email=args.contact_email)
    print(f"created organisation {organisation.name} (slug {organisation.slug}, id {organisation.id})")


def build_parser():
    parser = argparse.ArgumentParser(prog="portal.py", description="Petition recipient portal")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server (and the scheduled jobs)")
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8888)
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help="create or upgrade the schema (safe to run again)").set_defaults(
        func=cmd_migrate)
    commands.add_parser("demo", help="load demo data (idempotent) and print the logins").set_defaults(func=cmd_demo)

    commands.add_parser("worker", help="run the scheduled jobs in this process (no web server)").set_defaults(
        func=cmd_worker)
    jobs_cmd = commands.add_parser("jobs", help="scheduled jobs").add_subparsers(dest="jobs_command", required=True)
    jobs_cmd.add_parser("list", help="each job with its schedule, last run, outcome and next run").set_defaults(
        func=cmd_jobs_list)
    run = jobs_cmd.add_parser("run", help="run one job once (under its lock)")
    run.add_argument("name", help="the job, as shown by `jobs list`")
    run.add_argument("--now", help="run as if it were this time (ISO-8601, e.g. 2026-12-01T09:00:00Z)")
    run.set_defaults(func=cmd_jobs_run)

    mail_cmd = commands.add_parser("mail", help="mail outbox").add_subparsers(dest="mail_command", required=True)
    send = mail_cmd.add_parser("send", help="deliver pending mail once")
    send.add_argument("--batch", type=int, default=500)
    send.set_defaults(func=cmd_mail_send)

    user = commands.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--admin", action="store_true")
    create.add_argument("--moderator", action="store_true")
    create.add_argument("--organisation", help="slug of an organisation to join")
    create.add_argument("--role", default="clerk", choices=["clerk", "manager"])
    create.set_defaults(func=cmd_user_create)

    organisation = commands.add_parser("organisation", help="organisations").add_subparsers(
        dest="organisation_command", required=True)
    create = organisation.add_parser("create", help="create an organisation")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True)
    create.add_argument("--slug")
    create.add_argument("--contact-email")
    create.set_defaults(func=cmd_organisation_create)
    return parser


def main(argv=None):
    from models.errors import DomainError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    settings = config.configure(config.from_environment())
    bind(settings.database_url)
    try:
        args.func(args)
    except DomainError as error:
        sys.exit(f"error: {error.message}")


if __name__ == "__main__":
    main()
