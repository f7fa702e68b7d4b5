"""The admin jobs page: admins only, the jobs list, failures, failed mail, run now (XSRF)."""
import pytest

from models import clock
from models.jobs import JobRun
from models.mail import OutboxMessage
from models.petition import Petition
from tests.support import days
from models.response import Response
from tests.support_jobs import published_response, sign_in_cookie, wait_for


@pytest.mark.gen_test
async def test_jobs_page_is_for_admins_only(web, make, database):
    reply = await web.get("/admin/jobs")
    assert reply.code == 302 and reply.location.startswith("/signin")
    sign_in_cookie(web, database, make.clerk(make.organisation()))
    assert (await web.get("/admin/jobs")).code == 403
    assert (await web.post("/admin/jobs/close_petitions/run")).code == 403
    assert JobRun.select().count() == 0


@pytest.mark.gen_test
async def test_admin_sees_jobs_failures_and_failed_mail_and_runs_a_job_now(web, make, database):
    from jobs.scheduler import JOBS

    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    JobRun.create(job="deliver_mail", worker="h:1", started_at=clock.wall_now(), finished_at=clock.wall_now(),
                  outcome="failed", error="database unavailable (OperationalError: boom)")
    OutboxMessage.create(to_address="gone@example.net", subject="s", body="b", kind="status_changed",
                         status="failed", attempts=1, last_error="recipient refused: 550",
                         next_attempt_at=clock.now(), created_at=clock.now())
    signer = make.signature(petition, wants_notice=True)
    response = published_response(petition, title="We will do it")
    sign_in_cookie(web, database, make.admin())

    page = await web.get("/admin/jobs")
    assert "We will do it" in page.text and f'id="notices-{response.id}"' in page.text
    assert page.code == 200
    for job in JOBS:
        assert f'id="job-{job.NAME}"' in page.text and f"/admin/jobs/{job.NAME}/run" in page.text
    assert "every 1m" in page.text and "cron 0 3 * * *" in page.text
    assert "database unavailable (OperationalError: boom)" in page.text
    assert "gone@example.net" in page.text and "recipient refused: 550" in page.text

    assert (await web.post("/admin/jobs/close_petitions/run", xsrf=False)).code == 403  # no XSRF token
    assert (await web.post("/admin/jobs/no_such_job/run")).code == 404
    reply = await web.post("/admin/jobs/close_petitions/run")
    assert reply.code == 302 and reply.location == "/admin/jobs?started=close_petitions"
    wait_for(lambda: JobRun.select().where((JobRun.job == "close_petitions") & (JobRun.outcome == "ok")).exists(),
             timeout=120, what="the job started from the page")
    run = JobRun.get(JobRun.job == "close_petitions")
    assert run.trigger == "admin" and run.counts_dict == {"closed": 1, "skipped": 0}
    assert Petition.get_by_id(petition.id).status == "to_process"
    page = await web.get("/admin/jobs?started=close_petitions")
    assert "Started close_petitions" in page.text and "closed 1, skipped 0" in page.text

    await web.post("/admin/jobs/response_notices/run")
    wait_for(lambda: Response.get_by_id(response.id).notices_state == "done", timeout=120, what="notices queued")
    page = await web.get("/admin/jobs")
    row = page.text.split(f'id="notices-{response.id}"')[1].split("</tr>")[0]
    assert "<td>done</td>" in row and f"<td>{signer.id}</td>" in row and "<td>2</td>" in row  # lead + signer
