"""The petition recipient portal: the Tornado application (one route table) and the command line.

    python portal.py serve [--address 127.0.0.1] [--port 8888] [--processes N]
    python portal.py migrate | demo | mail send
    python portal.py user create --email E --name N --password P [--admin] [--organisation SLUG --role clerk]
    python portal.py organisation create --name N --kind K [--slug S]
    python portal.py apikey create --user EMAIL --scopes read,create,update [--organisation SLUG] [--name N] [--test] [--partner]
    python portal.py apikey list [--user EMAIL] | apikey revoke PREFIX | apikey partner PREFIX --on|--off
    python portal.py api-settings PETITION [--enable|--disable] [--domains "a.example b.example:8000"] [--hide|--show]
    python portal.py worker                      (the scheduled jobs only, no web server)
    python portal.py jobs list | jobs run NAME [--now ISO-8601-TIME]
    python portal.py webhook create --organisation SLUG --url URL --events e1,e2 [--description D]
    python portal.py webhook list [--organisation SLUG] | webhook delete ID
"""
import argparse
import asyncio
import atexit
import errno
import logging
import os
import signal
import sys
import time
from pathlib import Path

import tornado.web

from handlers import (accounts, admin, admin_jobs, api_keys, api_osdi, api_v1, api_wtp, languages, moderation,
                      openapi_v1, ops, pages, petitioner, privacy, public, responses, ui, workspace)
from handlers import open_data, webhooks, widgets
from handlers.base import TRANSPORT_MAX_BYTES, NotFoundHandler, StaticHandler, log_request
from handlers.ratelimit import Limiter
from models import config, i18n
from models.db import bind, db, migrate

HERE = Path(__file__).resolve().parent
ID = r"([^/]+)"  # a petition or organisation, by numeric id or slug

