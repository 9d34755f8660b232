"""The Chalice app: creates `app`, registers blueprints and middleware. No logic here."""

from chalicelib.cold_start import loading

with loading():  # the collector paused while the modules load (chalicelib/cold_start.py)
    import logging

    from chalice import Chalice

    from chalicelib.api import faces
    from chalicelib.api.errors import (
        face_error_middleware,
        framework_error_middleware,
        unknown_route_middleware,
    )
    from chalicelib.api.logging import request_log_middleware
    from chalicelib.api.metrics import request_metrics_middleware
    from chalicelib.config import get_settings
    from chalicelib.jobs import bulk_chunks, email_notifications, reward_emails, webhook_deliveries
    from chalicelib.jobs import claims as claim_jobs
    from chalicelib.jobs import coupons as coupon_jobs
    from chalicelib.jobs import owed_emails as owed_email_jobs
    from chalicelib.jobs import points as point_jobs
    from chalicelib.redaction import protect

app = Chalice(app_name="rewards")
app.debug = get_settings().debug  # only ever true for the local stage
# Chalice's own log (its tracebacks) and the root logger's (Lambda's, `chalice local`'s) redact.
protect(app.log)
protect(logging.getLogger())
# Uploads arrive as raw bytes (API Gateway must not treat them as text). Images never leave
# through the API: reading one answers a 302 to S3 (chalicelib/api/openloyalty/media.py).
app.api.binary_types.append("multipart/form-data")

# Outermost first. The Idempotency-Key is a step of the route pipeline (chalicelib/api/routes.py),
# after authentication, since the key belongs to the principal.
app.register_middleware(request_log_middleware, "http")
app.register_middleware(request_metrics_middleware, "http")
app.register_middleware(framework_error_middleware, "http")
app.register_middleware(unknown_route_middleware(app.routes), "http")
# Innermost: the framework's own 405/415/500 in the contract of the request, where a route has one.
app.register_middleware(face_error_middleware(app.routes), "http")

faces.register(app)  # each face loaded on the first request it serves
app.register_blueprint(bulk_chunks.jobs)
app.register_blueprint(claim_jobs.jobs)
app.register_blueprint(email_notifications.jobs)
app.register_blueprint(coupon_jobs.jobs)
app.register_blueprint(owed_email_jobs.jobs)
app.register_blueprint(point_jobs.jobs)
app.register_blueprint(reward_emails.jobs)
app.register_blueprint(webhook_deliveries.jobs)
