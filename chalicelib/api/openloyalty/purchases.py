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

from chalicelib.api.openloyalty.bought import QUERY_ERRORS
from chalicelib.api.openloyalty.buying import ADMIN_PATH, CUSTOMER_PATH, SELLER_PATH
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.openloyalty.purchases_schemas import CustomerBoughtCampaigns, MarkedCoupons
from chalicelib.api.request import ApiRequest
from chalicelib.domain.catalog import purchases
from chalicelib.domain.catalog.purchases import CouponMarks, CustomerBoughtQuery
from chalicelib.domain.customers.records import CustomerNotFoundError

LIST_ERRORS = (CustomerNotFoundError, *QUERY_ERRORS)

routes = openloyalty_routes(__name__)


@routes.route(
    ADMIN_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns a customer bought (admin)",
    errors=LIST_ERRORS,
)
def customer_bought(
    request: ApiRequest, storeCode: str, customer: str, query: CustomerBoughtQuery
) -> CustomerBoughtCampaigns:
    return purchases.customer_bought(request.store_code, customer, query, internal=True)


@routes.route(
    SELLER_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns a customer bought (seller)",
    errors=LIST_ERRORS,
)
def seller_customer_bought(
    request: ApiRequest, storeCode: str, customer: str, query: CustomerBoughtQuery
) -> CustomerBoughtCampaigns:
    return purchases.customer_bought(request.store_code, customer, query, internal=False)


@routes.route(
    CUSTOMER_PATH + "/bought",
    methods=["GET"],
    summary="Get the campaigns the logged-in customer bought",
    errors=LIST_ERRORS,
)
def own_bought(
    request: ApiRequest, storeCode: str, query: CustomerBoughtQuery
) -> CustomerBoughtCampaigns:
    customer = request.principal.subject if request.principal else ""
    return purchases.customer_bought(request.store_code, customer, query, internal=False)


@routes.route(
    "/api/{storeCode}/admin/campaign/coupons/mark_as_used",
    methods=["POST"],
    summary=f"Mark many bought coupons used or unused: all or none, at most "
    f"{purchases.MAX_COUPONS} a request",
    errors=QUERY_ERRORS,
)
def mark_coupons(request: ApiRequest, storeCode: str, body: CouponMarks) -> MarkedCoupons:
    return purchases.mark_coupons(request.store_code, body)