ROUTES = [
    # A viral petition's hot paths first: Tornado tries the routes in order (no path below matches these)
    (r"/api/v1/petitions/" + ID + r"/signature-count", api_v1.SignatureCountHandler),
    (r"/api/v1/petitions/" + ID + r"/signatures", api_v1.ForbrukermaktSignaturesHandler),

    # open data, accountability, widgets (issue 14); before /petitions/{id}, which would take "slug.json"
    (r"/petitions/([a-z0-9\-]{1,100})\.(json|csv)", open_data.PetitionDataHandler),
    (r"/", public.HomeHandler),  # hot too; the public pages follow below
    (r"/petitions/" + ID, public.PetitionHandler),
    (r"/petitions/" + ID + r"/widget/(count|sign)", widgets.WidgetHandler),
    (r"/widgets/petition\.js", widgets.WidgetScriptHandler),
    (r"/petitions/" + ID + r"/widget-key", widgets.WidgetKeyHandler),
    (r"/open-data", open_data.OpenDataIndexHandler),
    (r"/open-data/([a-z.]{1,40})", open_data.OpenDataFileHandler),
    (r"/accountability(|\.json)", open_data.AccountabilityHandler),
    (r"/organisations/" + ID + r"/accountability(|\.json)", open_data.OrganisationAccountabilityHandler),
    (r"/workspace/" + ID + r"/webhooks", webhooks.WebhooksHandler),
    (r"/workspace/" + ID + r"/webhooks/(\d{1,9})", webhooks.WebhookHandler),
    (r"/workspace/" + ID + r"/webhooks/(\d{1,9})/(delete|enable)", webhooks.WebhookHandler),
    (r"/api/v1/webhooks", webhooks.ApiWebhooksHandler),
    (r"/api/v1/webhooks/(\d{1,9})", webhooks.ApiWebhookHandler),

    # public pages
    (r"/petitions", public.SearchHandler),
    (r"/petitions/" + ID + r"/sign", public.SignHandler),
    (r"/petitions/" + ID + r"/signed", public.SignedHandler),
    (r"/petitions/" + ID + r"/chart\.svg", public.ChartHandler),
    (r"/signatures/confirm/([A-Za-z0-9_\-]{1,128})", public.ConfirmHandler),
    (r"/language", languages.LanguageHandler),
    (r"/language/([A-Za-z_-]{2,16})", languages.LanguageHandler),
    (r"/organisations", public.OrganisationsHandler),
    (r"/organisations/" + ID, public.OrganisationHandler),
    (r"/answered", public.AnsweredHandler),
    (r"/sitemap\.xml", public.SitemapHandler),
    (r"/pages/([a-z]{1,32})", pages.SitePageHandler),

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
    (r"/admin/pages", pages.AdminPagesHandler),
    (r"/admin/pages/([a-z]{1,32})", pages.AdminPageHandler),
    (r"/admin/users/(\d{1,9})", admin.UserFlagsHandler),
    (r"/admin/petitions", admin.PetitionsHandler),
    (r"/admin/petitions/(\d{1,12})/(hide|unhide)", admin.HideHandler),
    (r"/admin/api-keys", admin.ApiKeysHandler),
    (r"/admin/api-keys/(\d{1,12})/partner", admin.PartnerKeyHandler),

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
    (r"/user/api-tokens", api_keys.ApiTokensHandler),
    (r"/user/api-tokens/([0-9]{1,12})/revoke", api_keys.RevokeTokenHandler),
    (r"/petitions/" + ID + r"/api-settings", api_keys.ApiSettingsHandler),
    (r"/api/v1/openapi\.json", openapi_v1.OpenApiHandler),
    (r"/api/v1/docs", openapi_v1.DocsHandler),
    (r"/api/v1/petitions", api_v1.PetitionsHandler),
    (r"/api/v1/petitions/" + ID, api_v1.PetitionHandler),
    (r"/api/v1/petitions/" + ID + r"/signature", api_v1.PetitionsEuSignatureHandler),
    (r"/api/v1/signatures", api_v1.SignaturesHandler),
    (r"/api/v1/organisations", api_v1.OrganisationsHandler),
    (r"/api/v1/organisations/" + ID, api_v1.OrganisationHandler),
    (r"/api/v1(?:/.*)?", api_v1.ApiNotFoundHandler),

    # scheduled jobs admin page (issue 5)
    (r"/admin/jobs", admin_jobs.JobsHandler),
    (r"/admin/jobs/([a-z_]{1,64})/run", admin_jobs.RunJobHandler),

    # We the People API (issue 6)
    (r"/v1/docs", api_wtp.DocsHandler),
    (r"/v1/petitions(?:\.jsonp?)?/?", api_wtp.PetitionsHandler),
    (r"/v1/petitions/([^/]+?)/signatures(?:\.jsonp?)?", api_wtp.SignaturesHandler),
    (r"/v1/petitions/([^/]+?)(?:\.jsonp?)?", api_wtp.PetitionHandler),
    (r"/v1/responses(?:\.jsonp?)?/?", api_wtp.ResponsesHandler),
    (r"/v1/responses/([^/]+?)(?:\.jsonp?)?", api_wtp.ResponseHandler),
    (r"/v1/signatures(?:\.json)?/?", api_wtp.SignatureCreateHandler),
    (r"/v1/validations(?:\.json)?/?", api_wtp.ValidationsHandler),
    (r"/v1/.*", api_wtp.UnknownHandler),

    # signers' and account holders' rights, sessions (issue 13)
    (r"/signatures/withdraw/(\d{1,12}-[0-9a-f]{32})", privacy.WithdrawHandler),
    (r"/my-data", privacy.SignerDataHandler),
    (r"/account", privacy.AccountHandler),
    (r"/account/sign-out-everywhere", privacy.SignOutEverywhereHandler),
    (r"/account/export\.json", privacy.AccountExportHandler),
    (r"/account/delete", privacy.DeleteAccountHandler),

    # OSDI API (issue 6)
    (r"/api/osdi/v1/?", api_osdi.EntryPointHandler),
    (r"/api/osdi/v1/docs", api_osdi.DocsHandler),
    (r"/api/osdi/v1/petitions/?", api_osdi.PetitionsHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/?", api_osdi.PetitionHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/signatures/?", api_osdi.SignaturesHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/signatures/([^/]+)/?", api_osdi.SignatureHandler),
    (r"/api/osdi/v1/petitions/([^/]+)/record_signature_helper/?", api_osdi.RecordSignatureHandler),
    (r"/api/osdi/v1/people/([^/]+)/?", api_osdi.PersonHandler),
    (r"/api/osdi/v1/people/([^/]+)/signatures/?", api_osdi.PersonSignaturesHandler),
    (r"/api/osdi/v1/tags/?", api_osdi.TagsHandler),
    (r"/api/osdi/v1/.*", api_osdi.UnknownHandler),

    # operations (issue 10): health for load balancers, Prometheus metrics (token or separate address)
    (r"/healthz", ops.HealthHandler),
    (r"/metrics", ops.MetricsHandler),
]


def make_app(settings=None, debug=False, limiter=None):
    settings = settings or config.current()
    i18n.load()  # compiles stale catalogues
    return tornado.web.Application(
        ROUTES,
        cookie_secret=settings.cookie_secret,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Lax", "secure": settings.https},
        login_url="/signin",
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        static_handler_class=StaticHandler,
        ui_modules=ui,
        default_handler_class=NotFoundHandler,
        debug=debug,
        compress_response=True,
        log_function=log_request,
        limiter=limiter or Limiter.from_environment(),  # rate and abuse limits (handlers/ratelimit.py)
    )


# ---- command line --------------------------------------------------------------------------------

def cmd_serve(args):
    import tornado.httpserver
    import tornado.netutil
    import tornado.process

    settings = config.current()
    if not os.environ.get("PORTAL_BASE_URL"):
        # Mailed links must point where this server listens, not at the default port.
        settings = config.configure(settings.with_(base_url=config.base_url_for(args.address, args.port)))
    with db.connection_context():
        from models.db import pending_migrations

        missing = pending_migrations()
    if missing:
        sys.exit(f"The database needs migrating ({', '.join(missing)}): run `python portal.py migrate` first.")

    if settings.run_jobs_in_serve:
        _check_schedules()
    _check_metrics_address()
    from handlers.ratelimit import check_settings

    try:
        check_settings()
    except ValueError as error:
        sys.exit(f"error: {error}")

    several = args.processes != 1
    try:
        sockets = tornado.netutil.bind_sockets(args.port, address=args.address, reuse_port=several)
    except OSError as error:
        sys.exit(f"error: cannot listen on {args.address}:{args.port}: {error.strerror or error}"
                 + (" (another program is using this port; choose another with --port)"
                    if error.errno == errno.EADDRINUSE else ""))

    # Several processes: the port was only tried above. Each child binds its own socket with
    # SO_REUSEPORT, so the kernel spreads new connections evenly over the children (with one shared
    # socket, whichever child woke first accepted a whole burst of connections and kept them). Each
    # child opens its own database pool after the fork; a child that dies is replaced by the parent
    # (tornado.process.fork_processes).
    task_id = None
    if several:
        for sock in sockets:
            sock.close()
        db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        log = logging.getLogger("portal")
        count = args.processes or tornado.process.cpu_count()
        log.info("serving on http://%s:%s with %d processes (public address %s)", args.address, args.port,
                 count, settings.base_url)
        task_id = tornado.process.fork_processes(count, max_restarts=1_000_000)
        sockets = tornado.netutil.bind_sockets(args.port, address=args.address, reuse_port=True)
        bind(settings.database_url)  # this child's own connections
    # The scheduled jobs run in one process only: the only one, or the first child (a replaced
    # first child takes them over).
    run_jobs = settings.run_jobs_in_serve and task_id in (None, 0)

    async def main():
        from models import metrics

        app = make_app(settings)
        flush_logs_periodically()
        settle_garbage_collector()
        # No xheaders: forwarded addresses are read only from PORTAL_TRUSTED_PROXIES (handlers/ratelimit.py).
        server = tornado.httpserver.HTTPServer(app, max_body_size=TRANSPORT_MAX_BYTES)
        server.add_sockets(sockets)
        if task_id in (None, 0):  # one metrics listener per machine address
            metrics.serve_separately()
        if run_jobs:
            from jobs.scheduler import start_scheduler

            start_scheduler()
        if task_id is None:
            logging.getLogger("portal").info("serving on http://%s:%s (public address %s)", args.address,
                                             args.port, settings.base_url)
            if not os.environ.get("PORTAL_BASE_URL") and args.address in ("0.0.0.0", "::", ""):
                logging.getLogger("portal").warning(
                    "mailed links point at %s: set PORTAL_BASE_URL to the address people use", settings.base_url)
        else:
            _exit_with_parent()
        # stop between two callbacks, never in the middle of one (a request's answer and its log
        # line are written in one): then atexit writes out the buffered log lines
        stop = asyncio.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(number, stop.set)
        await stop.wait()

    asyncio.run(main())


def _exit_with_parent():
    """A child of `serve --processes N` stops when its parent is gone (so stopping the parent stops
    the whole server)."""
    import os

    import tornado.ioloop

    parent = os.getppid()

    def check():
        if os.getppid() != parent:
            flush_logs()  # os._exit skips atexit: the buffered log lines would be lost
            os._exit(0)

    tornado.ioloop.PeriodicCallback(check, 500).start()


def _require_current_schema():
    from models.db import pending_migrations

    with db.connection_context():
        missing = pending_migrations()
    if missing:
        sys.exit(f"The database needs migrating ({', '.join(missing)}): run `python portal.py migrate` first.")


def _check_metrics_address():
    from models import metrics

    try:
        metrics.address()
    except ValueError as error:
        sys.exit(f"error: {error}")


def _check_schedules():
    from jobs.scheduler import ScheduleError, check_schedules

    try:
        check_schedules()
    except ScheduleError as error:
        sys.exit(f"error: {error}")


def cmd_worker(args):
    """The scheduler in a process of its own (for deployments that separate web and jobs)."""

    _require_current_schema()
    _check_schedules()
    _check_metrics_address()

    async def main():
        from jobs.scheduler import start_scheduler
        from models import metrics

        metrics.serve_separately()
        flush_logs_periodically()
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
        user = create_user(args.email, args.name, args.password, is_admin=args.admin, is_moderator=args.moderator,
                           language=args.language)
        if args.organisation:
            add_membership(user, Organisation.by_slug_or_id(args.organisation), args.role)
    print(f"created user {user.email} (id {user.id})")


def cmd_organisation_create(args):
    from models.organisation import create_organisation

    with db.connection_context():
        organisation = create_organisation(args.name, args.kind, slug=args.slug, contact_email=args.contact_email,
                                           language=i18n.normalise(args.language) or i18n.default_language())
    print(f"created organisation {organisation.name} (slug {organisation.slug}, id {organisation.id})")


def cmd_apikey_create(args):
    from models.api import issue_key
    from models.organisation import Organisation
    from models.user import get_user_by_email

    with db.connection_context(), db.atomic():
        user = get_user_by_email(args.user)
        organisation = Organisation.by_slug_or_id(args.organisation) if args.organisation else None
        key, token = issue_key(user, args.name, args.scopes.split(","), organisation=organisation,
                               is_test=args.test, is_partner=args.partner)
    print(f"created API key {key.prefix} for {user.email} (scopes {key.scopes}"
          f"{', organisation ' + organisation.slug if organisation else ''}{', test key' if key.is_test else ''}"
          f"{', partner key' if key.is_partner else ''});"
          " the token is shown only now:")
    print(token)


def cmd_apikey_list(args):
    import peewee

    from models.apikey import ApiKey
    from models.organisation import Organisation
    from models.user import User, get_user_by_email

    with db.connection_context():
        query = (ApiKey.select(ApiKey, User, Organisation).join(User).switch(ApiKey)
                 .join(Organisation, peewee.JOIN.LEFT_OUTER).order_by(ApiKey.created_at, ApiKey.id))
        if args.user:
            query = query.where(ApiKey.user == get_user_by_email(args.user))
        for key in query:
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            print(f"{key.prefix}  {key.user.email}  {key.scopes}  "
                  f"{key.organisation.slug if key.organisation_id else '-'}  {'test' if key.is_test else 'live'}"
                  f"{'  partner' if key.is_partner else ''}  "
                  f"last used {used}  {state}  {key.name}")


def cmd_apikey_revoke(args):
    from models.api import key_by_prefix
    from models.apikey import revoke

    with db.connection_context():
        key = key_by_prefix(args.prefix)
        revoke(key)
    print(f"revoked API key {key.prefix}")


def cmd_apikey_partner(args):
    from models.api import key_by_prefix
    from models.apikey import set_partner
    from models.audit import Actor

    with db.connection_context():
        key = set_partner(key_by_prefix(args.prefix), args.on, actor=Actor.system())
    print(f"API key {key.prefix} is {'now a partner key: it signs every API-enabled petition' if key.is_partner else 'no longer a partner key: it signs only its own petitions'}")


def cmd_api_settings(args):
    from models.api import petition_by_key, update_api_settings
    from models.audit import Actor

    with db.connection_context():
        petition = petition_by_key(args.petition)
        enabled = petition.api_enabled if args.enable is None else args.enable
        hidden = petition.hidden if args.hide is None else args.hide
        domains = petition.allowed_domains if args.domains is None else "\n".join(args.domains.replace(",", " ").split())
        update_api_settings(petition, Actor.system(), api_enabled=enabled, allowed_domains=domains, hidden=hidden)
        petition = petition_by_key(args.petition)
    print(f"{petition.slug}: API submissions {'enabled' if petition.api_enabled else 'disabled'}, "
          f"allowed domains: {', '.join(petition.domain_list) or 'none'}, "
          f"{'hidden from' if petition.hidden else 'shown on'} public pages")


def cmd_webhook_create(args):
    from models import webhooks
    from models.audit import Actor
    from models.organisation import Organisation

    with db.connection_context(), db.atomic():
        organisation = Organisation.by_slug_or_id(args.organisation)
        endpoint, secret = webhooks.create_endpoint(organisation, Actor.system(), args.url, args.events,
                                                    description=args.description)
    print(f"created webhook endpoint {endpoint.id} for {organisation.slug}: {endpoint.url} "
          f"({', '.join(endpoint.event_list)}); the signing secret is shown only now:")
    print(secret)


def cmd_webhook_list(args):
    from models import webhooks
    from models.organisation import Organisation

    with db.connection_context():
        query = (webhooks.WebhookEndpoint.select(webhooks.WebhookEndpoint, Organisation).join(Organisation)
                 .where(webhooks.WebhookEndpoint.deleted_at.is_null()).order_by(webhooks.WebhookEndpoint.id))
        if args.organisation:
            query = query.where(Organisation.id == Organisation.by_slug_or_id(args.organisation).id)
        for endpoint in query:
            print(f"{endpoint.id}  {endpoint.organisation.slug}  {endpoint.state}  {endpoint.url}  "
                  f"{','.join(endpoint.event_list)}  failures {endpoint.failure_count}")


def cmd_webhook_delete(args):
    from models import webhooks
    from models.audit import Actor

    with db.connection_context():
        endpoint = webhooks.get_endpoint(args.id)
        webhooks.delete_endpoint(endpoint, Actor.system())
    print(f"deleted webhook endpoint {endpoint.id} ({endpoint.url})")


def _port_number(text):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def build_parser():
    parser = argparse.ArgumentParser(prog="portal.py", description="Petition recipient portal")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server (and the scheduled jobs)")
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument("--port", type=_port_number, default=8888)
    serve.add_argument("--processes", type=int, default=1,
                       help="pre-forked processes sharing the port (0 = one per core; default 1)")
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
    create.add_argument("--language", help="the account's language: " + " ".join(i18n.LANGUAGES))
    create.set_defaults(func=cmd_user_create)

    organisation = commands.add_parser("organisation", help="organisations").add_subparsers(
        dest="organisation_command", required=True)
    create = organisation.add_parser("create", help="create an organisation")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True)
    create.add_argument("--slug")
    create.add_argument("--contact-email")
    create.add_argument("--language", help="language of its mail: " + " ".join(i18n.LANGUAGES))
    create.set_defaults(func=cmd_organisation_create)

    apikey = commands.add_parser("apikey", help="API keys").add_subparsers(dest="apikey_command", required=True)
    create = apikey.add_parser("create", help="create a key; prints the token (once) as the last line")
    create.add_argument("--user", required=True, help="email of the key's owner")
    create.add_argument("--scopes", required=True, help="comma separated: read,create,update")
    create.add_argument("--organisation", help="slug or id (required with the update scope)")
    create.add_argument("--name", default="API key")
    create.add_argument("--test", action="store_true", help="a test key: reads only, counts read as 3")
    create.add_argument("--partner", action="store_true",
                        help="a partner key: its create scope signs every API-enabled petition, not only its owner's")
    create.set_defaults(func=cmd_apikey_create)
    partner = apikey.add_parser("partner", help="make a key a partner key (--on) or not (--off)")
    partner.add_argument("prefix")
    partner_switch = partner.add_mutually_exclusive_group(required=True)
    partner_switch.add_argument("--on", dest="on", action="store_true")
    partner_switch.add_argument("--off", dest="on", action="store_false")
    partner.set_defaults(func=cmd_apikey_partner)
    listing = apikey.add_parser("list", help="list keys (prefix, owner, scopes, organisation, last use)")
    listing.add_argument("--user", help="only this user's keys")
    listing.set_defaults(func=cmd_apikey_list)
    revoke = apikey.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    revoke.set_defaults(func=cmd_apikey_revoke)

    settings = commands.add_parser("api-settings", help="a petition's API settings (as on its API settings page)")
    settings.add_argument("petition", help="id or slug")
    settings.add_argument("--enable", dest="enable", action="store_true", default=None, help="enable API submissions")
    settings.add_argument("--disable", dest="enable", action="store_false", help="disable API submissions")
    settings.add_argument("--domains", help="allowed domains, comma or space separated (replaces the list)")
    settings.add_argument("--hide", dest="hide", action="store_true", default=None, help="hide from public pages")
    settings.add_argument("--show", dest="hide", action="store_false", help="show on public pages")
    settings.set_defaults(func=cmd_api_settings)

    webhook = commands.add_parser("webhook", help="webhook endpoints").add_subparsers(dest="webhook_command",
                                                                                     required=True)
    create = webhook.add_parser("create", help="subscribe an endpoint; prints the secret (once) as the last line")
    create.add_argument("--organisation", required=True, help="slug or id")
    create.add_argument("--url", required=True)
    create.add_argument("--events", required=True, help="comma separated, e.g. petition.published,response.published")
    create.add_argument("--description", default="")
    create.set_defaults(func=cmd_webhook_create)
    listing = webhook.add_parser("list", help="list endpoints (id, organisation, state, URL, events)")
    listing.add_argument("--organisation", help="only this organisation's")
    listing.set_defaults(func=cmd_webhook_list)
    delete = webhook.add_parser("delete", help="unsubscribe an endpoint by its id")
    delete.add_argument("id")
    delete.set_defaults(func=cmd_webhook_delete)
    return parser


