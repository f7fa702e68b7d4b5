"""APScheduler inside the running IOLoop (serve) or in a worker process of its own."""
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs import deliver_mail

log = logging.getLogger("portal.jobs")
JOBS = [deliver_mail]


def start_scheduler():
    """Create and start the scheduler; call from inside the running loop (see DESIGN.md)."""
    scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for job in JOBS:
        scheduler.add_job(job.run, "interval", id=job.NAME, name=job.NAME, **job.DEFAULT_SCHEDULE)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(JOBS))
    return scheduler
