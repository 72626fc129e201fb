"""Where the credential goes: the auth placements a profile names (`auth.in`), registered by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.registry import Registry

if TYPE_CHECKING:  # annotations only: the profile loader imports this module
    from conformance.model.profile import Profile


def credential_name(profile: Profile, params: dict) -> str:
    """The header or cookie the credential goes in: the profile's `auth.name`, unless the profile
    lets a target param name it (`auth.name_param`, for a page that leaves the name open) and
    the user gave that param."""
    auth = profile.auth
    chosen = params.get(auth["name_param"]) if auth.get("name_param") else None
    return chosen or auth["name"]


def credential_place(profile: Profile, params: dict) -> str:
    """Where the credential goes, for people: `header X-Api-Key`, `cookie __session`."""
    return f"{'cookie' if profile.auth['in'] == 'cookie' else profile.auth['in']} {credential_name(profile, params)}"


@dataclass
class Credentials:
    """Where an auth placement may put the credential: headers, cookies, query parameters."""

    headers: dict
    cookies: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


# The profile's `auth.in` names one of these: (credentials, auth.name, value) -> None.
AUTH_PLACEMENTS: Registry[Callable[[Credentials, str, str], None]] = Registry("auth placement")
# Register a way of placing the credential, e.g. `@auth_placement("query")`.
auth_placement = AUTH_PLACEMENTS.decorator


@auth_placement("header")
def _in_header(credentials: Credentials, name: str, value: str) -> None:
    credentials.headers[name] = value


@auth_placement("cookie")
def _in_cookie(credentials: Credentials, name: str, value: str) -> None:
    credentials.cookies[name] = value
