"""Benchmark: queue response notices for one petition with 1,000,000 confirmed, opted-in signers.

    python bench/response_notices.py [--signers 1000000] [--batch 5000]

Uses a temporary SQLite database unless PORTAL_DATABASE_URL is set (it must be an empty, scratch
database: the script creates its tables and fills them). Prints how long the signers took to
insert, how long queuing the notices took, and the peak memory (Python allocations traced by
tracemalloc, and the process's maximum resident set size).
"""
import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import clock, config  # noqa: E402
from models.db import bind, db, is_postgres, migrate  # noqa: E402


def insert_signers(petition_id, count):
    """Set-based generation in the database itself: no Python row objects."""
    now = clock.now().isoformat(" ")
    columns = ("petition_id, full_name, email, show_name, wants_notice, created_at, confirmed_at, source")
    if is_postgres():
        db.execute_sql(f"INSERT INTO signature ({columns}) SELECT %s, 'Signer Number' || i, "
                       f"'signer' || i || '@example.net', false, true, %s, %s, 'demo' "
                       f"FROM generate_series(1, %s) AS i", (petition_id, now, now, count))
    else:
        db.execute_sql(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                       f"INSERT INTO signature ({columns}) SELECT ?, 'Signer Number' || i, "
                       f"'signer' || i || '@example.net', 0, 1, ?, ?, 'demo' FROM n",
                       (count, petition_id, now, now))


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signers", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bench-notices-")
    url = os.environ.get("PORTAL_DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
    config.configure(config.Settings(data_dir=Path(scratch), database_url=url, cookie_secret="bench"))
    bind(url)
    migrate()

    from models.notices import queue_signer_notices
    from models.organisation import create_organisation
    from models.petition import Petition
    from models.response import Response, ResponsePetition
    from models.mail import OutboxMessage
    from models.user import create_user

    with db.connection_context():
        organisation = create_organisation("Bench Council", "council")
        lead = create_user("lead@example.net", "Lead Petitioner", "bench-password-123")
        petition = Petition.create(slug="bench-petition", title="A petition with many signers",
                                   organisation=organisation, lead_petitioner=lead, status="in_process")
        started = time.perf_counter()
        with db.atomic():
            insert_signers(petition.id, args.signers)
        Petition.update(signature_count=args.signers).where(Petition.id == petition.id).execute()
        inserted = time.perf_counter() - started
        response = Response.create(organisation=organisation, title="Our answer", body="<p>Yes.</p>",
                                   published_at=clock.now(), notices_state="queued")
        ResponsePetition.create(response=response, petition=petition)

        rss_before = rss_mib()
        tracemalloc.start()
        started = time.perf_counter()
        counts = queue_signer_notices(response, batch_size=args.batch)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        queued = OutboxMessage.select().where(OutboxMessage.kind == "response_notice").count()

    engine = "PostgreSQL" if is_postgres() else "SQLite"
    print(f"engine: {engine}; signers: {args.signers:,}; batch size: {args.batch}")
    print(f"inserting the signers: {inserted:.1f} s")
    print(f"queuing the notices: {elapsed:.1f} s ({counts['signers']:,} signers + {counts['lead']} lead in "
          f"{counts['batches']} batches; {args.signers / elapsed:,.0f} notices/s); outbox now holds {queued:,}")
    print(f"peak Python memory while queuing (tracemalloc): {peak / 1024 / 1024:.2f} MiB")
    print(f"peak resident set size: {rss_before:.0f} MiB before queuing, {rss_mib():.0f} MiB after")
    if not os.environ.get("PORTAL_DATABASE_URL"):
        size = sum(p.stat().st_size for p in Path(scratch).glob("bench.db*"))
        print(f"SQLite file: {size / 1024 / 1024:.0f} MiB (removed)")
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
