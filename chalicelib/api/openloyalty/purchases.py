"""Open Loyalty: one customer's purchases, as its clients (a shop connector) read and settle
them; the document leaves these calls out (chalicelib/domain/catalog/purchases.py).

- `GET /api/{storeCode}/admin/customer/{customer}/campaign/bought` (admin),
  `GET /api/{storeCode}/seller/customer/{customer}/campaign/bought` (seller or admin) and the
  customer's own `GET /api/{storeCode}/customer/campaign/bought` → `{"campaigns": [...],
  "total": n}`; `includeDetails=true` adds each row's `campaign`.
- `POST /api/{storeCode}/admin/campaign/coupons/mark_as_used` with
  `coupons[i][customerId|campaignId|couponId|code|used]`: all of them or none.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api.openloyalty.bought import QUERY_ERRORS
from chalicelib.api.openloyalty.buying import ADMIN_PATH, CUSTOMER_PATH, SELLER_PATH
from chalicelib.api.openloyalty.campaigns import nested_query
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.openloyalty.purchases_schemas import CustomerBoughtCampaigns, MarkedCoupons
from chalicelib.api.request import ApiRequest
from chalicelib.domain.catalog import bought, purchases
from chalicelib.domain.catalog.entries import time_of
from chalicelib.domain.customers.records import CustomerNotFoundError

LIST_ERRORS = (CustomerNotFoundError, *QUERY_ERRORS)

routes = openloyalty_routes(__name__)


def _bought(request: ApiRequest, customer_id: str, internal: bool) -> dict[str, Any]:
    return purchases.customer_bought(
        request.store_code, customer_id, nested_query(request), internal
    )


@routes.route(
    ADMIN_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns a customer bought (admin)",
    errors=LIST_ERRORS,
    query_model=bought.BoughtQuery,
    response_model=CustomerBoughtCampaigns,
)
def customer_bought(request: ApiRequest, storeCode: str, customer: str) -> dict[str, Any]:
    return _bought(request, customer, internal=True)


@routes.route(
    SELLER_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns a customer bought (seller)",
    errors=LIST_ERRORS,
    query_model=bought.BoughtQuery,
    response_model=CustomerBoughtCampaigns,
)
def seller_customer_bought(request: ApiRequest, storeCode: str, customer: str) -> dict[str, Any]:
    return _bought(request, customer, internal=False)


@routes.route(
    CUSTOMER_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns the logged-in customer bought",
    errors=LIST_ERRORS,
    query_model=bought.BoughtQuery,
    response_model=CustomerBoughtCampaigns,
)
def own_bought(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return _bought(request, request.principal.subject if request.principal else "", False)


@routes.route(
    "/api/{storeCode}/admin/campaign/coupons/mark_as_used",
    methods=["POST"],
    summary=f"Mark many bought coupons used or unused: all or none, at most "
    f"{purchases.MAX_COUPONS} a request",
    request_model=purchases.CouponMarks,
    response_model=MarkedCoupons,
    errors=QUERY_ERRORS,
)
def mark_coupons(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    marked = purchases.mark_coupons(request.store_code, request.body)
    return {
        "coupons": [
            {**item.mark.model_dump(), "usageDate": time_of(item.usage_date)} for item in marked
        ]
    }
