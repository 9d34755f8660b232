"""What levels, segments and campaign categories share: errors, keys, forms, CRUD and lookups.

Each set is a store's partition, so a listing is one Query and an id of another store is simply
not found. The catalog's lookups (names by id, which ids exist) are each a BatchGetItem of at
most 100 keys per call; unknown ids are left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import ConfigDict, StringConstraints, model_validator
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.domain.errors import ConflictError, NotFoundError, TooManyItemsError
from chalicelib.domain.paging import page_of
from chalicelib.domain.validation import InputModel, SingleLine
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.targeting import CategoryModel, LevelModel, SegmentModel

MAX_ID_LENGTH = 128  # ids we hand out are UUIDs; longer is not one of ours
ATTEMPTS = 3  # re-reads after a concurrent change before giving up with a 409
Item = TypeVar("Item")


class LevelNotFoundError(NotFoundError):
    code = "level_not_found"
    default_message = "Level not found."


class SegmentNotFoundError(NotFoundError):
    code = "segment_not_found"
    default_message = "Segment not found."


class CategoryNotFoundError(NotFoundError):
    code = "category_not_found"
    default_message = "Campaign category not found."


class SegmentMemberNotFoundError(NotFoundError):
    code = "segment_member_not_found"
    default_message = "This customer is not in the segment."


class LevelInUseError(ConflictError):
    code = "level_in_use"
    default_message = "Customers still have this level; move them to another level first."


class TooManyMembersError(TooManyItemsError):
    code = "too_many_members"


@dataclass(frozen=True)
class Kind:
    """One of the three sets: its model, the name of its id attribute, its not-found error."""

    model: type[Model]
    id_attribute: str
    not_found: type[NotFoundError]


LEVELS = Kind(LevelModel, "level_id", LevelNotFoundError)
SEGMENTS = Kind(SegmentModel, "segment_id", SegmentNotFoundError)
CATEGORIES = Kind(CategoryModel, "category_id", CategoryNotFoundError)


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list, and how many items the list has in all."""

    items: list[Item]
    total: int


def paged(items: list[Item], page: int, per_page: int) -> Page[Item]:
    return Page(page_of(items, page, per_page), len(items))


def now() -> datetime:
    return datetime.now(UTC)


def is_id(value: object) -> bool:
    """Whether `value` can be a key at all (DynamoDB refuses empty and over-long keys)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def unique_ids(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in ids if is_id(value)))


# --- the forms --------------------------------------------------------------------------------
Name = Annotated[str, StringConstraints(min_length=1, max_length=255), SingleLine]
Description = Annotated[str, StringConstraints(max_length=5000)]


class FormInput(InputModel):
    """A form of the document: its fields nested under one name (`level[name]` as form data,
    `{"level": {...}}` as JSON), none of them given when the name is missing."""

    model_config = ConfigDict(str_strip_whitespace=True, populate_by_name=True)
    form_key: ClassVar[str | None] = None
    # A request without a body is an empty form: its required fields are what is missing.
    empty_form: ClassVar[bool] = True

    @classmethod
    def of(cls, **fields: Any) -> Self:
        """The form built in code from its fields (a request's body comes wrapped)."""
        return cls.model_validate({cls.form_key: fields} if cls.form_key else fields)

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if cls.form_key is None or not isinstance(data, dict):
            return data
        inner = data.get(cls.form_key, {})
        if not isinstance(inner, dict):
            raise ValueError(f"The {cls.form_key} form must be an object.")
        return inner


# --- lookups for the catalog ------------------------------------------------------------------
def _names(kind: Kind, store_code: str, ids: Iterable[str]) -> dict[str, str]:
    keys = {(store_code, value) for value in ids if is_id(value)}
    if not keys:
        return {}
    # PynamoDB sends at most 100 keys per BatchGetItem and retries unprocessed keys.
    items = kind.model.batch_get(keys, attributes_to_get=[kind.id_attribute, "name"])
    return {getattr(item, kind.id_attribute): item.name for item in items}


def level_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    """{level id: name} for the ids that are levels of the store."""
    return _names(LEVELS, store_code, ids)


def segment_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    return _names(SEGMENTS, store_code, ids)


def category_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    return _names(CATEGORIES, store_code, ids)


def existing_level_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(level_names(store_code, ids))


def existing_segment_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(segment_names(store_code, ids))


def existing_category_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(category_names(store_code, ids))


# --- shared CRUD ------------------------------------------------------------------------------
def get_item(kind: Kind, store_code: str, item_id: str) -> Any:
    if not is_id(item_id):
        raise kind.not_found()
    try:
        return kind.model.get(store_code, item_id, consistent_read=True)
    except DoesNotExist as error:
        raise kind.not_found() from error


def all_items(kind: Kind, store_code: str) -> list[Any]:
    """Every item of the store's set: one Query on its partition (paged by DynamoDB)."""
    return list(kind.model.query(store_code, consistent_read=True))


def create_item(kind: Kind, store_code: str, fields: dict[str, Any]) -> Any:
    moment = now()
    values = {name: value for name, value in fields.items() if value is not None}
    item = kind.model(store_code, str(uuid.uuid4()), created_at=moment, updated_at=moment, **values)
    item.save(condition=getattr(kind.model, kind.id_attribute).does_not_exist())
    return item


def replace_item(kind: Kind, store_code: str, item_id: str, fields: dict[str, Any]) -> Any:
    """Set every field (a missing optional one is removed); 404 when the item is not there."""
    if not is_id(item_id):
        raise kind.not_found()
    model = kind.model
    actions = [
        getattr(model, name).set(value) if value is not None else getattr(model, name).remove()
        for name, value in fields.items()
    ]
    item = model(store_code, item_id)
    try:
        item.update(
            actions=[*actions, model.updated_at.set(now())],
            condition=getattr(model, kind.id_attribute).exists(),
        )
    except ConditionFailedError as error:
        raise kind.not_found() from error
    return item


def delete_item(kind: Kind, store_code: str, item_id: str) -> None:
    if not is_id(item_id):
        raise kind.not_found()
    try:
        kind.model(store_code, item_id).delete(
            condition=getattr(kind.model, kind.id_attribute).exists()
        )
    except ConditionFailedError as error:
        raise kind.not_found() from error
