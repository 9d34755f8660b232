"""Customer types: Imonggo's read of one, and the admin API that manages them.

- `GET /api/customer_types/{id}.xml|.json` (or by `Accept`): a customer type as Imonggo shows
  one, on the shared pipeline as every Imonggo route is (chalicelib/api/imonggo/customers.py).
- Admin (JSON): `/api/{storeCode}/customerType[/{customerType}]`, and
  `/api/{storeCode}/customerType/{customerType}/customers/{customer}` to give a customer a type.
"""

from __future__ import annotations

from urllib.parse import unquote

from chalicelib.api.imonggo.contract import IMONGGO_ROUTE, XML, split_suffix
from chalicelib.api.imonggo.customer_types_schemas import (
    CustomerTypeInfo,
    CustomerTypeList,
    CustomerTypeMembership,
    ImonggoCustomerType,
)
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_OR_ADMIN
from chalicelib.domain.customers import customer_types
from chalicelib.domain.customers.customer_type_input import CustomerTypeChanges, CustomerTypeInput
from chalicelib.domain.customers.customer_types import CustomerTypeNotFoundError
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError

routes = Routes(__name__)

TYPE_NOT_FOUND = (CustomerTypeNotFoundError,)
MEMBER_ERRORS = (*TYPE_NOT_FOUND, CustomerNotFoundError)


@routes.route(
    "/api/customer_types/{customerType}",
    methods=["GET"],
    also_answers=(XML,),
    errors=TYPE_NOT_FOUND,
    **IMONGGO_ROUTE,
)
def read_customer_type(request: ApiRequest, customerType: str) -> ImonggoCustomerType:
    """Customer type API: a customer type by its id, XML or JSON (Imonggo)

    `/api/customer_types/8.xml` or `.json`; without a suffix, `Accept` chooses. An id the store
    has no type for is a 404.
    """
    type_id, _ = split_suffix(customerType)
    # Ids only: a type's name is the admin API's business (names are never all digits).
    if not (type_id.isascii() and type_id.isdigit()):
        raise CustomerTypeNotFoundError()
    # The store's types in one fresh Query, as the admin read does (no stale ratio).
    return customer_types.get_customer_type(request.store_code, type_id)


# --- admin ------------------------------------------------------------------------------------
TYPES_PATH = "/api/{storeCode}/customerType"
TYPE_PATH = TYPES_PATH + "/{customerType}"
MEMBER_PATH = TYPE_PATH + "/customers/{customer}"


@routes.route(
    TYPES_PATH,
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    status=201,
    summary="Create a customer type: its points-to-amount ratio and discount",
)
def create_customer_type(
    request: ApiRequest, storeCode: str, body: CustomerTypeInput
) -> CustomerTypeInfo:
    return customer_types.create_customer_type(request.store_code, body)


@routes.route(
    TYPES_PATH,
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="List the store's customer types",
)
def list_customer_types(request: ApiRequest, storeCode: str) -> CustomerTypeList:
    return customer_types.list_customer_types(request.store_code)


@routes.route(
    TYPE_PATH,
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="A customer type, by id or name",
    errors=TYPE_NOT_FOUND,
)
def get_customer_type(request: ApiRequest, storeCode: str, customerType: str) -> CustomerTypeInfo:
    return customer_types.get_customer_type(request.store_code, unquote(customerType))


@routes.route(
    TYPE_PATH,
    methods=["PUT"],
    roles=STORE_OR_ADMIN,
    summary="Update a customer type: only the fields given change",
    errors=(*TYPE_NOT_FOUND, ConflictError),  # changed meanwhile: read it and retry
)
def update_customer_type(
    request: ApiRequest,
    storeCode: str,
    customerType: str,
    body: CustomerTypeChanges,
) -> CustomerTypeInfo:
    return customer_types.update_customer_type(request.store_code, unquote(customerType), body)


@routes.route(
    TYPE_PATH,
    methods=["DELETE"],
    roles=STORE_OR_ADMIN,
    summary="Delete a customer type",
    errors=TYPE_NOT_FOUND,
)
def delete_customer_type(request: ApiRequest, storeCode: str, customerType: str) -> None:
    customer_types.delete_customer_type(request.store_code, unquote(customerType))


@routes.route(
    MEMBER_PATH,
    methods=["PUT"],
    roles=STORE_OR_ADMIN,
    summary="Give a customer (id, email or public key) this customer type",
    errors=MEMBER_ERRORS,
)
def assign_customer_type(
    request: ApiRequest, storeCode: str, customerType: str, customer: str
) -> CustomerTypeMembership:
    return customer_types.assign_customer_type(
        request.store_code, unquote(customerType), unquote(customer)
    )


@routes.route(
    MEMBER_PATH,
    methods=["DELETE"],
    roles=STORE_OR_ADMIN,
    summary="Take this customer type away from a customer",
    errors=(*MEMBER_ERRORS, ConflictError),  # changed meanwhile: read it and retry
)
def remove_customer_type(
    request: ApiRequest, storeCode: str, customerType: str, customer: str
) -> None:
    customer_types.remove_customer_type(
        request.store_code, unquote(customerType), unquote(customer)
    )
