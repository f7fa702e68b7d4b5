"""The job list, their schedules and settings, and the one runner every trigger goes through.

APScheduler runs the jobs inside `serve` (created inside the running loop, see DESIGN.md) or in
`python portal.py worker`; `jobs run NAME` and the admin page call run_job() directly. run_job()
takes the job's database lock first, so however many processes run a scheduler, a job runs in
one of them at a time; a process that finds the lock taken skips that run.

Schedules: PORTAL_JOB_<NAME>="every 30s|5m|2h|1d", "cron M H DOM MON DOW" (UTC) or "off".
Settings: PORTAL_JOB_<NAME>_<SETTING>=<integer> (e.g. PORTAL_JOB_CHASE_HANDOVER_AFTER_DAYS=10).
"""
import datetime as dt
import logging
import os
import re
import threading
import time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import (answer_due_reminders, chase_handover, close_petitions, deliver_mail, mail_retention,
                  response_notices, signature_hygiene)
from jobs import deliver_webhooks, open_data_export
from models import clock, metrics
from models import jobs as records
from models.db import db

log = logging.getLogger("portal.jobs")
JOBS = [close_petitions, chase_handover, answer_due_reminders, response_notices, deliver_mail, signature_hygiene,
        mail_retention]
JOBS += [deliver_webhooks, open_data_export]  # issue 14
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")


class ScheduleError(ValueError):
    pass


def by_name(name):
    for job in JOBS:
        if job.NAME == name:
            return job
    raise KeyError(f"There is no job {name!r}; the jobs are: {', '.join(j.NAME for j in JOBS)}.")


def _env_name(job, setting=None):
    return "PORTAL_JOB_" + job.NAME.upper() + (f"_{setting.upper()}" if setting else "")


def schedule_of(job, env=os.environ):
    """The job's schedule text (from the environment or its default), checked."""
    text = " ".join((env.get(_env_name(job)) or job.DEFAULT_SCHEDULE).strip().lower().split())
    trigger_of(text)
    return text


def trigger_of(text):
    """An APScheduler trigger for a schedule text, or None for 'off'."""
    if text == "off":
        return None
    match = _EVERY.match(text)
    if match:
        amount = int(match.group(1))
        if amount < 1:
            raise ScheduleError(f"{text!r}: the interval must be at least 1")
        return IntervalTrigger(**{UNITS[match.group(2)]: amount}, timezone=dt.timezone.utc)
    if text.startswith("cron "):
        try:
            return CronTrigger.from_crontab(text[5:], timezone=dt.timezone.utc)
        except ValueError as error:
            raise ScheduleError(f"{text!r}: {error}") from None
    raise ScheduleError(f"{text!r} is not a schedule: use 'every 30s', 'every 5m', 'every 2h', 'every 1d', "
                        "'cron M H DOM MON DOW' (UTC) or 'off'")


def job_settings(job, env=os.environ):
    values = dict(job.SETTINGS)
    for key, default in job.SETTINGS.items():
        raw = env.get(_env_name(job, key))
        if raw:
            try:
                values[key] = int(raw)
            except ValueError:
                raise ScheduleError(f"{_env_name(job, key)} must be a whole number, not {raw!r}") from None
    return values


def _describe_error(error):
    import peewee as pw

    text = f"{type(error).__name__}: {error}".strip()
    # Database errors can quote row values; keep addresses out of logs and the admin page.
    text = re.sub(r"[^\s@()<>'\"=,;:]+@[^\s@()<>'\"=,;:]+", "[address]", text)
    if isinstance(error, (pw.OperationalError, pw.InterfaceError)):
        text = f"database unavailable ({text})"
    return text[:2000]


def run_job(name, trigger="schedule"):
    """Run one job once under its lock. Returns {'outcome': ok|failed|skipped, 'counts', 'error'}.

    Never raises: a failure (including an unreachable database) is logged, recorded when the
    database can be reached (now, or by the next run), and reported in the result.
    """
    by_name(name)
    started = time.monotonic()
    result = _run_job(name, trigger)
    metrics.job_finished(name, result["outcome"], time.monotonic() - started)
    return result


