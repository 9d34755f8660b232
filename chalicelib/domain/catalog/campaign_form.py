"""The campaign form of the Open Loyalty document: read, check and turn into campaign fields.

The same fields arrive as a urlencoded form with bracket keys (`campaign[levels][0]=...`) or as
JSON (`{"campaign": {...}}`). Form values are text: "1"/"0" are booleans, blank means absent.
The reward type may come as `campaign[reward]` or inside a translation
(`campaign[translations][en][reward]`, as the document's own example sends it).

Every problem is reported at once, each under its field path (`translations.en.name`,
`campaignVisibility.visibleFrom`), and the error carries an empty entry for every other field,
so the 400 body is the whole Symfony form tree the document shows. Existence of levels,
segments and categories is the catalog's check (it needs the database); it adds its findings
with `Draft.errors` before calling `Draft.ensure_valid()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.catalog.campaigns import DEFAULT_LOCALE, FORM_LOCALES
from chalicelib.domain.catalog.coupons import clean_codes

# The value types live in form_values; the catalog's other forms import them from here too.
from chalicelib.domain.catalog.form_values import (
    BLANK,
    FORM_CONFIG,
    MAX_LABELS,
    MAX_POINTS,
    TOO_FEW,
    Blankable,
    Count,
    Days,
    Flag,
    Id,
    Ids,
    Limit,
    Link,
    Locale,
    Moment,
    Money,
    Name,
    Percentage,
    Price,
    TaxRate,
    Text,
    _blank_to_none,
    _codes,
    as_list,
    bounded_text,
    email_template,
    form_errors,
    line_text,
    parse_labels,
    parse_moment,
)
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import InputModel, SingleLine
from chalicelib.storage.campaigns import REWARD_TYPES, TRANSLATION_FIELDS

__all__ = [  # what the catalog's other forms take from here
    "BLANK",
    "FORM_CONFIG",
    "MAX_POINTS",
    "Blankable",
    "Count",
    "Flag",
    "Id",
    "Moment",
    "as_list",
    "bounded_text",
    "form_errors",
    "parse_moment",
]

WINDOWS = {
    "campaignVisibility": ("allTimeVisible", "visibleFrom", "visibleTo"),
    "campaignActivity": ("allTimeActive", "activeFrom", "activeTo"),
}
# Every field of the form, in the document's order: the skeleton of the 400 body.
FORM_FIELDS = (
    "reward",
    "translations",
    "active",
    "categories",
    "pushNotificationText",
    "pointValue",
    "cashbackProvider",
    "costInPoints",
    "target",
    "levels",
    "segments",
    "labels",
    "unlimited",
    "singleCoupon",
    "limit",
    "limitPerUser",
    "coupons",
    "daysInactive",
    "daysValid",
    "campaignVisibility",
    "campaignActivity",
    "isFeatured",
    "public",
    "emailSubject",
    "emailBody",
)


# Rewards handed out as codes from the campaign's pool: the campaign needs at least one code.
# Cashback pays points back and a percentage discount code is made at purchase.
COUPON_REWARDS = frozenset(REWARD_TYPES) - {"cashback", "percentage_discount_code"}


class Translation(InputModel):
    model_config = FORM_CONFIG

    name: Name = None
    shortDescription: Text = None
    conditionsDescription: Text = None
    usageInstruction: Text = None
    brandDescription: Text = None


class Label(InputModel):
    model_config = FORM_CONFIG

    key: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), SingleLine
    ]
    value: line_text(255) = ""


class Visibility(InputModel):
    model_config = FORM_CONFIG

    allTimeVisible: Flag = None
    visibleFrom: Moment = None
    visibleTo: Moment = None


class Activity(InputModel):
    model_config = FORM_CONFIG

    allTimeActive: Flag = None
    activeFrom: Moment = None
    activeTo: Moment = None


class CampaignForm(InputModel):
    """The fields as sent; what depends on other fields is checked in `read_campaign`."""

    model_config = FORM_CONFIG

    reward: Annotated[Literal[REWARD_TYPES] | None, Blankable] = None
    translations: dict[Locale, Translation] = Field(default_factory=dict, max_length=50)
    active: Flag = None
    categories: Ids = Field(default_factory=list)
    pushNotificationText: Annotated[bounded_text(1000) | None, Blankable] = None
    # Mokugift issuing: the reward email's subject and opening text (sandboxed placeholders).
    emailSubject: Annotated[email_template(200), SingleLine] = None
    emailBody: email_template(5000) = None
    pointValue: Money = None
    cashbackProvider: Annotated[line_text(64) | None, Blankable] = None
    costInPoints: Count = None
    target: Annotated[Literal["level", "segment"] | None, Blankable] = None
    levels: Ids = Field(default_factory=list)
    segments: Ids = Field(default_factory=list)
    labels: Annotated[list[Label], BeforeValidator(parse_labels), Field(max_length=MAX_LABELS)] = (
        Field(default_factory=list)
    )
    unlimited: Flag = None
    singleCoupon: Flag = None
    limit: Limit = None
    limitPerUser: Limit = None
    # null leaves the pool alone; a list (even empty) is the pool's new content.
    coupons: Annotated[list[Any] | None, BeforeValidator(_codes)] = None
    daysInactive: Days = None
    daysValid: Days = None
    campaignVisibility: Visibility = Field(default_factory=Visibility)
    campaignActivity: Activity = Field(default_factory=Activity)
    isFeatured: Flag = None
    public: Flag = None
    rewardValue: Price = None
    tax: TaxRate = None
    taxPriceValue: Price = None
    moreInformationLink: Link = None
    transactionPercentageValue: Percentage = None


def campaign_data(body: Any) -> dict[str, Any]:
    """The campaign's fields from `{"campaign": {...}}` (form or JSON) or a bare object."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidInputError({"form": ["The request body must be an object."]})
    data = body.get("campaign", body)
    if not isinstance(data, dict):
        raise InvalidInputError({"form": ["The campaign must be an object."]})
    data = dict(data)
    translations = data.get("translations")
    if isinstance(translations, list):  # the shape the details show: [{"locale": ..., ...}]
        translations = {item.get("locale"): item for item in translations if isinstance(item, dict)}
    if isinstance(translations, dict):
        data["translations"] = translations
        if _blank_to_none(data.get("reward")) is None:
            given = [t.get("reward") for t in translations.values() if isinstance(t, dict)]
            data["reward"] = next((reward for reward in given if reward), None)
    return data