class BufferedLogHandler(logging.StreamHandler):
    """Log lines to standard error through a buffer, written out at least every FLUSH_SECONDS and at
    once for a warning or worse. Under load the access log is a line per request; a write (a system
    call) per line cost about a tenth of a cached read's time. A SIGKILLed process loses at most the
    last FLUSH_SECONDS of info lines; its warnings and errors are already written."""

    FLUSH_SECONDS = 1.0
    FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

    def __init__(self):
        # our own buffered stream over fd 2: sys.stderr is line-buffered (a write per line)
        try:
            stream = open(os.dup(sys.stderr.fileno()), "w", buffering=64 * 1024, encoding="utf-8",
                          errors="backslashreplace")
        except (AttributeError, OSError, ValueError):  # no file descriptor behind stderr: write to it as it is
            stream = sys.stderr
        super().__init__(stream)
        self.flushed_at = 0.0
        self.setFormatter(logging.Formatter(self.FORMAT))
        self._second, self._stamp = None, ""

    def flush(self):
        self.acquire()
        try:
            self.stream.flush()
            self.flushed_at = time.monotonic()
        finally:
            self.release()

    def emit(self, record):
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING or time.monotonic() - self.flushed_at >= self.FLUSH_SECONDS:
                self.flush()
        except Exception:  # noqa: BLE001 -- logging's own rule: a failed log line never fails the caller
            self.handleError(record)

    def write_line(self, levelname, name, message):
        """An info line in FORMAT's shape without a LogRecord (the access log's hot path)."""
        now = time.time()
        second = int(now)
        if second != self._second:  # logging.Formatter's default asctime, made once a second
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        line = f"{self._stamp},{int((now - second) * 1000):03d} {levelname} {name}: {message}{self.terminator}"
        self.acquire()
        try:
            self.stream.write(line)
            if time.monotonic() - self.flushed_at >= self.FLUSH_SECONDS:
                self.flush()
        except Exception:  # noqa: BLE001 -- as emit(): never fails the request
            pass
        finally:
            self.release()


