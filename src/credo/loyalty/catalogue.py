"""The privileges catalogue: what a good score earns, read from TOML, extended by partners.

A catalogue file names its partner once and lists privileges as tables::

    partner = "acme_bikes"            # optional; "credo" when absent

    [privileges.acme_deposit_free_ebike]
    name = "Deposit-free e-bike"
    category = "rental"               # one of CATEGORIES
    rule = "score >= 680 and defaults_24m == 0"
    benefit = "Unlock an e-bike without the 299 deposit"
    description = "…"                 # optional

Keys are snake_case. Unknown fields, a missing field, an unknown category and a rule that does
not parse are refused, naming the file and the privilege. Credo's own catalogue ships as
``default_privileges.toml`` in this package (:func:`default_catalogue`).

Partners extend a catalogue with :meth:`Catalogue.merge`: a partner adds privileges under its
own name and may replace its own, never another partner's or credo's. Load a partner's file
with ``partner=`` set to the partner that sent it, so that a file cannot claim to be someone
else's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from credo.errors import InvalidInputError, NotFoundError, UnreadableInputError
from credo.loyalty.rules import Rule, parse_rule
from credo.settings import ScoringSettings

__all__ = [
    "CATEGORIES",
    "CREDO",
    "DEFAULT_CATALOGUE_FILE",
    "Catalogue",
    "Privilege",
    "default_catalogue",
    "load_catalogue",
    "loads_catalogue",
    "privileges_catalogue",
]

CREDO = "credo"
"""The partner name of the privileges credo ships."""
CATEGORIES: tuple[str, ...] = ("rental", "travel", "finance", "housing", "health", "lifestyle")
DEFAULT_CATALOGUE_FILE = "default_privileges.toml"

_SNAKE = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_REQUIRED = ("name", "category", "rule", "benefit")
_OPTIONAL = ("description",)
_TOP_LEVEL = ("partner", "privileges")


@dataclass(frozen=True)
class Privilege:
    """One privilege: who offers it, what it gives and the rule a person must meet.

    Attributes
    ----------
    key
        Unique snake_case identifier, e.g. ``deposit_free_bike``.
    name
        Display name.
    partner
        Who offers it, snake_case; :data:`CREDO` for the shipped ones.
    category
        One of :data:`CATEGORIES`.
    rule
        The parsed rule; ``rule.text`` is its source (:attr:`rule_text`).
    benefit
        What the person gets, in one line.
    description
        Longer text, may be empty.
    """

    key: str
    name: str
    partner: str
    category: str
    rule: Rule
    benefit: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _SNAKE.match(self.key):
            raise InvalidInputError(
                f"privilege {self.key!r}: the key must be snake_case (a-z, 0-9, _; ≤ 64 chars)"
            )
        if not _SNAKE.match(self.partner):
            raise InvalidInputError(
                f"privilege {self.key!r}: partner {self.partner!r} must be snake_case"
            )
        if self.category not in CATEGORIES:
            raise InvalidInputError(
                f"privilege {self.key!r}: unknown category {self.category!r} "
                f"(known: {', '.join(CATEGORIES)})"
            )
        for name in ("name", "benefit"):
            if not getattr(self, name).strip():
                raise InvalidInputError(f"privilege {self.key!r}: {name} must not be empty")

    @property
    def rule_text(self) -> str:
        """The rule as written in the catalogue."""
        return self.rule.text

    def to_dict(self) -> dict[str, str]:
        """Return the privilege as JSON-ready values (the rule as its text)."""
        return {
            "key": self.key,
            "name": self.name,
            "partner": self.partner,
            "category": self.category,
            "rule": self.rule.text,
            "benefit": self.benefit,
            "description": self.description,
        }


@dataclass(frozen=True)
class Catalogue:
    """An ordered collection of privileges with unique keys.

    Raises
    ------
    InvalidInputError
        Two privileges share a key.
    """

    privileges: tuple[Privilege, ...] = ()
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for position, privilege in enumerate(self.privileges):
            if privilege.key in index:
                raise InvalidInputError(f"privilege {privilege.key!r} appears twice")
            index[privilege.key] = position
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[Privilege]:
        return iter(self.privileges)

    def __len__(self) -> int:
        return len(self.privileges)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __getitem__(self, key: str) -> Privilege:
        position = self._index.get(key)
        if position is None:
            raise NotFoundError(f"no privilege {key!r} in the catalogue")
        return self.privileges[position]

    def keys(self) -> tuple[str, ...]:
        """The privilege keys, in catalogue order."""
        return tuple(p.key for p in self.privileges)

    def merge(self, other: Catalogue) -> Catalogue:
        """Return this catalogue extended by ``other``'s privileges (typically a partner's).

        A new key is appended; a key already present is replaced in place only when it
        belongs to the same partner.

        Raises
        ------
        InvalidInputError
            ``other`` holds a key that another partner (or credo) owns here.
        """
        merged = list(self.privileges)
        for privilege in other:
            position = self._index.get(privilege.key)
            if position is None:
                merged.append(privilege)
                continue
            owner = merged[position].partner
            if owner != privilege.partner:
                raise InvalidInputError(
                    f"partner {privilege.partner!r} may not override privilege "
                    f"{privilege.key!r}, which belongs to {owner!r}"
                )
            merged[position] = privilege
        return Catalogue(tuple(merged))

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """Return the catalogue as JSON-ready values."""
        return {"privileges": [p.to_dict() for p in self.privileges]}


def _string(source: str, key: str, entry: Mapping[str, object], name: str) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{source}: privilege {key!r}: {name} must be a string, got {type(value).__name__}"
        )
    return value


def _privilege(source: str, key: str, entry: object, partner: str) -> Privilege:
    where = f"{source}: privilege {key!r}"
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where}: must be a table ([privileges.{key}])")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise InvalidInputError(f"{where}: unknown field {unknown[0]!r} (allowed: {allowed})")
    absent = [name for name in _REQUIRED if name not in entry]
    if absent:
        raise InvalidInputError(f"{where}: missing field {absent[0]!r}")
    values = {name: _string(source, key, entry, name) for name in _REQUIRED + _OPTIONAL}
    rule = parse_rule(values.pop("rule"), where=where)
    try:
        return Privilege(key=key, partner=partner, rule=rule, **values)
    except InvalidInputError as error:
        raise InvalidInputError(f"{source}: {error}") from error


def loads_catalogue(
    text: str, *, source: str = "<catalogue>", partner: str | None = None
) -> Catalogue:
    """Parse a catalogue from TOML text.

    Parameters
    ----------
    text
        The TOML document.
    source
        Name of where the text comes from, for error messages.
    partner
        The partner the catalogue must belong to. A file that declares another partner is
        refused; a file that declares none gets this one (or :data:`CREDO` when both are absent).

    Raises
    ------
    UnreadableInputError
        The text is not TOML.
    InvalidInputError
        The document or an entry breaks a rule of the module docstring.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UnreadableInputError(f"{source}: not valid TOML ({error})") from error
    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise InvalidInputError(
            f"{source}: unknown top-level key {unknown[0]!r} (allowed: {', '.join(_TOP_LEVEL)})"
        )
    declared = data.get("partner", partner or CREDO)
    if not isinstance(declared, str) or (partner is not None and declared != partner):
        raise InvalidInputError(
            f"{source}: the catalogue declares partner {declared!r}, expected {partner!r}"
        )
    entries = data.get("privileges")
    if not isinstance(entries, dict) or not entries:
        raise InvalidInputError(f"{source}: no [privileges.<key>] tables")
    return Catalogue(tuple(_privilege(source, k, v, declared) for k, v in entries.items()))


