"""Who may call each Open Loyalty route: the access matrix, declared once.

Every route of the Open Loyalty faces (chalicelib/api/openloyalty/errors.py) and of the logins takes
its roles from `ACCESS`, never from its own declaration (`Routes.route` refuses both), and
the OpenAPI document shows them per operation (`x-roles`, and the security schemes of those
roles; a public route has none). `PUBLIC` routes need no credential at all (`anonymous`).

As Open Loyalty 3.2 decides, and its own access tests check: only an admin lists, creates,
changes or targets campaigns and reads their audience; a seller reads campaigns and buys for a
customer; a customer reads a campaign only when it is offered to them (active, visible now,
targeted at them: chalicelib/domain/catalog/buying.py `ensure_visible_to`), and only their own
purchases; the customer's own routes refuse sellers and admins. Anyone reads the public
list, logs in and trades a refresh token. `store` is the service's own API-key role, which
reads what any client of the store may (the public list, images, choices).
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.access.auth import ADMIN_ONLY, USER_ROLES, Role

Roles = tuple[Role, ...] | None

PUBLIC: Roles = None
ANONYMOUS = "anonymous"  # how the document names a caller without a credential
ADMIN: tuple[Role, ...] = ADMIN_ONLY
SELLER: tuple[Role, ...] = (Role.SELLER, Role.ADMIN)
CUSTOMER: tuple[Role, ...] = (Role.CUSTOMER,)
# Campaign details: a customer only for a campaign offered to them (checked by the handler).
READER: tuple[Role, ...] = USER_ROLES
ANYONE: tuple[Role, ...] = (Role.ADMIN, Role.SELLER, Role.CUSTOMER, Role.STORE)

S = "/api/{storeCode}"
CAMPAIGN = S + "/campaign/{campaign}"

ACCESS: dict[tuple[str, str], Roles] = {
    # Logins and their refresh tokens.
    ("POST", "/api/admin/login_check"): PUBLIC,
    ("POST", "/api/seller/login_check"): PUBLIC,
    ("POST", "/api/customer/login_check"): PUBLIC,
    ("POST", "/api/token/refresh"): PUBLIC,
    ("POST", "/api/token/revoke"): PUBLIC,
    # The catalog.
    ("GET", S + "/campaign"): ADMIN,
    ("POST", S + "/campaign"): ADMIN,
    ("GET", S + "/campaign/active"): ADMIN,
    ("GET", S + "/campaign/public/available"): PUBLIC,
    ("GET", CAMPAIGN): READER,
    ("PUT", CAMPAIGN): ADMIN,
    ("POST", CAMPAIGN + "/active"): ADMIN,
    ("POST", CAMPAIGN + "/inactive"): ADMIN,
    ("POST", CAMPAIGN + "/coupons"): ADMIN,
    ("GET", CAMPAIGN + "/customers/visible"): ADMIN,
    ("GET", S + "/seller/campaign"): SELLER,
    ("GET", S + "/seller/campaign/{campaign}"): SELLER,
    # Images.
    ("POST", CAMPAIGN + "/photo"): ADMIN,
    ("GET", CAMPAIGN + "/photo/{photoId}"): PUBLIC,
    ("DELETE", CAMPAIGN + "/photo/{photoId}"): ADMIN,
    ("POST", CAMPAIGN + "/brand_icon"): ADMIN,
    ("GET", CAMPAIGN + "/brand_icon"): PUBLIC,
    ("DELETE", CAMPAIGN + "/brand_icon"): ADMIN,
    # Targeting: categories, levels, segments.
    ("GET", S + "/campaignCategory"): ADMIN,
    ("POST", S + "/campaignCategory"): ADMIN,
    ("GET", S + "/campaignCategory/{campaignCategory}"): ADMIN,
    ("PUT", S + "/campaignCategory/{campaignCategory}"): ADMIN,
    ("DELETE", S + "/campaignCategory/{campaignCategory}"): ADMIN,
    ("GET", S + "/level"): ADMIN,
    ("POST", S + "/level"): ADMIN,
    ("GET", S + "/level/{level}"): ADMIN,
    ("PUT", S + "/level/{level}"): ADMIN,
    ("DELETE", S + "/level/{level}"): ADMIN,
    ("POST", S + "/customer/{customer}/level"): ADMIN,
    ("GET", S + "/segment"): ADMIN,
    ("POST", S + "/segment"): ADMIN,
    ("GET", S + "/segment/{segment}"): ADMIN,
    ("PUT", S + "/segment/{segment}"): ADMIN,
    ("DELETE", S + "/segment/{segment}"): ADMIN,
    ("GET", S + "/segment/{segment}/customers"): ADMIN,
    ("POST", S + "/segment/{segment}/customers"): ADMIN,
    ("DELETE", S + "/segment/{segment}/customers/{customer}"): ADMIN,
    ("GET", S + "/customer/{customer}/segments"): ADMIN,
    # Registration.
    ("POST", S + "/seller/register"): ADMIN,
    ("POST", S + "/customer/register"): SELLER,
    ("POST", S + "/admin/customer/{customer}/login"): ADMIN,
    # Buying for a customer, and their purchases.
    ("GET", S + "/admin/customer/{customer}/campaign/available"): ADMIN,
    ("POST", S + "/admin/customer/{customer}/campaign/{campaign}/buy"): ADMIN,
    ("GET", S + "/admin/customer/{customer}/campaign/bought"): ADMIN,
    ("GET", S + "/seller/customer/{customer}/campaign/available"): SELLER,
    ("POST", S + "/seller/customer/{customer}/campaign/{campaign}/buy"): SELLER,
    ("GET", S + "/seller/customer/{customer}/campaign/bought"): SELLER,
    ("POST", S + "/admin/customer/{customer}/campaign/{campaign}/coupon/{coupon}"): ADMIN,
    ("POST", S + "/admin/campaign/coupons/mark_as_used"): ADMIN,
    (
        "PUT",
        S + "/admin/customer/{customer}/bought/coupon/{coupon}/changeDeliveryStatus",
    ): ADMIN,
    # The store's purchases.
    ("GET", S + "/campaign/bought"): ADMIN,
    ("GET", S + "/campaign/bought/export/csv"): ADMIN,
    ("GET", S + "/settings/choices/deliveryStatus"): ANYONE,
    # The customer's own.
    ("GET", S + "/customer/campaign/available"): CUSTOMER,
    ("POST", S + "/customer/campaign/{campaign}/buy"): CUSTOMER,
    ("GET", S + "/customer/campaign/bought"): CUSTOMER,
    ("POST", S + "/customer/campaign/{campaign}/coupon/{coupon}"): CUSTOMER,
    ("POST", S + "/customer/campaign/cashback/redeem"): CUSTOMER,
    # Cashback.
    ("POST", S + "/admin/campaign/cashback/redeem"): ADMIN,
    ("POST", S + "/admin/campaign/cashback/simulate"): ADMIN,
    # The payout provider's callback: public, proven by its signature
    # (chalicelib/api/openloyalty/cashback.py).
    ("POST", S + "/campaign/cashback/callback/{provider}"): PUBLIC,
}


def roles_of(path: str, methods: Sequence[str]) -> Roles:
    """The roles `ACCESS` gives the route; every method of one declaration gets the same."""
    found = {ACCESS.get((method, path), ()) for method in methods}
    missing = [method for method in methods if (method, path) not in ACCESS]
    if missing or len(found) != 1:
        route = f"{', '.join(methods)} {path}"
        raise LookupError(f"{route}: give it one row in chalicelib/api/openloyalty/access.py")
    return found.pop()
