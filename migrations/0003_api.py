"""The API's rate-limit windows (counted in the database so every process shares them)."""


def up(database):
    from models.api import ApiRateWindow

    database.create_tables([ApiRateWindow], safe=True)