def _run_job(name, trigger):
    job = by_name(name)
    started = clock.wall_now()
    run = None
    try:
        settings = job_settings(job)
        with db.connection_context():
            records.flush_unrecorded()
            if not records.acquire(name):
                log.info("job %s is running elsewhere; skipped", name)
                return {"outcome": "skipped", "counts": {}, "error": None}
            try:
                run = records.start_run(name, trigger)
                records.pause_point("locked")
                counts = job.run(settings)
                records.finish_run(run, "ok", counts)
                # Frequent jobs mostly find nothing to do: only runs that did something are news.
                log.log(logging.INFO if any(counts.values()) else logging.DEBUG, "job %s done: %s", name, counts)
                return {"outcome": "ok", "counts": counts, "error": None}
            except Exception as error:
                text = _describe_error(error)
                log.error("job %s failed: %s", name, text, exc_info=not text.startswith("database"))
                try:
                    if run is None:
                        raise RuntimeError("no run row")
                    records.finish_run(run, "failed", error=text)
                except Exception:
                    records.remember_unrecorded(name, trigger, started, text, run_id=run and run.id)
                return {"outcome": "failed", "counts": {}, "error": text}
            finally:
                try:
                    records.release(name)
                except Exception as error:  # the lease expires; an advisory lock dies with its session
                    log.warning("job %s: could not release its lock: %s", name, _describe_error(error))
    except Exception as error:
        text = _describe_error(error)
        log.error("job %s failed: %s", name, text)
        records.remember_unrecorded(name, trigger, started, text)
        return {"outcome": "failed", "counts": {}, "error": text}


def run_in_background(name, trigger="admin"):
    by_name(name)
    thread = threading.Thread(target=run_job, args=(name, trigger), name=f"job-{name}", daemon=True)
    thread.start()
    return thread


def next_run(job, last_run=None, now=None):
    """When the job is next due (UTC, naive), or None when it is off."""
    now = now or clock.wall_now()
    trigger = trigger_of(schedule_of(job))
    if trigger is None:
        return None
    if isinstance(trigger, IntervalTrigger):
        if last_run is None:
            return now
        return max(last_run.started_at + trigger.interval, now)
    aware = now.replace(tzinfo=dt.timezone.utc)
    return trigger.get_next_fire_time(None, aware).astimezone(dt.timezone.utc).replace(tzinfo=None)


def describe_jobs():
    """One dict per job: name, schedule, last run (JobRun or None), next run. Needs a connection."""
    last = records.last_runs()
    rows = []
    for job in JOBS:
        try:
            schedule = schedule_of(job)
            upcoming = next_run(job, last.get(job.NAME))
        except ScheduleError as error:
            schedule, upcoming = f"invalid: {error}", None
        rows.append({"name": job.NAME, "schedule": schedule, "last": last.get(job.NAME), "next": upcoming,
                     "doc": " ".join((job.__doc__ or "").strip().split("\n\n")[0].split())})
    return rows


def check_schedules(env=os.environ):
    """Raise ScheduleError naming the first wrong PORTAL_JOB_* variable (checked at start-up)."""
    for job in JOBS:
        try:
            schedule_of(job, env)
        except ScheduleError as error:
            raise ScheduleError(f"{_env_name(job)}: {error}") from None
        job_settings(job, env)


def start_scheduler():
    """Create and start the scheduler; call from inside the running loop (see DESIGN.md)."""
    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc,
                                 job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    added = 0
    for job in JOBS:
        trigger = trigger_of(schedule_of(job))
        if trigger is None:
            log.info("job %s is off", job.NAME)
            continue
        scheduler.add_job(run_job, trigger, args=[job.NAME], id=job.NAME, name=job.NAME)
        added += 1
    scheduler.start()
    log.info("scheduler started with %d jobs", added)
    return scheduler
