"""Webhook subscriptions: the workspace pages (members see, managers change) and the API
(/api/v1/webhooks, with an organisation's key that has the update scope). The rules are in
models/webhooks.py."""
import tornado.web

from forms.webhooks import WebhookForm
from handlers.api_v1 import ApiV1Handler
from handlers.workspace import WorkspaceBase
from models import webhooks
from models.audit import Actor
from models.errors import InvalidInput, NotAllowed, NotFound


class WebhooksHandler(WorkspaceBase):
    """GET/POST /workspace/{org}/webhooks: the organisation's endpoints; managers subscribe one."""

    def get(self, key):
        organisation = self._organisation(key)
        self.show(organisation, WebhookForm(formdata=None))

    def post(self, key):
        organisation = self._organisation(key)
        form = WebhookForm(self.form_data())
        try:
            endpoint, secret = webhooks.create_endpoint(organisation, self.actor, form.url.data, form.events.data or [],
                                                        description=form.description.data)
        except NotAllowed as error:
            raise tornado.web.HTTPError(403, reason=error.message)
        except InvalidInput as error:
            form.add_domain_errors(error)
            return self.show(organisation, form, status=422)
        self.set_header("Cache-Control", "no-store")  # the page shows the secret, once
        self.show(organisation, WebhookForm(formdata=None), created=endpoint, secret=secret, status=201)

    def show(self, organisation, form, created=None, secret=None, status=200):
        self.set_status(status)
        self.render("workspace/webhooks.html", organisation=organisation, form=form,
                    endpoints=list(webhooks.endpoints_of(organisation)), created=created, secret=secret,
                    may_manage=webhooks.may_manage(self.actor, organisation), events=webhooks.EVENTS)


class WebhookHandler(WorkspaceBase):
    """GET /workspace/{org}/webhooks/{id}: the delivery log; POST .../(delete|enable)."""

    def endpoint(self, key, endpoint_id):
        organisation = self._organisation(key)
        try:
            return organisation, webhooks.get_endpoint(endpoint_id, organisation)
        except NotFound:
            raise tornado.web.HTTPError(404)

    def get(self, key, endpoint_id):
        organisation, endpoint = self.endpoint(key, endpoint_id)
        deliveries = list(webhooks.deliveries_of(endpoint))
        self.render("workspace/webhook.html", organisation=organisation, endpoint=endpoint, deliveries=deliveries,
                    attempts=webhooks.attempts_of(d.id for d in deliveries),
                    may_manage=webhooks.may_manage(self.actor, organisation))

    def post(self, key, endpoint_id, action):
        organisation, endpoint = self.endpoint(key, endpoint_id)
        try:
            if action == "delete":
                webhooks.delete_endpoint(endpoint, self.actor)
                return self.redirect(f"/workspace/{organisation.slug}/webhooks", status=303)
            webhooks.enable_endpoint(endpoint, self.actor)
        except NotAllowed as error:
            raise tornado.web.HTTPError(403, reason=error.message)
        self.redirect(f"/workspace/{organisation.slug}/webhooks/{endpoint.id}", status=303)


class ApiWebhooksHandler(ApiV1Handler):
    """GET /api/v1/webhooks (the key's organisation's endpoints) and POST (subscribe; the secret is
    in the answer, once). The key needs the update scope and an organisation."""

    def organisation_key(self):
        key = self.authenticate("update")
        if key.organisation_id is None or key.is_test:
            raise NotAllowed("Webhooks belong to an organisation: use a live key with the update scope that "
                             "was made for your organisation.")
        return key

    def get(self):
        key = self.organisation_key()
        self.write_json({"webhooks": [e.as_json() for e in webhooks.endpoints_of(key.organisation_id)],
                         "events": list(webhooks.EVENTS)})

    def post(self):
        key = self.organisation_key()
        body = self.get_json_body()
        unknown = sorted(set(body) - {"url", "events", "description"})
        if unknown:
            raise InvalidInput({name[:40]: "Unknown field; send url, events and (optionally) description."
                                for name in unknown})
        endpoint, secret = webhooks.create_endpoint(key.organisation, Actor.for_api_key(key), body.get("url"),
                                                    body.get("events"), description=body.get("description", ""))
        self.write_json({**endpoint.as_json(), "secret": secret}, status=201)


class ApiWebhookHandler(ApiWebhooksHandler):
    """GET / DELETE /api/v1/webhooks/{id}."""

    def get(self, endpoint_id):
        key = self.organisation_key()
        self.write_json(webhooks.get_endpoint(endpoint_id, key.organisation_id).as_json())

    def delete(self, endpoint_id):
        key = self.organisation_key()
        webhooks.delete_endpoint(webhooks.get_endpoint(endpoint_id, key.organisation_id), Actor.for_api_key(key))
        self.set_status(204)
        self.finish()