@dataclass
class Draft:
    """A campaign as read from a form: model attribute values, coupon codes and the errors."""

    attributes: dict[str, Any] = field(default_factory=dict)
    coupons: list[str] | None = None  # None: the form did not touch the pool
    errors: dict[str, list[str]] = field(default_factory=dict)
    locales: list[str] = field(default_factory=lambda: list(FORM_LOCALES))

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def has_error(self, path: str) -> bool:
        return any(bad == path or bad.startswith(path + ".") for bad in self.errors)

    def ensure_valid(self) -> None:
        """Raise the whole form tree (every field, the bad ones with messages) if anything is
        wrong."""
        if not self.errors:
            return
        tree: dict[str, list[str]] = {}
        for name in FORM_FIELDS:
            if name == "translations":
                for locale in self.locales:
                    for text in TRANSLATION_FIELDS:
                        tree[f"translations.{locale}.{text}"] = []
            elif name in WINDOWS:
                for part in WINDOWS[name]:
                    tree[f"{name}.{part}"] = []
            else:
                tree[name] = []
        for path, messages in self.errors.items():
            tree.setdefault(path, []).extend(messages)
        raise InvalidInputError(tree)


def _validated(data: dict[str, Any], draft: Draft) -> CampaignForm:
    """The form, with pydantic's errors recorded; bad fields are left out so the checks
    between fields can still run on the others."""
    try:
        return CampaignForm.model_validate(data)
    except PydanticValidationError as error:
        for path, messages in form_errors(error).items():
            draft.errors.setdefault(path, []).extend(messages)
        bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        return CampaignForm.model_validate({k: v for k, v in data.items() if k not in bad})


def _window(
    draft: Draft, name: str, always: bool | None, start: datetime | None, end: datetime | None
) -> tuple[bool, datetime | None, datetime | None]:
    """An all-time flag with its two dates; without the flag, dates given mean a window."""
    _, start_name, end_name = WINDOWS[name]
    if always is None:
        always = start is None and end is None
    if always:
        return True, None, None
    if draft.has_error(name):  # a bad part is reported already and the window left out
        return False, None, None
    for part, value in ((start_name, start), (end_name, end)):
        _require(draft, f"{name}.{part}", value)
    if start is not None and end is not None and end <= start:
        draft.add(f"{name}.{end_name}", f"This value should be later than {start_name}.")
    return False, start, end


def _require(draft: Draft, path: str, value: Any) -> None:
    """Blank is an error, unless the field is already reported as wrong."""
    if (value is None or value == []) and not draft.has_error(path):
        draft.add(path, BLANK)


