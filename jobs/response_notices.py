"""Queue response notices for published responses, in batches, resumably (models/notices.py)."""
from models import jobs, notices

NAME = "response_notices"
DEFAULT_SCHEDULE = "every 30s"
SETTINGS = {"batch_size": notices.BATCH_SIZE}


def _between_batches():
    jobs.heartbeat()
    jobs.pause_point("notices-batch")


def run(settings):
    counts = {"responses": 0, "lead": 0, "signers": 0, "batches": 0}
    for response in list(notices.pending_responses()):
        done = notices.queue_signer_notices(response, batch_size=max(1, settings["batch_size"]),
                                            between_batches=_between_batches)
        counts["responses"] += 1
        for key in ("lead", "signers", "batches"):
            counts[key] += done[key]
    return counts
