"""Cases: what each probe is run with, derived from the profile (never from provider names).

A case names the requirement it checks and carries a recipe, not a finished payload: names
are made per run at probe time, so case ids are stable across runs and pytest-xdist workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

from conformance.model import formats, tolerance
from conformance.model.catalog import known, rid
from conformance.model.profile import Profile
from conformance.model.request_requirements import edge_text_fields, request_properties, unusual_text_fields
from conformance.model.requirement import example_formats as example_formats_of

# The length limits are judged at the boundary with ordinary text (a MUST); the fillers that
# catch the usual ways of miscounting a string's length are the edge tier (a SHOULD each).
WRONG_TYPE = {
    "string": 12345,
    "integer": "1",
    "number": "1.5",
    "boolean": "true",
    "array": {"not": "an array"},
    "object": ["not", "an", "object"],
}
# A format's refused values, accepted spellings and debatable spellings are registered with the
# format itself (conformance/model/formats.py).


def bad_spellings(fmt) -> dict:
    known_format = formats.known(fmt)
    return dict(known_format.bad) if known_format else {}


@dataclass
class Case:
    id: str
    requirement: str
    field: str | None = None
    params: dict = _field(default_factory=dict)

    def __getitem__(self, key):
        return self.params[key]

    @property
    def field_name(self) -> str:
        """`field` of a case made for one request field (every per-field source sets it)."""
        if self.field is None:
            raise ValueError(f"case {self.id!r} ({self.requirement}) is not about one field")
        return self.field


def single(suffix: str, **params):
    def source(profile: Profile) -> list[Case]:
        requirement = known(profile, suffix)
        return [Case(suffix, requirement, params=params)] if requirement else []

    source.__name__ = f"single({suffix})"
    return source


def per_field(facet: str, keyword: str | None = None, **params):
    """One case per request property carrying `keyword` (or any, when None)."""

    def source(profile: Profile) -> list[Case]:
        out = []
        for name, schema in request_properties(profile).items():
            if keyword and keyword not in schema:
                continue
            requirement = known(profile, f"{name}.{facet}")
            if requirement:
                out.append(Case(name, requirement, name, {"schema": schema, **params}))
        return out

    source.__name__ = f"per_field({facet})"
    return source


def resource_fields(profile: Profile) -> list[Case]:
    props = profile.resource_schema.get("properties", {})
    return [Case(name, rid(profile, f"response.{name}"), name, {"schema": schema}) for name, schema in props.items()]


def echo_fields(profile: Profile) -> list[Case]:
    out = []
    for name, schema in request_properties(profile).items():
        if name in profile.echo:
            out.append(
                Case(name, rid(profile, f"{name}.echoed"), name, {"schema": schema, "pointer": profile.echo[name]})
            )
    return out


def required_missing(profile: Profile) -> list[Case]:
    # A required name the schema does not describe has no requirement of its own to check.
    return [
        Case(f"{name}-missing", requirement, name, {"how": "missing"})
        for name in profile.request_schema.get("required", [])
        if (requirement := known(profile, f"{name}.required"))
    ]


def required_null(profile: Profile) -> list[Case]:
    if profile.primary_encoding != "json":
        return []  # a form field cannot be null
    return [
        Case(f"{name}-null", requirement, name, {"how": "null"})
        for name in profile.request_schema.get("required", [])
        if (requirement := known(profile, f"{name}.required"))
    ]


def wrong_types(profile: Profile) -> list[Case]:
    out = []
    for name, schema in request_properties(profile).items():
        requirement = known(profile, f"{name}.type")
        kind = schema.get("type")
        if requirement and isinstance(kind, str) and kind in WRONG_TYPE:
            out.append(
                Case(f"{name}-{type(WRONG_TYPE[kind]).__name__}", requirement, name, {"value": WRONG_TYPE[kind]})
            )
    return out


def _length_cases(profile, keyword, facet, fillers, delta):
    """`fillers`: label -> (filler, what a target that gets it wrong does)."""
    out = []
    for name, schema in request_properties(profile).items():
        if keyword not in schema:
            continue
        length = schema[keyword] + delta
        if length < 0:
            continue
        for label, (filler, finding) in fillers.items():
            out.append(
                Case(
                    f"{name}-{length}-{label}",
                    rid(profile, f"{name}.{facet}"),
                    name,
                    {"length": length, "filler": filler, "label": label, "finding": finding, "schema": schema},
                )
            )
    return out


_ORDINARY = {"ascii": (tolerance.ORDINARY_FILLER, "")}


def at_min_length(profile):
    return _length_cases(profile, "minLength", "min-length", _ORDINARY, 0)


def below_min_length(profile):
    return _length_cases(profile, "minLength", "min-length", _ORDINARY, -1)


def at_max_length(profile):
    return _length_cases(profile, "maxLength", "max-length", _ORDINARY, 0)


def above_max_length(profile):
    return _length_cases(profile, "maxLength", "max-length", _ORDINARY, 1)


def edge_at_max_length(profile):
    return _length_cases(profile, "maxLength", "edge-length", tolerance.EDGE_FILLERS_AT_MAX, 0)


def edge_above_max_length(profile):
    return _length_cases(profile, "maxLength", "edge-length", tolerance.EDGE_FILLERS_ABOVE_MAX, 1)


def enum_values(profile):
    return [
        Case(f"{name}-{value}", rid(profile, f"{name}.enum"), name, {"value": value})
        for name, schema in request_properties(profile).items()
        for value in schema.get("enum", [])
    ]


def undocumented_enum_values(profile):
    out = []
    for name, schema in request_properties(profile).items():
        if "enum" in schema:
            first = str(schema["enum"][0])
            for label, value in (("upper-case", first.upper()), ("unknown", "conformance-undocumented")):
                if value not in schema["enum"]:
                    out.append(Case(f"{name}-{label}", rid(profile, f"{name}.enum"), name, {"value": value}))
    return out


def good_formats(profile):
    """A well-formed value per format field, in the format's canonical spelling."""
    out = []
    for name, schema in request_properties(profile).items():
        fmt = schema.get("format")
        if formats.known(fmt):
            out.append(Case(f"{name}-{fmt}", rid(profile, f"{name}.format"), name, {"spelling": None, "format": fmt}))
    return out


