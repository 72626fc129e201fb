"""A requirement, the reading rule it rests on, and the builder that gives each its level.

A requirement's level follows the reading rule it rests on (DESIGN.md, "The reading rules") and
the tier of the values its check sends (conformance.model.tolerance): a check on edge values is
a SHOULD whatever its rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.model.profile import Profile
from conformance.model.tolerance import EDGE

MUST, SHOULD = "MUST", "SHOULD"

# The reading rules (DESIGN.md), and the level each gives a requirement judged on ordinary values.
READING_RULES = {
    "text": (MUST, "1: the page states it in prose, a field table or schema notation"),
    "example-shape": (MUST, "2: no field table; the success example shows the field, with this JSON type"),
    "example-value": (SHOULD, "2: only the example's particular value shows it"),
    "stated-status": (MUST, "3: the page states the status code"),
    "example-status": (MUST, "3: a status code shown only inside an example body: a 2xx is required"),
    "text-over-example": (MUST, "4: the text says it, though the example shows otherwise"),
    "silence": (SHOULD, "5: the page is silent; every reasonable choice passes, the suite records what it saw"),
    "standard": (MUST, "a published standard every HTTP answer owes"),
    "provider-notes": (MUST, "the provider notes shipped with the profiles (our summary of another page)"),
    "suite": (SHOULD, "a principle of this suite, stated in its documentation"),
}


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    title: str
    area: str
    source: dict  # its `rule` names the reading rule it rests on
    tier: str = ""  # the values its check sends: ordinary, edge, or "" (none: a status, a header)

    @property
    def rule(self) -> str:
        return self.source.get("rule", "")

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "area": self.area,
            "source": self.source,
            "tier": self.tier,
        }


class CatalogBuilder:
    """Collects a profile's requirements; `add` gives each its full id, its source (with the
    rule it rests on) and its level."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.requirements: list[Requirement] = []

    def add(
        self,
        suffix: str,
        title: str,
        area: str,
        quote,
        *,
        rule: str | None = None,
        tier: str = "",
        level: str | None = None,
    ) -> None:
        profile = self.profile
        full = f"{profile.key}.{suffix}"
        source = profile.source(quote)
        kind = source["kind"]
        rule = profile.reading_rules.get(full) or rule or (kind if kind in READING_RULES else "text")
        if rule not in READING_RULES:
            raise ValueError(f"{full}: unknown reading rule {rule!r}")
        source["rule"] = rule
        level = level or (SHOULD if tier == EDGE else READING_RULES[rule][0])
        self.requirements.append(Requirement(full, profile.level(full, level), title, area, source, tier))


def contract_rule(schema: dict) -> str:
    """The rule a schema's fields rest on: a field table (`text`) unless the schema says the
    page shows its object only in an example (`"x-contract": "example"`)."""
    return "example-shape" if schema.get("x-contract") == "example" else "text"


def example_formats(schema: dict) -> dict[str, str]:
    """Formats of an example-only object's fields (pointer -> format): the example's values
    show them, so they are SHOULD (rule 2); the fields' presence and JSON types are the MUST."""
    out: dict[str, str] = {}

    def walk(node, pointer):
        if not isinstance(node, dict):
            return
        if "format" in node:
            out[pointer or "/"] = node["format"]
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{pointer}/{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{pointer}/*")
        for sub in node.get("anyOf", []):
            walk(sub, pointer)

    if schema.get("x-contract") == "example":
        walk(schema, "")
    return out


def shape_of(schema: dict, contract: str) -> dict:
    """The part of a field's schema a MUST judges: all of it under a field table; under an
    example-only contract, everything but the formats (the example's values show those)."""
    if contract != "example-shape":
        return schema
    if isinstance(schema, dict):
        return {k: shape_of(v, contract) for k, v in schema.items() if k != "format"}
    if isinstance(schema, list):
        return [shape_of(v, contract) for v in schema]
    return schema


def a_noun(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def characters(n: int) -> str:
    return f"{n} character" + ("" if n == 1 else "s")


def type_name(schema: dict) -> str:
    kind = schema.get("type", "value")
    return " or ".join(kind) if isinstance(kind, list) else kind
