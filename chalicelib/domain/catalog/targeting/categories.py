"""Campaign categories: a store's groups of campaigns, by which lists are filtered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from chalicelib.domain.catalog.targeting.sets import (
    CATEGORIES,
    FormInput,
    Name,
    Page,
    all_items,
    create_item,
    delete_item,
    get_item,
    paged,
    replace_item,
)
from chalicelib.domain.validation import number_type
from chalicelib.storage.targeting import CategoryModel


@dataclass(frozen=True)
class Category:
    category_id: str
    name: str
    active: bool
    sort_order: int


class CategoryInput(FormInput):
    form_key: ClassVar[str] = "campaign_category"

    name: Name
    active: bool = True
    sort_order: number_type(int, signed=True) = Field(
        0, alias="sortOrder", ge=-1_000_000, le=1_000_000
    )


def _category(item: CategoryModel) -> Category:
    return Category(item.category_id, item.name, item.active, int(item.sort_order or 0))


def _fields(form: CategoryInput) -> dict[str, Any]:
    return form.model_dump()


def create_category(store_code: str, form: CategoryInput) -> Category:
    return _category(create_item(CATEGORIES, store_code, _fields(form)))


def get_category(store_code: str, category_id: str) -> Category:
    return _category(get_item(CATEGORIES, store_code, category_id))


def list_categories(store_code: str, page: int, per_page: int) -> Page[Category]:
    """One page of the store's categories, by sort order, then by name."""
    found = sorted(
        (_category(item) for item in all_items(CATEGORIES, store_code)),
        key=lambda category: (category.sort_order, category.name.lower()),
    )
    return paged(found, page, per_page)


def update_category(store_code: str, category_id: str, form: CategoryInput) -> Category:
    return _category(replace_item(CATEGORIES, store_code, category_id, _fields(form)))


def delete_category(store_code: str, category_id: str) -> None:
    """Campaigns naming the category keep its id; lookups simply no longer find its name."""
    delete_item(CATEGORIES, store_code, category_id)
