"""Event model v1: the typed schemas sources send, one per event type, in five categories.

An event is an envelope (``event_id``, ``source``, ``subject``, ``type``, ``occurred_at``,
``schema_version``, optional ``supersedes``) around a typed ``payload``. The pydantic models in
this module are the single declaration of the event model: :func:`event_json_schema` publishes
them for integrators and :func:`field_specs` compiles them into the column rules that the
vectorised validator (:mod:`credo.events.validate`) applies to whole batches.

Money is always an integer amount in minor units (cents, fen) with an ISO 4217 currency code.
Fields marked personal (``name``, ``national_id``, ``phone``, ``address``, ``email``) and the
person identifiers (``subject``, a tie's or transfer's ``counterpart``) never reach the lake:
ingest moves them to the identity vault and keeps only keyed tokens and fingerprints.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
)

__all__ = [
    "ARROW_TYPES",
    "CATEGORIES",
    "ENVELOPE_FIELDS",
    "EVENT_TYPES",
    "PAYLOAD_MODELS",
    "SCHEMA_VERSION",
    "TYPE_CATEGORY",
    "Category",
    "EventIn",
    "FieldSpec",
    "Kind",
    "MerchantCategory",
    "event_json_schema",
    "field_specs",
    "payload_columns",
    "payload_field_roles",
]

SCHEMA_VERSION = 1
Category = Literal["history", "capacity", "identity", "behavior", "network"]
CATEGORIES: tuple[Category, ...] = ("history", "capacity", "identity", "behavior", "network")

MAX_AMOUNT_MINOR = 10**15
"""Largest money amount accepted, in minor units (10 trillion in major units)."""

Role = Literal["plain", "personal", "identifier", "ref"]


def _role(role: Role) -> dict[str, Any]:
    return {"x-credo-role": role}


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CNY")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR, description="Minor units, >= 0")]
SignedAmount = Annotated[
    int, Field(ge=-MAX_AMOUNT_MINOR, le=MAX_AMOUNT_MINOR, description="Minor units, signed")
]
Ref = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The source's own reference (account, contract); stored only as a keyed hash",
        json_schema_extra=_role("ref"),
    ),
]
PersonId = Annotated[
    str,
    Field(
        min_length=3,
        max_length=64,
        description="A person identifier as the source knows it (national id or phone); "
        "tokenised at ingest",
        json_schema_extra=_role("identifier"),
    ),
]


def _personal(max_length: int, description: str) -> Any:
    return Field(
        default=None,
        min_length=1,
        max_length=max_length,
        description=f"{description} (personal data: encrypted in the identity vault)",
        json_schema_extra=_role("personal"),
    )


class Payload(BaseModel):
    """Base of every payload: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- history: credit history ------------------------------------------------------------------


class LoanOpened(Payload):
    """A loan was granted; ``amount_minor`` is the principal."""

    account_ref: Ref
    product: Literal[
        "mortgage", "personal", "auto", "student", "card", "bnpl", "microloan", "business"
    ]
    amount_minor: Amount
    currency: Currency
    term_months: Annotated[int, Field(ge=1, le=600)]


class Bill(Payload):
    """An instalment or statement fell due; ``amount_minor`` is the amount due."""

    account_ref: Ref
    amount_minor: Amount
    currency: Currency
    due_date: date


class Repayment(Payload):
    """A payment on a credit account; ``days_past_due`` is 0 when paid on time."""

    account_ref: Ref
    amount_minor: Amount
    currency: Currency
    due_date: date | None = None
    days_past_due: Annotated[int, Field(ge=0, le=3650)] = 0


class Default(Payload):
    """A credit account defaulted (typically 90+ days past due); the amount outstanding."""

    account_ref: Ref
    amount_minor: Amount
    currency: Currency
    days_past_due: Annotated[int, Field(ge=0, le=3650)]


class Collection(Payload):
    """A debt was passed to collection."""

    account_ref: Ref
    amount_minor: Amount
    currency: Currency


class CreditLine(Payload):
    """A revolving line was opened, changed or closed; ``amount_minor`` is the limit."""

    account_ref: Ref
    product: Literal["card", "overdraft", "bnpl", "heloc"]
    amount_minor: Amount
    currency: Currency
    status: Literal["open", "closed"] = "open"


# --- capacity: fulfillment capacity -----------------------------------------------------------


class BalanceSnapshot(Payload):
    """Balance of an account at ``occurred_at``: assets for ``deposit``, debt for ``credit``."""

    account_ref: Ref
    kind: Literal["deposit", "credit"]
    amount_minor: SignedAmount
    currency: Currency


class IncomeVerified(Payload):
    """A verified monthly income."""

    amount_minor: Amount
    currency: Currency
    method: Literal["payslip", "tax_return", "bank_statement", "employer"]


class Asset(Payload):
    """An asset the person holds, with its value."""

    kind: Literal["property", "vehicle", "deposit", "investment"]
    amount_minor: Amount
    currency: Currency