def bad_formats(profile):
    out = []
    for name, schema in request_properties(profile).items():
        fmt = schema.get("format")
        for label, spelling in bad_spellings(fmt).items():
            out.append(
                Case(f"{name}-{label}", rid(profile, f"{name}.format"), name, {"spelling": spelling, "format": fmt})
            )
    return out


def edge_formats(profile):
    """Other spellings of a good value (the edge tier): refused, or kept as the same value."""
    out = []
    for name, schema in request_properties(profile).items():
        fmt = schema.get("format")
        requirement = known(profile, f"{name}.format-edge")
        if requirement:
            out += [
                Case(f"{name}-{label}", requirement, name, {"spelling": spelling, "format": fmt})
                for label, spelling in formats.known(fmt).edge.items()
            ]
    return out


def unusual_text(profile: Profile) -> list[Case]:
    """Text beyond the ordinary tier in every free-text field: whitespace only, control
    characters, direction marks, and the edge text of the tolerance model; in an identifier-like
    field, printable ASCII outside a slug too."""
    requirement = known(profile, "request.unusual-text-accepted")
    if not requirement:
        return []
    out = []
    for name in unusual_text_fields(profile):
        schema = request_properties(profile)[name]
        values = dict(tolerance.UNUSUAL_TEXT)
        values.update(tolerance.EDGE_TEXT)
        if tolerance.text_class(schema) == "identifier":
            values["outside-a-slug"] = tolerance.NON_SLUG_IDENTIFIER
        for label, value in values.items():
            refusal = profile.data.get("unusual_text", {}).get(name, {}).get(label)
            out.append(
                Case(
                    f"{name}-{label}",
                    requirement,
                    name,
                    {"value": value, "label": label, "refusal": refusal, "schema": schema},
                )
            )
    return out


