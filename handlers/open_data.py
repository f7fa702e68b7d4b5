"""Open data (a public petition as JSON or CSV, the nightly whole-site export) and the public
accountability pages. Reads only; the figures and files come from models/open_data.py and
models/accountability.py."""
import json

import tornado.web

from handlers.base import BaseHandler, _json_default
from models import accountability, open_data
from models.errors import NotFound
from models.organisation import Organisation

OPEN_DATA_MAX_AGE = 300  # seconds a reader may cache a petition's open data


class PetitionDataHandler(BaseHandler):
    """GET /petitions/{slug}.json and .csv: public petitions only."""

    def get(self, key, kind):
        try:
            petition = open_data.public_petition(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", f"public, max-age={OPEN_DATA_MAX_AGE}")
        self.set_header("X-Content-Type-Options", "nosniff")
        if kind == "json":
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps(open_data.petition_record(petition), default=_json_default, ensure_ascii=False,
                                   indent=1))
        else:
            self.set_header("Content-Type", "text/csv; charset=UTF-8")
            self.set_header("Content-Disposition", f'attachment; filename="{petition.slug}.csv"')
            self.finish(open_data.petition_csv(petition))


class OpenDataIndexHandler(BaseHandler):
    def get(self):
        self.render("open_data/index.html", metadata=open_data.export_metadata(),
                    licence=self.settings_.open_data_licence, files=open_data.FILES)


class OpenDataFileHandler(BaseHandler):
    """The export's files at stable addresses (written by the open_data_export job)."""

    def get(self, name):
        if name not in open_data.FILES:
            raise tornado.web.HTTPError(404)
        path = open_data.export_dir() / name
        try:
            data = path.read_bytes()
            modified = path.stat().st_mtime
        except OSError:
            raise tornado.web.HTTPError(404, reason=self.locale.translate(
                "The export has not been built yet; it is rebuilt every night (or run `python portal.py jobs run "
                "open_data_export`)."))
        import datetime as dt

        self.set_header("Content-Type", open_data.FILES[name])
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", "public, max-age=3600")
        self.set_header("Last-Modified", dt.datetime.fromtimestamp(modified, dt.timezone.utc))
        if name.endswith(".gz"):
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(data)


class AccountabilityHandler(BaseHandler):
    """GET /accountability (every organisation compared) and /accountability.json."""

    def get(self, kind=None):
        rows = accountability.all_figures()
        if kind == ".json":
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.set_header("Access-Control-Allow-Origin", "*")
            return self.finish(json.dumps({"licence": self.settings_.open_data_licence, "organisations": rows},
                                          default=_json_default, ensure_ascii=False, indent=1))
        self.render("accountability/index.html", rows=rows)


class OrganisationAccountabilityHandler(BaseHandler):
    """GET /organisations/{slug}/accountability (and .json)."""

    def get(self, key, kind=None):
        try:
            organisation = Organisation.by_slug_or_id(key)
        except NotFound:
            raise tornado.web.HTTPError(404)
        figures = accountability.figures_for(organisation)
        if kind == ".json":
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.set_header("Access-Control-Allow-Origin", "*")
            return self.finish(json.dumps({"licence": self.settings_.open_data_licence, **figures},
                                          default=_json_default, ensure_ascii=False, indent=1))
        self.render("accountability/organisation.html", organisation=organisation, figures=figures)