class Contract(Payload):
    """A contract began (rental, deposit-free order, phone plan, lease…); value and end date."""

    contract_ref: Ref
    kind: Literal[
        "rental", "deposit_free_order", "phone", "utility", "lease", "card", "standing_order"
    ]
    amount_minor: Amount
    currency: Currency
    due_date: date | None = None


class ContractFulfilled(Payload):
    """A contract ended: returned or paid on time, late, or broken."""

    contract_ref: Ref
    outcome: Literal["on_time", "late", "broken"]
    days_late: Annotated[int, Field(ge=0, le=3650)] = 0


# --- identity: personal characteristics -------------------------------------------------------


class IdentityVerified(Payload):
    """The person's identity was verified by the source."""

    method: Literal["document", "biometric", "bank", "real_name", "phone"]
    document_type: Literal["id_card", "passport", "driving_licence", "residence_permit"] | None = (
        None
    )


class ProfileUpdate(Payload):
    """Personal details as the source holds them; personal fields go to the vault only."""

    name: str | None = _personal(200, "Full name")
    national_id: str | None = _personal(64, "National identity number")
    phone: str | None = _personal(32, "Phone number")
    address: str | None = _personal(400, "Postal address")
    email: str | None = _personal(254, "E-mail address")
    address_since: date | None = None
    phone_since: date | None = None
    education: (
        Literal["none", "secondary", "vocational", "bachelor", "master", "doctorate"] | None
    ) = None
    occupation: (
        Literal["employed", "self_employed", "civil_servant", "student", "retired", "unemployed"]
        | None
    ) = None


# --- behavior: behaviour and preferences ------------------------------------------------------

MerchantCategory = Literal[
    "grocery",
    "utilities",
    "transport",
    "health",
    "education",
    "restaurants",
    "travel",
    "electronics",
    "fashion",
    "entertainment",
    "gambling",
    "cash",
    "other",
]


class Purchase(Payload):
    """A purchase."""

    amount_minor: Amount
    currency: Currency
    merchant_category: MerchantCategory


class BillPayment(Payload):
    """A household bill paid (utility, telecom, rent…); ``days_late`` 0 when on time."""

    amount_minor: Amount
    currency: Currency
    biller: Literal["utility", "telecom", "rent", "insurance", "tax", "other"]
    due_date: date | None = None
    days_late: Annotated[int, Field(ge=0, le=3650)] = 0


class Transfer(Payload):
    """Money in or out of an account; ``counterpart`` when the other party is a person."""

    amount_minor: Amount
    currency: Currency
    direction: Literal["in", "out"]
    counterpart: PersonId | None = None


class Refund(Payload):
    """A refund or a chargeback."""

    amount_minor: Amount
    currency: Currency
    kind: Literal["refund", "chargeback"]
    merchant_category: MerchantCategory | None = None


# --- network: interpersonal relationships -----------------------------------------------------


class Tie(Payload):
    """A relationship to another person was declared (``add``) or ended (``remove``)."""

    counterpart: PersonId
    relation: Literal["friend", "family", "colleague", "counterparty"]
    verified: bool = False
    action: Literal["add", "remove"] = "add"


PAYLOAD_MODELS: dict[str, type[Payload]] = {
    "loan_opened": LoanOpened,
    "bill": Bill,
    "repayment": Repayment,
    "default": Default,
    "collection": Collection,
    "credit_line": CreditLine,
    "balance_snapshot": BalanceSnapshot,
    "income_verified": IncomeVerified,
    "asset": Asset,
    "contract": Contract,
    "contract_fulfilled": ContractFulfilled,
    "identity_verified": IdentityVerified,
    "profile_update": ProfileUpdate,
    "purchase": Purchase,
    "bill_payment": BillPayment,
    "transfer": Transfer,
    "refund": Refund,
    "tie": Tie,
}
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOAD_MODELS)

TYPE_CATEGORY: dict[str, Category] = {
    "loan_opened": "history",
    "bill": "history",
    "repayment": "history",
    "default": "history",
    "collection": "history",
    "credit_line": "history",
    "balance_snapshot": "capacity",
    "income_verified": "capacity",
    "asset": "capacity",
    "contract": "capacity",
    "contract_fulfilled": "capacity",
    "identity_verified": "identity",
    "profile_update": "identity",
    "purchase": "behavior",
    "bill_payment": "behavior",
    "transfer": "behavior",
    "refund": "behavior",
    "tie": "network",
}


_NUMBER = re.compile(r"\s*[+-]?\d+(\.\d*)?\s*")


def _no_unix_time(value: Any) -> Any:
    """Read an ISO 8601 date-time, refusing a number (or a number written as text): pydantic
    would read ``"9"`` as nine seconds after 1970; the ingest validator and the published
    schema's ``date-time`` format do not. Whether it has an offset is checked after."""
    message = "a date-time is ISO 8601 with an offset, e.g. 2026-10-05T08:00:00Z"
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError(message)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(message) from exc
    return value