def edge_echo_fields(profile: Profile) -> list[Case]:
    """One case per edge-tried echoed text field and kind of edge text."""
    out = []
    for name in edge_text_fields(profile):
        requirement = rid(profile, f"{name}.edge-echoed")
        for label in tolerance.EDGE_TEXT:
            out.append(
                Case(
                    f"{name}-{label}",
                    requirement,
                    name,
                    {"pointer": profile.echo[name], "label": label, "schema": request_properties(profile)[name]},
                )
            )
    return out


def example_formats(kind: str):
    """The example-only formats of the resource or the envelope: one case, a SHOULD."""

    def source(profile: Profile) -> list[Case]:
        prefix = "response" if kind == "resource" else "envelope"
        requirement = known(profile, f"{prefix}.example-formats")
        schema = profile.resource_schema if kind == "resource" else profile.schemas.get("envelope", {})
        if not requirement:
            return []
        found = example_formats_of(schema)
        blocked_by = sorted(
            {
                known(profile, f"{prefix}.{p.strip('/').split('/')[0]}") or rid(profile, "response.success-status")
                for p in found
            }
        )
        return [Case("formats", requirement, params={"formats": found, "blocked_by": blocked_by})]

    source.__name__ = f"example_formats({kind})"
    return source


def null_optional(profile: Profile) -> list[Case]:
    """An optional JSON field sent as null: rejected, or taken as absent (judged under `.type`)."""
    if profile.primary_encoding != "json":
        return []  # a form field cannot be null
    required = set(profile.request_schema.get("required", []))
    return [
        Case(f"{name}-null", rid, name, {"schema": schema})
        for name, schema in request_properties(profile).items()
        if name not in required and (rid := known(profile, f"{name}.type"))
    ]


def rules_of_kind(kind: str):
    def source(profile: Profile) -> list[Case]:
        return [
            Case(key, rule["id"], rule.get("field"), rule)
            for key, rule in profile.rules.items()
            if rule.get("kind") == kind
        ]

    source.__name__ = f"rules_of_kind({kind})"
    return source


def header_unknown_values(profile: Profile) -> list[Case]:
    """A header rule's undocumented value, judged under the rule's own `unknown` requirement."""
    return [
        Case(key, rule["unknown"]["id"], None, rule)
        for key, rule in profile.rules.items()
        if rule.get("kind") == "header" and "unknown" in rule
    ]


def envelope_on_success(profile: Profile) -> list[Case]:
    envelope = profile.envelope or {}
    return [
        Case(rule["id"].removeprefix(profile.key + "."), rule["id"], None, rule)
        for rule in envelope.get("on_success", [])
    ]


def envelope_fields(profile: Profile) -> list[Case]:
    """One case per member of the success envelope that has its own requirement."""
    members = profile.schemas.get("envelope", {}).get("properties", {})
    return [
        Case(name, rid, None, {"schema": schema, "pointer": "/" + name})
        for name, schema in members.items()
        if (rid := known(profile, f"envelope.{name}"))
    ]


def undocumented_content_types(profile: Profile) -> list[Case]:
    """Bodies labelled with a media type the page does not document: always text/csv, and
    application/json where only a form is documented (the likeliest mistake of a client)."""
    requirement = known(profile, "robustness.wrong-content-type")
    if not requirement:
        return []
    out = [Case("text-csv", requirement, params={"content_type": "text/csv"})]
    if "json" not in profile.encodings:
        out.append(Case("application-json", requirement, params={"content_type": "application/json"}))
    return out


def hostile_strings(profile: Profile) -> list[Case]:
    values = {"nul": "conformance\u0000nul"}
    if profile.primary_encoding == "json":
        values["lone-surrogate"] = "conformance\ud800surrogate"
    field_ = _free_text_field(profile)
    if field_ is None:
        return []  # no string field to carry them
    requirement = rid(profile, "robustness.no-server-error")
    return [Case(label, requirement, field_, {"value": value}) for label, value in values.items()]


def _free_text_field(profile: Profile) -> str | None:
    """Where hostile text goes: the first tagged (name-like) field, else the first plain string."""
    if profile.tagged_fields:
        return profile.tagged_fields[0]
    for name, schema in request_properties(profile).items():
        if (
            schema.get("type") == "string"
            and not ({"enum", "format", "x-file"} & schema.keys())
            and name not in profile.param_fields
        ):
            return name
    return None
