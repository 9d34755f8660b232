"""Open Loyalty bought rewards: the list, the CSV export, usage and delivery status.

Paths under `/api/{storeCode}/` as the document writes them; the coupon-usage paths, which it
does not describe, are Open Loyalty's own. Admin endpoints take an admin JWT; a customer marks
their own coupons with theirs; the delivery-status choices are open to any credential of the
store. Bodies are forms with bracket keys or the same as JSON; the document's "query"
parameters (`used`, `deliveryStatus[status]`) are also read from the query string. The list
and the CSV export show the same rows (chalicelib/domain/catalog/bought.py), oldest purchase
first unless `sort`/`direction` say otherwise.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.openloyalty.bought_schemas import (
    BoughtCampaigns,
    CouponUsage,
    DeliveryStatusChanged,
    DeliveryStatusChoices,
)
from chalicelib.api.openloyalty.campaigns import nested_query
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.request import ApiRequest
from chalicelib.domain.catalog import bought, bought_export, coupon_usage
from chalicelib.domain.catalog.bought_query import DELIVERY_STATUSES, BoughtQuery
from chalicelib.domain.catalog.coupon_usage import DeliveryStatusForm, UsageForm
from chalicelib.domain.errors import ConflictError, InvalidInputError

BOUGHT = "/api/{storeCode}/campaign/bought"
COUPON = "/campaign/{campaign}/coupon/{coupon}"
# The list's filters and sort are checked: 400 when invalid.
QUERY_ERRORS = (InvalidInputError,)
# Why marking a coupon used is refused; a coupon changed meanwhile (ConflictError) is retried.
USAGE_ERRORS = (
    coupon_usage.BoughtCouponNotFoundError,
    coupon_usage.CouponCancelledError,
    coupon_usage.CouponExpiredError,
    coupon_usage.CouponAlreadyUsedError,
    coupon_usage.CouponNotActiveYetError,
    ConflictError,
)

routes = openloyalty_routes(__name__)


def _form(request: ApiRequest) -> Any:
    """The body, or the query string when there is none."""
    body = request.body
    return nested_query(request) if body is None else body


@routes.route(
    BOUGHT,
    methods=["GET"],
    summary="Get a collection of bought campaigns",
    errors=QUERY_ERRORS,
)
def list_bought(request: ApiRequest, storeCode: str, query: BoughtQuery) -> BoughtCampaigns:
    return bought.list_bought(request.store_code, query)


@routes.route(
    BOUGHT + "/export/csv",
    methods=["GET"],
    summary="Get a collection of campaigns' purchases exported to a CSV file",
    errors=QUERY_ERRORS,
    response_type="text/csv",
)
def export_bought(request: ApiRequest, storeCode: str, query: BoughtQuery) -> Response:
    # Built page by page; API Gateway and Lambda answer with the whole body at once.
    text = "".join(bought_export.export_csv(request.store_code, query))
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{bought_export.csv_filename()}"',
        },
    )


@routes.route(
    "/api/{storeCode}/admin/customer/{customer}" + COUPON,
    methods=["POST"],
    summary="Mark a customer's bought coupon as used or unused",
    request_model=UsageForm,
    errors=USAGE_ERRORS,
)
def mark_coupon(
    request: ApiRequest, storeCode: str, customer: str, campaign: str, coupon: str
) -> CouponUsage:
    used = UsageForm.read(_form(request)).used
    return coupon_usage.set_coupon_usage(request.store_code, customer, campaign, coupon, used)


@routes.route(
    "/api/{storeCode}/customer" + COUPON,
    methods=["POST"],
    summary="Mark the logged-in customer's bought coupon as used or unused",
    request_model=UsageForm,
    errors=USAGE_ERRORS,
)
def mark_own_coupon(request: ApiRequest, storeCode: str, campaign: str, coupon: str) -> CouponUsage:
    customer = request.principal.subject if request.principal else ""
    used = UsageForm.read(_form(request)).used
    return coupon_usage.set_coupon_usage(request.store_code, customer, campaign, coupon, used)


@routes.route(
    "/api/{storeCode}/admin/customer/{customer}/bought/coupon/{coupon}/changeDeliveryStatus",
    methods=["PUT"],
    summary="Change delivery status in a campaign bought by a customer",
    errors=(coupon_usage.BoughtCouponNotFoundError,),
    request_model=DeliveryStatusForm,
    body_key="deliveryStatus",
)
def change_delivery_status(
    request: ApiRequest, storeCode: str, customer: str, coupon: str
) -> DeliveryStatusChanged:
    status = DeliveryStatusForm.model_validate(_form(request)).status
    coupon_usage.change_delivery_status(request.store_code, customer, coupon, status)
    return DeliveryStatusChanged(success="Delivery status changed!")


@routes.route(
    "/api/{storeCode}/settings/choices/deliveryStatus",
    methods=["GET"],
    summary="Get the delivery status choices",
)
def delivery_status_choices(request: ApiRequest, storeCode: str) -> DeliveryStatusChoices:
    return DeliveryStatusChoices(choices=list(DELIVERY_STATUSES))
