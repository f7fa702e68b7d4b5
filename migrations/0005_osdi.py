"""OSDI: foreign identifiers and origin systems of petitions and signatures (issue 6)."""


def up(database):
    from models.osdi import MODELS

    database.create_tables(MODELS, safe=True)
