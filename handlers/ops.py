"""Operations: `/healthz` for load balancers and orchestrators, `/metrics` for Prometheus.

Both are plain RequestHandlers on purpose: no session, no cookies, no templates; cheap enough to
call every second.
"""
import json
import logging

import peewee as pw
import tornado.web

from models import metrics
from models.db import db, pending_migrations

log = logging.getLogger("portal.ops")
RETRY_AFTER_SECONDS = 10


def set_plain_security_headers(handler):
    """The hardening headers of every answer (handlers/base.py) for these lean non-page handlers."""
    handler.clear_header("Server")
    handler.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    handler.set_header("X-Frame-Options", "DENY")
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")


class HealthHandler(tornado.web.RequestHandler):
    """200 when the database answers and no migration is pending; otherwise 503 with Retry-After.
    The body says which check failed, never the database's own error text."""

    quiet_access_log = True

    def set_default_headers(self):
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        set_plain_security_headers(self)

    def check_xsrf_cookie(self):
        pass

    def compute_etag(self):
        return None

    def get(self):
        body = {"status": "ok", "database": "ok", "schema": "current"}
        opened = db.is_closed()
        try:
            if opened:
                db.connect()
            db.execute_sql("SELECT 1")
            pending = pending_migrations()
            if pending:
                body.update(status="unavailable", schema="migrations pending", pending=pending)
        except pw.PeeweeException as error:
            log.warning("healthz: database unreachable (%s)", type(error).__name__)
            body.update(status="unavailable", database="unreachable", schema="unknown")
        finally:
            if opened and not db.is_closed():
                try:
                    db.close()
                except Exception:
                    pass
        if body["status"] != "ok":
            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
        self.finish(json.dumps(body))

    def head(self):
        self.get()

    def write_error(self, status_code, **kwargs):
        self.finish(json.dumps({"status": "error", "message": self._reason}))


class MetricsHandler(tornado.web.RequestHandler):
    """Prometheus text format, only with `Authorization: Bearer $PORTAL_METRICS_TOKEN`; a 404 when
    no token is set (the metrics are then served on PORTAL_METRICS_ADDRESS, or not at all)."""

    quiet_access_log = True

    def check_xsrf_cookie(self):
        pass

    def compute_etag(self):
        return None

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        set_plain_security_headers(self)

    def get(self):
        if not metrics.token():
            raise tornado.web.HTTPError(404)
        if not metrics.authorised(self.request.headers.get("Authorization")):
            raise tornado.web.HTTPError(401, reason="Send the metrics token as Authorization: Bearer TOKEN.")
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(metrics.exposition())

    def write_error(self, status_code, **kwargs):
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="metrics"')
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("There is nothing at this address.\n" if status_code == 404 else f"{self._reason}\n")
