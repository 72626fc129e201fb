"""Where the credential goes, when the page leaves it open: a profile may let a target param
name the header or cookie (`auth.name_param`), and the report says which name was used."""

from __future__ import annotations

from conformance import exitcodes
from conformance.model.auth import credential_name, credential_place
from conformance.model.profile import load
from conformance.reference import provider_module
from conformance.reference.serving import base_url, provider_app

from .conftest import SECRET, run_suite, statuses


class CookieRenamed:
    """ASGI wrapper: the app reads its session from `__session`; this deployment names the cookie
    `name` instead (a `__session` cookie is not this deployment's, and is dropped)."""

    def __init__(self, app, name: str):
        self.app, self.name = app, name

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = []
            for key, value in scope["headers"]:
                if key == b"cookie":
                    parts = [p.strip() for p in value.decode("latin-1").split(";")]
                    kept = [
                        "__session=" + p.split("=", 1)[1] if p.startswith(self.name + "=") else p
                        for p in parts
                        if not p.startswith("__session=")
                    ]
                    if not kept:
                        continue
                    value = "; ".join(kept).encode("latin-1")
                headers.append((key, value))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def test_the_profile_lets_a_target_param_name_the_session_cookie():
    profile = load("wacht-frontend")
    assert profile.auth["name_param"] == "session_cookie"
    assert profile.target_params["session_cookie"]["required"] is False
    assert credential_name(profile, {}) == "__session"
    assert credential_place(profile, {"session_cookie": "wacht_session"}) == "cookie wacht_session"
    anthropic = load("anthropic")
    assert credential_place(anthropic, {"session_cookie": "ignored"}) == "header X-Api-Key"


def test_a_session_cookie_named_by_the_user_is_used_and_reported(tmp_path, loopback_app):
    app = CookieRenamed(provider_app("wacht-frontend", SECRET), "wacht_session")
    url = base_url(loopback_app(app), "wacht-frontend")
    params = provider_module("wacht-frontend").TARGET_PARAMS
    args = ["--conformance-provider", "wacht-frontend", "--conformance-target-url", url, "--conformance-examples", "3"]
    for key, value in params.items():
        args += ["--conformance-target-param", f"{key}={value}"]
    completed, verdicts = run_suite(
        tmp_path,
        *args,
        "--conformance-target-param",
        "session_cookie=wacht_session",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode in (exitcodes.OK, exitcodes.NOT_CONFORMANT), completed.stdout[-3000:]
    assert verdicts["credential_placement"] == "cookie wacht_session"
    assert verdicts["problem"] is None  # the credential was accepted where the user said it goes
    assert statuses(verdicts)["wacht-frontend.auth.wrong-credential"] == "pass"
    assert statuses(verdicts)["wacht-frontend.response.success-status"] == "pass"
    # Without it, the credential goes in __session, which this deployment does not read: refused, and said so.
    refused, verdicts = run_suite(tmp_path / "without", *args, env={"CONFORMANCE_CREDENTIAL": SECRET})
    assert refused.returncode == exitcodes.INCOMPLETE, refused.stdout[-3000:]
    assert "every request carrying the credential (cookie __session) was refused with 401" in verdicts["problem"]
    assert statuses(verdicts)["wacht-frontend.auth.wrong-credential"] == "blocked"
    assert SECRET not in refused.stdout + completed.stdout
