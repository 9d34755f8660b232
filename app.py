"""The Chalice app: creates `app`, registers blueprints and middleware. No logic here."""

from chalice import Chalice

from chalicelib.api import auth, claims, health, imonggo, ledger, points, recipients
from chalicelib.api.errors import framework_error_middleware
from chalicelib.api.idempotency import idempotency_middleware
from chalicelib.api.logging import request_log_middleware
from chalicelib.config import get_settings
from chalicelib.jobs import claims as claim_jobs

app = Chalice(app_name="rewards")
app.debug = get_settings().debug  # only ever true for the local stage

# Outermost first: idempotency stores responses already in the service's error shape.
app.register_middleware(request_log_middleware, "http")
app.register_middleware(idempotency_middleware, "http")
app.register_middleware(framework_error_middleware, "http")

for face in (health, auth, recipients, points, claims, imonggo, ledger):
    app.register_blueprint(face.routes.blueprint)
app.register_blueprint(claim_jobs.jobs)
