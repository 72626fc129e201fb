"""Why a run measured nothing about the page: most creates answered 404 or 405 (the target URL
does not name the endpoint), or the requests carrying the run's credential were refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.model.auth import credential_place
from conformance.model.catalog import rid
from conformance.model.outcome import BLOCKED, PASS
from conformance.options import flag_name

if TYPE_CHECKING:
    from conformance.pytest_plugin.run import Run

# More than this share of the answers to requests sent with the run's credential being 401 or
# 403 means the credential was refused: nothing else was measured (Schemathesis warns alike).
REFUSED_SHARE = 0.5
REFUSED_MINIMUM = 3
# Likewise, most creates answered 404 or 405: the URL is not the endpoint, nothing was measured.
WRONG_URL_STATUSES = (404, 405)


def wrong_url(run: Run) -> str | None:
    """Most creates answered 404 or 405: the target URL does not name the endpoint (a path
    missing or doubled, orgo's /api left out). Nothing about the page was measured."""
    url = run.endpoint_url()
    answers = [
        e["response"]["status"]
        for r in run.results
        for e in r["exchanges"]
        if e["response"] is not None
        and "(sent once" not in e["note"]
        and e["request"]["method"] == run.profile.method
        and e["request"]["url"].split("?")[0] == url
    ]
    missed = [status for status in answers if status in WRONG_URL_STATUSES]
    if len(answers) < REFUSED_MINIMUM or len(missed) <= REFUSED_SHARE * len(answers):
        return None
    status = max(WRONG_URL_STATUSES, key=missed.count)
    documented = run.profile.data["endpoint"].get("documented_base", "")
    hint = (
        f" (the documented base URL is {documented}: give that base, or the endpoint's full URL)"
        if run.profile.base_path and run.profile.base_path not in url
        else ""
    )
    return (
        f"check {flag_name('conformance_target_url')}: {run.profile.method} {url} answered {status} "
        f"({len(missed)} of {len(answers)} creates){hint}"
    )


def refused_credential(run: Run) -> str | None:
    answers = [
        e["response"]["status"]
        for r in run.results
        for e in r["exchanges"]
        if e.get("authenticated", True) and e["response"] is not None and "(sent once" not in e["note"]
    ]
    refused = sum(1 for status in answers if status in (401, 403))
    if len(answers) < REFUSED_MINIMUM or refused <= REFUSED_SHARE * len(answers):
        return None
    with_ = " or ".join(str(s) for s in sorted({s for s in answers if s in (401, 403)}))
    place = credential_place(run.profile, run.params) if "auth" in run.profile.data else "where it goes"
    if not run.credential:
        return (
            f"the target refused the credential: {refused} of {len(answers)} requests meant to be "
            f"authenticated were refused with {with_} (no credential was given; the {place} carries none)"
        )
    which = (
        "every request carrying the credential"
        if refused == len(answers)
        else f"{refused} of {len(answers)} requests carrying the credential"
    )
    return (
        f"the target refused the credential: {which} ({place}) {'was' if refused == len(answers) else 'were'} "
        f"refused with {with_}: check the credential (CONFORMANCE_CREDENTIAL) and where it goes"
    )


def block_auth_refusals(run: Run) -> None:
    """Where the requests carrying the run's credential are refused too, the auth probes'
    refusals prove nothing: their requirements are blocked, never passed."""
    auth = [rid(run.profile, "auth.missing-credential"), rid(run.profile, "auth.wrong-credential")]
    why = "not checked: the requests carrying the credential were refused too, so a refusal proves nothing"
    for result in run.results:
        blocked = [r for r in auth if result.get("outcomes", {}).get(r) == PASS]
        for requirement in blocked:
            result["outcomes"][requirement] = BLOCKED
            result["blocked_by"] = {**result.get("blocked_by", {}), requirement: []}
        if blocked and result["status"] == PASS:
            result["status"] = BLOCKED
            result["message"] = "\n".join(f"[{r}] {why}" for r in blocked)
