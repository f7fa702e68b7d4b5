"""Rate limits are counted by handlers/ratelimit.py (memory or Redis), not in the database: the
api_rate_window table of 0003 goes."""


def up(database):
    database.execute_sql('DROP TABLE IF EXISTS "api_rate_window"')
