"""A provider as data: the profile file and its JSON Schemas, loaded and compiled once."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
from jsonschema import Draft202012Validator

from conformance.model.auth import AUTH_PLACEMENTS
from conformance.model.encodings import ENCODINGS
from conformance.model.formats import CHECKER as FORMATS


class ProfileError(ValueError):
    """The named profile does not exist or is not well formed."""


# Where a requirement comes from: the provider's page itself (its quote must occur in the
# saved page: `conformance requirements P --check-quotes`), the provider notes shipped with the
# profiles (schemas/provider-notes.md: our own summary of a fact from another page of the
# provider's, its quote the notes' words, checked against that file, never the provider's page),
# a published standard, or a principle of this suite (stated in the README, with no quote of
# anyone else's). "provider-doc" (another page of the provider's documentation, cited by URL and
# quoted verbatim) is still read from a user's own profile; no bundled profile uses it.
SOURCE_KINDS = ("page", "provider-notes", "provider-doc", "standard", "suite")  # and "user": a user's own probe

# What each kind of source is, in the words every report uses.
SOURCE_KIND_NAMES = {
    "page": "the provider's page",
    "provider-notes": "provider notes shipped with the profiles (our summary, not the provider's words)",
    "provider-doc": "another page of the provider's documentation (outside fact)",
    "standard": "a standard",
    "suite": "a principle of this suite",
    "user": "a user's probe",
}

PROVIDER_NOTES = "provider-notes.md"  # beside the profile folders; a user's profile folder may hold its own


@dataclass
class Profile:
    key: str
    directory: str
    data: dict
    schemas: dict = field(default_factory=dict)

    # -- plain facts --------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.data.get("title", self.key)

    @property
    def document(self) -> dict:
        return self.data["document"]

    @property
    def method(self) -> str:
        return self.data["endpoint"]["method"]

    @property
    def path(self) -> str:
        return self.data["endpoint"]["path"]

    @property
    def base_path(self) -> str:
        """The path part of the documented base URL (orgo's `/api`): where a server mounts it."""
        return urlsplit(self.data["endpoint"].get("documented_base", "")).path.rstrip("/")

    @property
    def auth(self) -> dict:
        return self.data["auth"]

    @property
    def encodings(self) -> dict:
        return self.data["encodings"]

    @property
    def primary_encoding(self) -> str:
        return next(iter(self.encodings))

    @property
    def success_statuses(self) -> list[int]:
        return self.data["success"]["statuses"]

    @property
    def resource_at(self) -> str:
        return self.data.get("resource_at", "")

    @property
    def echo(self) -> dict[str, str]:
        return self.data.get("echo", {})

    @property
    def tagged_fields(self) -> list[str]:
        return self.data.get("tagged_fields", [])

    @property
    def param_fields(self) -> dict[str, str]:
        """Request fields whose value is a target parameter (e.g. organization_id)."""
        return self.data.get("param_fields", {})

    @property
    def target_params(self) -> dict[str, dict]:
        return self.data.get("target_params", {})

    @property
    def transient_statuses(self) -> tuple[int, ...]:
        """Statuses the provider documents as passing (Anthropic's 529 overloaded_error): retried
        a bounded number of times, besides 429 and 503, before an answer is judged."""
        return tuple(self.data.get("transient", {}).get("statuses", ()))

    @property
    def unique_fields(self) -> dict[str, str]:
        """Request fields a target may hold unique (d3lay's domain_name): a fresh value per
        create, from a template whose `{tag}` is the run's next unique tag."""
        return self.data.get("unique_fields", {})

    def param_value(self, params: dict, field: str):
        """The target's value for a param field, or None when an optional param was not given."""
        return params.get(self.param_fields[field]) if field in self.param_fields else None

    @property
    def rules(self) -> dict[str, dict]:
        return self.data.get("rules", {})

    @property
    def envelope(self) -> dict | None:
        return self.data.get("envelope")

    @property
    def error_type(self) -> dict | None:
        return self.data.get("error_type")

    def rejection(self, situation: str) -> dict:
        """Statuses (and their source) for a situation, e.g. `validation`, `auth`.

        A requirement id may have its own entry (orgo documents 400 for an empty name only).
        """
        table = self.data["rejections"]
        suffix = situation.removeprefix(self.key + ".")
        if suffix in table:
            return table[suffix]
        if suffix == "robustness" or suffix.startswith("robustness.") or suffix == "request.unknown-fields":
            # malformed or unexpected input: any client error will do unless documented
            return {"statuses": ["4XX"], "source": "any 4xx"}
        return table["validation"]

    @property
    def reading_rules(self) -> dict[str, str]:
        """Requirement id -> the reading rule it rests on, where the schema alone does not say
        (conformance.model.catalog.READING_RULES)."""
        return self.data.get("reading_rules", {})

    def level(self, requirement_id: str, default: str = "MUST") -> str:
        return self.data.get("levels", {}).get(requirement_id, default)

    # -- schemas ------------------------------------------------------------------
    @property
    def request_schema(self) -> dict:
        return self.schemas["request"]

    @property
    def resource_schema(self) -> dict:
        return self.schemas["resource"]

    def validator(self, name: str) -> Draft202012Validator:
        """The compiled schema `name`; every caller asks for one the profile has (request,
        resource, or one it checked for), so a missing one is a bug, said as such."""
        if name not in self.schemas:
            raise ProfileError(f"profile {self.key!r} has no {name} schema")
        return _validators(self)[name]

    def source(self, spec) -> dict:
        """A requirement's source, in the one shape every report shows (see SOURCE_KINDS).

        A plain string is a verbatim quote of the provider's page; an object says which other
        kind of source it is, with its own `document` (a standard; for provider notes, the
        notes' section and the page it summarises, e.g. "provider notes shipped with the
        profiles (provider-notes.md#anthropic-errors), summarising Anthropic's Errors page")
        and, apart from the quote, an optional `reading` in the suite's own words.
        """
        if isinstance(spec, str):
            spec = {"quote": spec}
        kind = spec.get("kind", "page")
        if kind not in SOURCE_KINDS:
            raise ProfileError(f"profile {self.key!r}: unknown source kind {kind!r}")
        if kind == "provider-notes" and (spec.get("url") or f"{PROVIDER_NOTES}#" not in spec.get("document", "")):
            # The notes are our words: they name the page they summarise, but no address is
            # claimed as the origin of a quote that was never on that page.
            raise ProfileError(
                f"profile {self.key!r}: a provider-notes source names its section "
                f"({PROVIDER_NOTES}#...) in `document` and no `url`: {spec!r}"
            )
        out = {
            "kind": kind,
            "document": spec.get("document") or (self.document["file"] if kind == "page" else ""),
            "quote": spec.get("quote", ""),
        }
        for key in ("url", "reading"):
            if spec.get(key):
                out[key] = spec[key]
        return out


def notes_path(profile: Profile | None = None) -> Path:
    """The provider notes a profile's `provider-notes` sources cite: its own folder's copy if a
    user's profile ships one, else the notes shipped with the bundled profiles."""
    own = Path(profile.directory) / PROVIDER_NOTES if profile is not None else None
    return own if own is not None and own.is_file() else builtin_directory() / PROVIDER_NOTES


def _validators(profile: Profile) -> dict:
    cached = profile.__dict__.get("_validators")
    if cached is None:
        cached = {
            name: Draft202012Validator(schema, format_checker=FORMATS) for name, schema in profile.schemas.items()
        }
        profile.__dict__["_validators"] = cached
    return cached


def builtin_directory() -> Path:
    try:
        return Path(str(resources.files("conformance.schemas")))
    except ModuleNotFoundError:
        # This package was imported from a checkout rather than installed (`python -m pytest`
        # puts the current directory first on sys.path): the profiles sit beside it.
        return Path(__file__).resolve().parents[2] / "schemas"


def builtin() -> tuple[str, ...]:
    """The bundled providers: every folder of `schemas/` that holds a profile.json."""
    return tuple(sorted(entry.name for entry in builtin_directory().iterdir() if (entry / "profile.json").is_file()))


BUILTIN = builtin()


@functools.cache
def load(name_or_path: str) -> Profile:
    """Load a built-in provider by key, or a profile directory by path."""
    directory = Path(name_or_path)
    if not (directory / "profile.json").is_file():
        directory = builtin_directory() / name_or_path
    if not (directory / "profile.json").is_file():
        raise ProfileError(
            f"unknown provider {name_or_path!r}: choose one of {', '.join(BUILTIN)}, "
            "or give the path of a profile directory"
        )
    try:
        data = json.loads((directory / "profile.json").read_text(encoding="utf-8"))
        schemas = {
            name: json.loads((directory / file).read_text(encoding="utf-8")) for name, file in data["schemas"].items()
        }
        for _name, schema in schemas.items():
            Draft202012Validator.check_schema(schema)
        _check_mechanisms(data)
    except (OSError, ValueError, KeyError, jsonschema.SchemaError) as exc:
        raise ProfileError(f"profile {str(directory)!r} is not well formed: {exc}") from None
    return Profile(key=data["key"], directory=str(directory), data=data, schemas=schemas)


def _check_mechanisms(data: dict) -> None:
    """The auth placement and body encodings a profile names must be registered
    (conformance.model.auth, conformance.model.encodings)."""
    if data["auth"]["in"] not in AUTH_PLACEMENTS:
        raise ValueError(
            f"auth.in {data['auth']['in']!r} is not a known placement "
            f"({', '.join(AUTH_PLACEMENTS)}; a new one is registered with @auth_placement)"
        )
    for name in data["encodings"]:
        if name not in ENCODINGS:
            raise ValueError(
                f"encoding {name!r} is not a known body encoding "
                f"({', '.join(ENCODINGS)}; a new one is registered with @body_encoding)"
            )


ABSENT = "(absent)"


def value_at(document, pointer: str, missing=ABSENT):
    """resolve_pointer, with `missing` in place of a path that does not exist."""
    try:
        return resolve_pointer(document, pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        return missing


def values_at(document, pointer: str) -> list:
    """The values at a JSON Pointer whose `*` tokens stand for every item of an array (or
    member of an object); a path that does not exist gives none."""
    nodes = [document]
    for token in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        found = []
        for node in nodes:
            if token == "*" and isinstance(node, (list, dict)):
                found += list(node.values()) if isinstance(node, dict) else list(node)
            elif isinstance(node, dict) and token in node:
                found.append(node[token])
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                found.append(node[int(token)])
        nodes = found
    return nodes


def resolve_pointer(document, pointer: str):
    """JSON Pointer lookup; raises KeyError when the path is absent."""
    if pointer in ("", "/"):
        return document
    node = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(token)
    return node
