"""Rebuild the whole-site open data export (petitions as JSON lines and CSV, gzip; organisations'
accountability figures) at its stable address, /open-data/."""
from models import open_data

NAME = "open_data_export"
DEFAULT_SCHEDULE = "cron 30 2 * * *"
SETTINGS = {"batch_size": 500}


def run(settings):
    return open_data.write_export(batch_size=settings["batch_size"])