def load_catalogue(path: str | Path, *, partner: str | None = None) -> Catalogue:
    """Read a catalogue file; see :func:`loads_catalogue`.

    Raises
    ------
    UnreadableInputError
        The file cannot be read or is not TOML.
    InvalidInputError
        An entry is not valid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableInputError(f"{path}: cannot read the catalogue ({error})") from error
    return loads_catalogue(text, source=str(path), partner=partner)


@cache
def default_catalogue() -> Catalogue:
    """Return credo's shipped catalogue, read once from the package's data."""
    data = resources.files("credo.loyalty").joinpath(DEFAULT_CATALOGUE_FILE)
    return loads_catalogue(
        data.read_text(encoding="utf-8"), source=DEFAULT_CATALOGUE_FILE, partner=CREDO
    )


def privileges_catalogue(scoring: ScoringSettings) -> Catalogue:
    """The configured privileges catalogue (the shipped one by default), extended by each
    partner's own entries (a partner may add privileges, never change another's)."""
    if scoring.privileges_file is None:
        catalogue = default_catalogue()
    else:
        catalogue = load_catalogue(scoring.privileges_file)
    for partner, path in sorted(scoring.partner_privileges.items()):
        catalogue = catalogue.merge(load_catalogue(path, partner=partner))
    return catalogue