def read_campaign(body: Any) -> Draft:
    """Read and check a campaign form; the caller adds database checks, then `ensure_valid`."""
    data = campaign_data(body)
    draft = Draft()
    form = _validated(data, draft)
    draft.locales = [*FORM_LOCALES, *(loc for loc in form.translations if loc not in FORM_LOCALES)]
    translations = {
        locale: {key: text for key, text in translation.model_dump().items() if text is not None}
        for locale, translation in form.translations.items()
    }
    translations = {locale: texts for locale, texts in translations.items() if texts}
    if not draft.has_error("translations"):
        default_name = translations.get(DEFAULT_LOCALE, {}).get("name")
        _require(draft, f"translations.{DEFAULT_LOCALE}.name", default_name)
    # The document's answer to an empty form flags the name alone: the reward type is asked for
    # once something was filled in, and the fields that depend on it once it is known.
    if data:
        _require(draft, "reward", form.reward)
    cashback = form.reward == "cashback"
    percentage = form.reward == "percentage_discount_code"
    if percentage:
        _require(draft, "transactionPercentageValue", form.transactionPercentageValue)
    if cashback:
        _require(draft, "pointValue", form.pointValue)
    elif form.reward is not None:
        _require(draft, "daysInactive", form.daysInactive)
        _require(draft, "daysValid", form.daysValid)
    if form.target is not None:
        _require(draft, f"{form.target}s", getattr(form, f"{form.target}s"))
    unlimited = form.unlimited
    if unlimited is None:  # not said: limited when a limit is given
        unlimited = form.limit is None and form.limitPerUser is None
    if not unlimited:
        _require(draft, "limit", form.limit)
        _require(draft, "limitPerUser", form.limitPerUser)
    visibility, activity = form.campaignVisibility, form.campaignActivity
    all_time_visible, visible_from, visible_to = _window(
        draft,
        "campaignVisibility",
        visibility.allTimeVisible,
        visibility.visibleFrom,
        visibility.visibleTo,
    )
    all_time_active, active_from, active_to = _window(
        draft, "campaignActivity", activity.allTimeActive, activity.activeFrom, activity.activeTo
    )
    if form.coupons is not None:
        try:
            draft.coupons = clean_codes(form.coupons)
        except InvalidInputError as error:
            for path, messages in error.errors.items():
                draft.errors.setdefault(path, []).extend(messages)
    if form.reward in COUPON_REWARDS and not draft.coupons and not draft.has_error("coupons"):
        draft.add("coupons", TOO_FEW)
    draft.attributes = {
        "reward": form.reward,
        "translations": translations,
        "active": bool(form.active),
        "categories": form.categories,
        "push_notification_text": form.pushNotificationText,
        "email_subject": form.emailSubject,
        "email_body": form.emailBody,
        "point_value": form.pointValue if cashback else None,
        "cashback_provider": form.cashbackProvider if cashback else None,
        "cost_in_points": form.costInPoints or 0,
        "target": form.target,
        "levels": form.levels if form.target == "level" else [],
        "segments": form.segments if form.target == "segment" else [],
        "labels": [label.model_dump() for label in form.labels],
        "unlimited": unlimited,
        "single_coupon": bool(form.singleCoupon),
        "limit": None if unlimited else form.limit,
        "limit_per_user": None if unlimited else form.limitPerUser,
        "all_time_visible": all_time_visible,
        "visible_from": visible_from,
        "visible_to": visible_to,
        "all_time_active": all_time_active,
        "active_from": active_from,
        "active_to": active_to,
        "days_inactive": form.daysInactive or 0,
        "days_valid": form.daysValid or 0,
        "reward_value": form.rewardValue,
        "tax": form.tax,
        "tax_price_value": form.taxPriceValue,
        "more_information_link": form.moreInformationLink,
        "transaction_percentage_value": form.transactionPercentageValue if percentage else None,
    }
    # Not in the document's form: kept as they are on an update unless given.
    if form.isFeatured is not None:
        draft.attributes["featured"] = form.isFeatured
    if form.public is not None:
        draft.attributes["public"] = form.public
    return draft


class CampaignInput(InputModel):
    """The campaign form as a request body: read (`read_campaign`) into its `Draft`, whose
    findings the catalog raises with its own once it has checked the ids against the store."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    # The document's empty request gets the form's error tree, as any other form.
    empty_form: ClassVar[bool] = True

    draft: Draft

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any) -> Any:
        return {"draft": read_campaign(data)}
