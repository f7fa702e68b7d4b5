"""Prometheus metrics (prometheus_client): requests by route pattern and status, latency, signatures
accepted, job runs and failures, and the outbox backlog (read from the database at scrape time).

Not public: `/metrics` answers only with `Authorization: Bearer $PORTAL_METRICS_TOKEN`, and
PORTAL_METRICS_ADDRESS (host:port) serves them on a separate address instead or as well; with
neither set, `/metrics` is a 404.

Several processes: set PROMETHEUS_MULTIPROC_DIR to an empty folder before starting them (clear it at
each deploy); every process then writes its counters there and any one of them answers a scrape with
the sum of all (prometheus_client's multiprocess mode). Without it each process reports its own.
"""
import hmac
import logging
import os

import peewee as pw
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("portal.metrics")

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter("portal_http_requests", "HTTP requests answered, by route pattern, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("portal_http_request_duration_seconds", "Time to answer an HTTP request, by route pattern",
                    ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SIGNATURES = Counter("portal_signatures_accepted", "Signatures stored and awaiting confirmation, by channel",
                     ["channel"])
JOB_RUNS = Counter("portal_job_runs", "Scheduled job runs, by job and outcome (ok, failed, skipped)",
                   ["job", "outcome"])
JOB_FAILURES = Counter("portal_job_failures", "Scheduled job runs that failed, by job", ["job"])
JOB_DURATION = Histogram("portal_job_duration_seconds", "How long a scheduled job run took, by job", ["job"],
                         buckets=(0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0))


def token():
    return os.environ.get("PORTAL_METRICS_TOKEN", "")


def address():
    """(host, port) from PORTAL_METRICS_ADDRESS ("127.0.0.1:9108" or ":9108"), or None."""
    value = os.environ.get("PORTAL_METRICS_ADDRESS", "").strip()
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"PORTAL_METRICS_ADDRESS must be host:port (e.g. 127.0.0.1:9108), not {value!r}")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def authorised(header):
    """True when an Authorization header carries the metrics token (compared in constant time)."""
    expected = token()
    if not expected or not header:
        return False
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


# ---- recording ---------------------------------------------------------------------------------------

_children = {}  # (route, method, status) -> (counter child, histogram child): labels() per request costs


def request_finished(route, method, status, seconds):
    children = _children.get((route, method, status))
    if children is None:
        label = method if method in METHODS else "other"
        children = (REQUESTS.labels(route, label, str(status)), LATENCY.labels(route, label))
        if len(_children) < 10_000:  # routes are patterns and methods few; a bound all the same
            _children[(route, method, status)] = children
    children[0].inc()
    children[1].observe(seconds)


def signature_accepted(channel, count=1):
    child = _channels.get(channel)
    if child is None:
        # a channel is a short word from our code (web, api_v1, wtp, osdi); anything else is not a label
        child = SIGNATURES.labels(channel if channel and len(channel) <= 24 and channel.replace("_", "").isalnum()
                                  else "other")
        if len(_channels) < 100:
            _channels[channel] = child
    child.inc(count)


_channels = {}  # channel -> its counter child (labels() on every signature costs)


def job_finished(job, outcome, seconds):
    JOB_RUNS.labels(job, outcome).inc()
    if outcome == "failed":
        JOB_FAILURES.labels(job).inc()
    if outcome != "skipped":
        JOB_DURATION.labels(job).observe(seconds)


# ---- exposition --------------------------------------------------------------------------------------

class DatabaseCollector:
    """State read from the database when scraped: the same answer from every process."""

    def describe(self):
        return [GaugeMetricFamily("portal_database_up", ""), GaugeMetricFamily("portal_outbox_messages", "")]

    def collect(self):
        from models.db import db
        from models.mail import OutboxMessage

        up = GaugeMetricFamily("portal_database_up", "1 when the database answered this scrape")
        outbox = GaugeMetricFamily("portal_outbox_messages",
                                   "Mail in the outbox by status (pending and sending are the backlog)",
                                   labels=["status"])
        opened = db.is_closed()
        try:
            if opened:
                db.connect()
            counts = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
            query = (OutboxMessage.select(OutboxMessage.status, pw.fn.COUNT(OutboxMessage.id))
                     .group_by(OutboxMessage.status).tuples())
            for status, count in query:
                counts[status] = count
        except pw.PeeweeException as error:  # a scrape while the database is down says so, never fails
            log.warning("metrics: database unavailable (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        finally:
            if opened and not db.is_closed():
                db.close()
        up.add_metric([], 1)
        yield up
        for status, count in sorted(counts.items()):
            outbox.add_metric([status], count)
        yield outbox


class _ProcessMetrics:
    def collect(self):
        return REGISTRY.collect()


_export = None


def registry():
    """This process's registry for scrapes: every process's metrics in multiprocess mode, else its
    own; plus the database's state."""
    global _export
    if _export is None:
        export = CollectorRegistry(auto_describe=False)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(export)
        else:
            export.register(_ProcessMetrics())
        export.register(DatabaseCollector())
        _export = export
    return _export


def exposition():
    return generate_latest(registry())


def serve_separately():
    """Serve the metrics on PORTAL_METRICS_ADDRESS in a thread, when set. With several processes
    one of them gets the address; the others say so and go on (in multiprocess mode any one
    answers for all)."""
    where = address()
    if where is None:
        return None
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(where[1], addr=where[0], registry=registry())
    except OSError as error:
        log.warning("metrics: %s:%s is taken (%s); another process serves them there", where[0], where[1],
                    error.strerror or error)
        return None
    log.info("metrics on http://%s:%s/metrics", where[0], where[1])
    return server