class Envelope(BaseModel):
    """Fields common to every event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Annotated[
        str,
        Field(min_length=1, max_length=128, description="Unique per source; re-sending is a no-op"),
    ]
    source: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z][a-z0-9_]{1,62}$",
            description="Registered source name; may be left out when the ingest names it",
        ),
    ] = None
    subject: PersonId
    occurred_at: Annotated[
        AwareDatetime,
        BeforeValidator(_no_unix_time),
        Field(description="When it happened, with a UTC offset"),
    ]
    schema_version: Annotated[int, Field(ge=SCHEMA_VERSION, le=SCHEMA_VERSION)] = SCHEMA_VERSION
    supersedes: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=128,
            description="event_id (same source) that this event corrects",
        ),
    ] = None


def _event_model(type_name: str, payload: type[Payload]) -> type[Envelope]:
    title = "".join(part.capitalize() for part in type_name.split("_")) + "Event"
    namespace: dict[str, Any] = {
        "__annotations__": {"type": Literal[type_name], "payload": payload},
        "__doc__": f"A ``{type_name}`` event ({TYPE_CATEGORY[type_name]}): {payload.__doc__}",
        "__module__": __name__,
    }
    return types.new_class(title, (Envelope,), {}, lambda ns: ns.update(namespace))


EVENT_MODELS: dict[str, type[Envelope]] = {
    name: _event_model(name, model) for name, model in PAYLOAD_MODELS.items()
}
# built from the models above, so a variable to type checkers rather than a static alias
EventIn: Any = Annotated[
    Union[tuple(EVENT_MODELS.values())],  # noqa: UP007 - a runtime union of a tuple of models
    Field(discriminator="type"),
]
"""Any v1 event, discriminated by ``type`` (JSON form, with a nested ``payload``)."""

_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(EventIn)


def event_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a v1 event, for source integrators."""
    schema = _EVENT_ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"credo event v{SCHEMA_VERSION}"
    schema["description"] = (
        "One event per JSON line. CSV and Parquet files carry the same fields flat: the envelope "
        "columns plus the payload fields as columns (empty where a type does not use them)."
    )
    return schema


# --- compiled column rules --------------------------------------------------------------------

Kind = Literal["str", "int", "bool", "date", "datetime"]

ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}
"""The Arrow type of each field kind (timestamps are UTC microseconds)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The validation rule of one field of one event type, compiled from the pydantic model."""

    name: str
    kind: Kind
    required: bool
    role: Role = "plain"
    enum: tuple[str, ...] | None = None
    ge: int | None = None
    le: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    default: Any = None


_KINDS: dict[Any, Kind] = {
    str: "str",
    int: "int",
    bool: "bool",
    date: "date",
    datetime: "datetime",
}


def _unwrap(annotation: Any) -> tuple[Any, tuple[str, ...] | None]:
    """Strip ``None`` from an optional annotation; return (base type, enum values)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"unsupported union annotation {annotation!r}")
        return _unwrap(members[0])
    if origin is Literal:
        return str, tuple(str(value) for value in get_args(annotation))
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    return annotation, None


def _spec(name: str, info: Any) -> FieldSpec:
    base, enum = _unwrap(info.annotation)
    kind = _KINDS.get(base)
    if kind is None and getattr(base, "__name__", "") == "AwareDatetime":
        kind = "datetime"
    if kind is None:
        raise TypeError(f"field {name!r}: unsupported type {base!r}")
    limits: dict[str, Any] = {}
    for meta in info.metadata:
        for attr in ("ge", "le", "min_length", "max_length", "pattern"):
            value = getattr(meta, attr, None)
            if value is not None:
                limits[attr] = value
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    role = extra.get("x-credo-role", "plain")
    default = None if info.is_required() else info.get_default()
    return FieldSpec(
        name=name,
        kind=kind,
        required=info.is_required(),
        role=role,
        enum=enum,
        default=default,
        **limits,
    )


def _compile() -> tuple[dict[str, FieldSpec], dict[str, dict[str, FieldSpec]]]:
    envelope = {name: _spec(name, info) for name, info in Envelope.model_fields.items()}
    payloads = {
        type_name: {name: _spec(name, info) for name, info in model.model_fields.items()}
        for type_name, model in PAYLOAD_MODELS.items()
    }
    return envelope, payloads


ENVELOPE_FIELDS, _PAYLOAD_FIELDS = _compile()


def field_specs(type_name: str) -> dict[str, FieldSpec]:
    """Return the compiled payload rules of ``type_name`` (raises ``KeyError`` if unknown)."""
    return _PAYLOAD_FIELDS[type_name]


def payload_columns() -> dict[str, Kind]:
    """Return every payload field of every type with its kind (one kind per name, checked)."""
    columns: dict[str, Kind] = {}
    for type_name, specs in _PAYLOAD_FIELDS.items():
        for name, spec in specs.items():
            known = columns.setdefault(name, spec.kind)
            if known != spec.kind:
                raise TypeError(
                    f"field {name!r} of {type_name!r} is {spec.kind}, elsewhere {known}"
                )
    return columns


def payload_field_roles() -> dict[str, Role]:
    """Return the role (plain, personal, identifier, ref) of every payload field."""
    return {name: spec.role for specs in _PAYLOAD_FIELDS.values() for name, spec in specs.items()}