def settle_garbage_collector():
    """Python's cycle collector, tuned for a server: what start-up built (modules, templates, routes)
    is frozen out of its scans, and young objects are collected every 10,000 allocations instead of
    700. A request allocates hundreds of objects, so by default the collector ran several times per
    request and took an eighth of a signature's CPU time; cyclic garbage still goes, only in larger
    sweeps."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def flush_logs():
    for handler in logging.getLogger().handlers:
        handler.flush()


def _exit_on_sigterm(number, frame):
    """SIGTERM (how serve and worker are stopped) exits through atexit, which writes out the log
    lines still buffered; the default action would drop them."""
    sys.exit(128 + number)


def flush_logs_periodically():
    """Write out buffered log lines every FLUSH_SECONDS on this process's IOLoop (quiet periods too)."""
    import tornado.ioloop

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, BufferedLogHandler)]
    if handlers:
        tornado.ioloop.PeriodicCallback(lambda: [h.flush() for h in handlers],
                                        BufferedLogHandler.FLUSH_SECONDS * 1000).start()


def main(argv=None):
    from models.errors import DomainError

    # logging's documented optimisations: no caller lookup (a walk up the stack on every line), no
    # thread or process fields (the format does not show them)
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = BufferedLogHandler()
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    from handlers.base import access_log, write_access_log_to

    if not access_log.handlers and access_log.propagate and not access_log.filters:
        write_access_log_to(handler)
    atexit.register(handler.flush)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
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
