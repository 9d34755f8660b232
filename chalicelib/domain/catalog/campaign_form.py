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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.catalog.campaigns import DEFAULT_LOCALE, FORM_LOCALES
from chalicelib.domain.catalog.coupons import clean_codes
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import InputModel, SingleLine, number_type
from chalicelib.storage.campaigns import REWARD_TYPES, TRANSLATION_FIELDS

BLANK = "This value should not be blank."
TOO_FEW = "This collection should contain 1 element or more."
INVALID = "This value is not valid."
MAX_IDS = 100  # levels, segments, categories: one BatchGetItem checks them all
MAX_LABELS = 50
MAX_NAME_LENGTH = 255
MAX_TEXT_LENGTH = 10_000
MAX_POINTS = 1_000_000_000
MAX_DAYS = 36_500
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


# -- value types -----------------------------------------------------------------------------
def _blank_to_none(value: Any) -> Any:
    """Form fields sent empty (`campaign[limit]=`) count as not sent."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def as_list(value: Any) -> Any:
    """A form list with gaps (`levels[1]=a`) parses as a dict, a single value as text."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, dict) and all(str(key).isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    return value


def _codes(value: Any) -> Any:
    return None if value is None else as_list(value)


def parse_moment(value: Any) -> Any:
    """`YYYY-MM-DD HH:mm` in UTC as the document writes it; ISO 8601 (as shown) too."""
    value = _blank_to_none(value)
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ValueError("This value is not a valid datetime (YYYY-MM-DD HH:mm).") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_labels(value: Any) -> Any:
    """`key:value;key1:value1` into `[{"key": ..., "value": ...}]`; a JSON list passes."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if not isinstance(value, str):
        return as_list(value)
    labels = []
    for part in value.split(";"):
        if not part.strip():
            continue
        key, colon, text = part.partition(":")
        if not colon:
            raise ValueError("Labels are written as key:value;key1:value1.")
        labels.append({"key": key.strip(), "value": text.strip()})
    return labels


Blankable = BeforeValidator(_blank_to_none)
# Unknown fields are ignored, as a form would; validators are built on first use, which keeps
# them out of every cold start that never reads a campaign form.
FORM_CONFIG = ConfigDict(extra="ignore", defer_build=True)


def bounded_text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]


def line_text(max_length: int) -> Any:
    """Text of one line (a name, a label, an id): no line breaks, no NUL."""
    return Annotated[bounded_text(max_length), SingleLine]


def _email_template(source: str | None) -> str | None:
    """A reward email's subject or text: rendered here with sample values, so one that cannot
    render (refused, too slow, too long) is never saved."""
    if source is not None:
        from chalicelib.mail.reward_email import CampaignTemplateError, check_campaign_text

        try:
            check_campaign_text(source)
        except CampaignTemplateError as error:
            raise ValueError(f"This template is not valid: {error}.") from error
    return source


def email_template(max_length: int) -> Any:
    return Annotated[bounded_text(max_length) | None, Blankable, AfterValidator(_email_template)]


def bounded(kind: type, **bounds: Any) -> Any:
    return Annotated[kind, Field(**bounds)]


# Optional fields: absent, null and blank all mean "not given".
Name = Annotated[line_text(MAX_NAME_LENGTH) | None, Blankable]
Text = Annotated[bounded_text(MAX_TEXT_LENGTH) | None, Blankable]
Flag = Annotated[bool | None, Blankable]
# Numbers in plain ASCII digits (`plain_number`), as text from a form or as JSON numbers.
Count = Annotated[number_type(int, ge=0, le=MAX_POINTS) | None, Blankable]
Limit = Annotated[number_type(int, ge=1, le=MAX_POINTS) | None, Blankable]
Days = Annotated[number_type(int, ge=0, le=MAX_DAYS) | None, Blankable]
Money = Annotated[number_type(Decimal, gt=0, max_digits=14, decimal_places=6) | None, Blankable]
Moment = Annotated[datetime | None, BeforeValidator(parse_moment)]
# Open Loyalty's bounds: a worth or a price is positive and under a billion, to the cent; a tax
# rate is a whole number from 0 to 99 (excluded); a percentage discount 0 to 100 (excluded).
MAX_PRICE = 999_999_999
# Rewards handed out as codes from the campaign's pool: the campaign needs at least one code.
# Cashback pays points back and a percentage discount code is made at purchase.
COUPON_REWARDS = frozenset(REWARD_TYPES) - {"cashback", "percentage_discount_code"}


def _whole(value: Decimal | None) -> Decimal | None:
    """Open Loyalty's tax check: a rate given is an integer."""
    if value is not None and value != value.to_integral_value():
        raise ValueError("This value should be of type integer.")
    return value


Price = Annotated[number_type(Decimal, gt=0, lt=MAX_PRICE, decimal_places=2) | None, Blankable]
TaxRate = Annotated[number_type(Decimal, ge=0, lt=99) | None, Blankable, AfterValidator(_whole)]
Percentage = Annotated[number_type(int, ge=0, lt=100) | None, Blankable]


def _url(value: str | None) -> str | None:
    """An absolute http(s) URL with a host, as Symfony's Url constraint asks."""
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("This value is not a valid URL.")
    return value


Link = Annotated[line_text(2048) | None, Blankable, AfterValidator(_url)]
Id = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SingleLine
]
Ids = Annotated[list[Id], BeforeValidator(as_list), Field(max_length=MAX_IDS)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?$")]


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


# -- reading ---------------------------------------------------------------------------------
BOUNDS = {
    "greater_than_equal": ("greater than or equal to", "ge"),
    "greater_than": ("greater than", "gt"),
    "less_than_equal": ("less than or equal to", "le"),
    "less_than": ("less than", "lt"),
}


def _message(error: dict[str, Any]) -> str:
    """Pydantic's findings in the words of the document's Symfony forms."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "This value should be of type integer."
    if kind in {"decimal_type", "decimal_parsing", "float_parsing"}:
        return "This value should be a number."
    if kind in BOUNDS:
        words, bound = BOUNDS[kind]
        return f"This value should be {words} {context.get(bound)}."
    if kind == "single_line":
        return "This value should be one line of text, without line breaks."
    if kind == "string_too_long":
        return f"This value is too long. It should have {context['max_length']} characters or less."
    if kind == "too_long":
        return f"This collection should contain {context['max_length']} elements or less."
    if kind in {"literal_error", "enum"}:
        return "The value you selected is not a valid choice."
    if kind in {"missing", "string_too_short"}:
        return BLANK
    if kind in {"decimal_max_digits", "decimal_max_places", "decimal_whole_digits"}:
        return "This value has too many digits."
    return INVALID


def _path(location: Iterable[Any]) -> str:
    # Pydantic marks a bad dict key as `[key]`; the error belongs to the dict itself.
    return ".".join(str(part) for part in location if part != "[key]") or "form"


def form_errors(error: PydanticValidationError) -> dict[str, list[str]]:
    """Pydantic's findings as {field path: [messages]}, in the document's words."""
    errors: dict[str, list[str]] = {}
    for item in error.errors():
        errors.setdefault(_path(item["loc"]), []).append(_message(item))
    return errors


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
