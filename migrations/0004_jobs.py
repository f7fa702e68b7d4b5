"""Scheduled jobs: runs, locks, chase records, reminders sent; an index for walking signers by id."""


def up(database):
    from models.jobs import JOB_MODELS

    database.create_tables(JOB_MODELS, safe=True)
    # Response notices walk one petition's signers in id order (keyset pagination): this index makes
    # each batch a range scan on both engines, however many signers there are.
    database.execute_sql('CREATE INDEX IF NOT EXISTS "signature_petition_walk" ON "signature" ("petition_id", "id")')
