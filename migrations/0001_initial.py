"""The first schema: organisations, users, petitions, signatures, responses, audit, outbox, API keys."""


def up(database):
    from models import INITIAL_MODELS

    database.create_tables(INITIAL_MODELS, safe=True)
