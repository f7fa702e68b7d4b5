"""Accounts: sign-in attempts (throttling), one-time account links, clerk invitations."""


def up(database):
    from models.account import ACCOUNT_MODELS

    database.create_tables(ACCOUNT_MODELS, safe=True)
