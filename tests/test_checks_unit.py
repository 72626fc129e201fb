"""The shared judgments (conformance/engine/checks.py) one by one, on hand-made answers: which answer
breaks which requirement, and the exact finding a report shows for it. Fast and in-process,
so the mutation tester runs these on every mutant (README "Mutation testing")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conformance.client.counters import Budget
from conformance.client.target import Target
from conformance.client.transcript import Exchange
from conformance.engine.checks import (
    describe,
    expect_created,
    expect_equal,
    expect_no_server_error,
    expect_null_rejected_or_absent,
    expect_rejected,
    fail,
    index_of,
    parse_timestamp,
    passive_findings,
    status_allowed,
    statuses_text,
)
from conformance.model.catalog import rid
from conformance.model.outcome import ConformanceFailure, Finding
from conformance.model.profile import load


def _target(key: str = "anthropic") -> Target:
    def nothing_is_sent(request):
        raise AssertionError("these tests judge hand-made answers; nothing goes out")

    return Target(
        load(key),
        "http://target.test",
        "right",
        {},
        run_id="t",
        budget=Budget(5),
        transport=httpx.MockTransport(nothing_is_sent),
    )


def _answer(
    target: Target | None,
    status: int | None,
    body=None,
    *,
    text: str | None = None,
    json_error: str | None = None,
    error: str | None = None,
) -> Exchange:
    """An answer as the client records it, appended to the target's transcript."""
    exchange = Exchange(
        "POST",
        "http://target.test/x",
        {},
        "{}",
        status=status,
        json=body,
        json_error=json_error,
        error=error,
        response_text=text if text is not None else ("" if body is None else json.dumps(body)),
    )
    if target is not None:
        target.transcript.append(exchange)
    return exchange


def _raised(call) -> list[dict]:
    with pytest.raises(ConformanceFailure) as caught:
        call()
    return [f.to_dict() for f in caught.value.findings]


def _finding(requirement, title, expected, observed, exchange) -> dict:
    return Finding(requirement, title, expected, observed, exchange).to_dict()


# -- statuses ------------------------------------------------------------------------------
def test_a_status_is_allowed_by_its_number_or_its_class():
    assert status_allowed(200, [200])
    assert status_allowed(201, [200, 201])
    assert status_allowed(404, ["4XX"])
    assert status_allowed(422, [400, "4XX"])
    assert not status_allowed(201, [200])
    assert not status_allowed(500, ["4XX"])
    assert not status_allowed(400, [])


def test_no_answer_is_never_an_allowed_status():
    assert status_allowed(None, [200, "2XX", "4XX"]) is False


def test_statuses_are_listed_with_or():
    assert statuses_text([400, 422, "4XX"]) == "400 or 422 or 4XX"


# -- how an answer is described in a finding -----------------------------------------------
def test_no_answer_is_described_by_its_transport_error():
    assert describe(_answer(None, None, error="connection refused")) == "connection refused"
    assert describe(_answer(None, None)) == "no answer"


def test_an_answer_is_described_by_status_and_body_on_one_line():
    assert describe(_answer(None, 400, text='  {"a":\n1}\n')) == 'HTTP 400 {"a": 1}'
    assert describe(_answer(None, 204, text="")) == "HTTP 204"


def test_a_long_body_is_cut_at_160_characters():
    assert describe(_answer(None, 500, text="x" * 160)) == "HTTP 500 " + "x" * 160
    assert describe(_answer(None, 500, text="x" * 161)) == "HTTP 500 " + "x" * 160 + "…"


# -- raising findings ----------------------------------------------------------------------
def test_a_finding_points_at_its_exchange_in_the_transcript():
    target = _target()
    first, second = _answer(target, 200, {}), _answer(target, 200, {})
    assert (index_of(target, first), index_of(target, second)) == (0, 1)
    assert index_of(target, _answer(None, 200, {})) is None
    assert _raised(lambda: fail(target, "r", "title", "wanted", "seen", second)) == [
        _finding("r", "title", "wanted", "seen", 1)
    ]
    assert _raised(lambda: fail(target, "r", "title", "wanted", "seen")) == [
        _finding("r", "title", "wanted", "seen", None)
    ]


def test_a_requirement_id_is_prefixed_with_the_provider():
    assert rid(_target("orgo").profile, "response.id") == "orgo.response.id"


# -- expect_created ------------------------------------------------------------------------
def test_a_created_resource_is_returned_from_where_the_profile_says_it_is():
    target = _target("wacht-backend")
    resource = {"id": "1", "name": "n"}
    answer = _answer(target, 200, {"status": 200, "data": {"workspace": resource}})
    assert expect_created(target, answer, "wacht-backend.name.echoed", "the name is echoed") == resource


def test_a_refused_create_fails_the_probes_requirement_with_the_documented_statuses():
    target = _target("orgo")
    _answer(target, 201, {})
    refused = _answer(target, 400, {"detail": "no"})
    assert _raised(lambda: expect_created(target, refused, "orgo.name.echoed", "a valid create is accepted")) == [
        _finding("orgo.name.echoed", "a valid create is accepted", "HTTP 200 or 201", 'HTTP 400 {"detail": "no"}', 1)
    ]


def test_an_accepted_create_without_json_fails_the_content_type_requirement():
    target = _target()
    html = _answer(target, 200, None, text="<html>", json_error="not JSON: Expecting value")
    assert _raised(lambda: expect_created(target, html, "anthropic.name.echoed", "echoed")) == [
        _finding(
            "anthropic.response.content-type",
            "the created resource is JSON",
            "a JSON body",
            "not JSON: Expecting value",
            0,
        )
    ]
    empty = _answer(target, 200, None)
    assert _raised(lambda: expect_created(target, empty, "anthropic.name.echoed", "echoed")) == [
        _finding("anthropic.response.content-type", "the created resource is JSON", "a JSON body", "no body", 1)
    ]


def test_an_answer_without_the_resource_where_documented_fails_the_probes_requirement():
    target = _target("wacht-backend")
    answer = _answer(target, 200, {"status": 200, "data": None})
    assert _raised(lambda: expect_created(target, answer, "wacht-backend.name.echoed", "echoed")) == [
        _finding(
            "wacht-backend.name.echoed",
            "echoed",
            "the resource at '/data/workspace'",
            'HTTP 200 {"status": 200, "data": null}',
            0,
        )
    ]


# -- expect_rejected -----------------------------------------------------------------------
def test_a_rejection_with_the_one_documented_status_passes_silently():
    target = _target()
    expect_rejected(target, _answer(target, 400, {}), "anthropic.name.max-length", "too long", "validation")
    assert target.observations == []


def test_a_rejection_where_several_statuses_are_allowed_records_which_one_was_chosen():
    target = _target("orgo")
    expect_rejected(target, _answer(target, 422, {}), "orgo.name.type", "a number is refused", "validation")
    assert [o.to_dict() for o in target.observations] == [
        {"requirement": "orgo.name.type", "text": "rejected with HTTP 422"}
    ]


def test_a_rejection_allowed_by_status_class_records_the_status():
    target = _target("d3lay")
    expect_rejected(
        target, _answer(target, 406, {}), "d3lay.x-api-version.unknown-rejected", "another version is refused"
    )
    assert [o.to_dict() for o in target.observations] == [
        {"requirement": "d3lay.x-api-version.unknown-rejected", "text": "rejected with HTTP 406"}
    ]


def test_a_requirement_with_its_own_statuses_is_judged_by_them_not_by_validation():
    target = _target("orgo")
    _answer(target, 201, {})
    answer = _answer(target, 422, {"detail": "empty"})
    # orgo documents 400 for an empty name only; a 422 allowed for other validation is not enough.
    assert _raised(lambda: expect_rejected(target, answer, "orgo.name.min-length", "an empty name is refused")) == [
        _finding(
            "orgo.name.min-length",
            "an empty name is refused",
            "a rejection with HTTP 400",
            'HTTP 422 {"detail": "empty"}',
            1,
        )
    ]


# -- expect_no_server_error and expect_equal -----------------------------------------------
def test_only_a_5xx_breaks_no_server_error():
    target = _target()
    for status in (None, 200, 404, 499):
        expect_no_server_error(target, _answer(target, status, {}), "why")
    answer = _answer(target, 500, {"x": 1})
    assert _raised(lambda: expect_no_server_error(target, answer, "malformed input is refused")) == [
        _finding(
            "anthropic.robustness.no-server-error",
            "malformed input is refused",
            "a 2xx or 4xx answer",
            'HTTP 500 {"x": 1}',
            4,
        )
    ]
    expect_no_server_error(target, _answer(target, 499, {}), "why")


def test_expect_equal_fails_with_both_values_shown_as_reprs():
    target = _target()
    answer = _answer(target, 200, {})
    expect_equal(target, "r", "same", "a", "a", answer)
    assert _raised(lambda: expect_equal(target, "r", "the name is echoed", "abc", "ab", answer)) == [
        _finding("r", "the name is echoed", "'abc'", "'ab'", 0)
    ]
    assert _raised(lambda: expect_equal(target, "r", "null on create", None, False, answer))[0]["observed"] == "False"


# -- timestamps ----------------------------------------------------------------------------
def test_rfc3339_timestamps_in_every_accepted_form():
    utc = timezone.utc
    assert parse_timestamp("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp("2024-01-02t03:04:05z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp("2024-01-02 03:04:05") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp("2024-01-02T03:04:05.5+02:00") == datetime(
        2024, 1, 2, 3, 4, 5, 500000, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_timestamp("2024-01-02T03:04:05.123456789-01:30").microsecond == 123456


def test_a_value_that_is_not_a_timestamp_is_refused_by_name():
    for value in ("<script>", "2024-01-02", "2024-01-02T03:04:05Zjunk"):
        with pytest.raises(ValueError, match="not an RFC 3339 date-time: "):
            parse_timestamp(value)


# -- passive checks ------------------------------------------------------------------------
def _passive(key: str, *answers: Exchange, already=()):
    return passive_findings(load(key), list(enumerate(answers)), list(already))


def test_every_answer_is_judged_for_server_errors_and_no_answer_is_not():
    judged, found = _passive("orgo", _answer(None, None, error="refused"))
    assert (judged, found) == (set(), [])
    judged, found = _passive("orgo", _answer(None, 200, {}), _answer(None, 503, None, text="down"))
    assert judged == {"orgo.robustness.no-server-error", "orgo.response.encoding"}
    assert [f.to_dict() for f in found] == [
        _finding(
            "orgo.robustness.no-server-error",
            "no request is answered with a 5xx",
            "a 2xx or 4xx answer",
            "HTTP 503 down",
            1,
        )
    ]


def test_a_finding_already_raised_on_the_same_exchange_is_not_repeated():
    five_hundred = _answer(None, 500, None, text="boom")
    already = [Finding("orgo.robustness.no-server-error", "t", "e", "o", 0)]
    assert _passive("orgo", five_hundred, already=already)[1] == []
    # The same answer listed twice (a shared create) is judged once.
    _judged, found = passive_findings(load("orgo"), [(0, five_hundred), (0, five_hundred)], [])
    assert [f.exchange for f in found] == [0]


def test_a_5xx_is_not_judged_as_an_error_body():
    judged, found = _passive(
        "anthropic", _answer(None, 500, {"type": "error", "error": {"type": "api_error", "message": "m"}})
    )
    assert judged == {"anthropic.robustness.no-server-error", "anthropic.response.encoding"}
    assert [f.requirement for f in found] == ["anthropic.robustness.no-server-error"]


def test_the_envelope_status_must_equal_the_http_status():
    ok = {"status": 200, "message": "", "data": {}, "errors": None}
    judged, found = _passive("wacht-backend", _answer(None, 200, ok))
    assert judged == {
        "wacht-backend.robustness.no-server-error",
        "wacht-backend.response.encoding",
        "wacht-backend.envelope.status",
        "wacht-backend.envelope.session-on-every-answer",
    }
    # None of these bodies carries `session`: each is also a finding of the every-answer requirement.
    session = (
        "wacht-backend.envelope.session-on-every-answer",
        "every answer, success or error, carries `session` as an object (null only when the credential was refused)",
        "an object at /session",
        "absent in an HTTP 200 answer",
    )
    assert [f.to_dict() for f in found] == [_finding(*session, 0)]
    judged, found = _passive(
        "wacht-backend", _answer(None, 200, {**ok, "status": 201}), _answer(None, 200, {"message": ""})
    )
    assert [f.to_dict() for f in found] == [
        _finding(
            "wacht-backend.envelope.status", "the envelope status equals the HTTP status", "status 200", "status 201", 0
        ),
        _finding(*session, 0),
        _finding(
            "wacht-backend.envelope.status",
            "the envelope status equals the HTTP status",
            "status 200",
            "status '(absent)'",
            1,
        ),
        _finding(*session, 1),
    ]


def _envelope_status_findings(key: str, status: int) -> tuple[bool, list]:
    """Whether the envelope status of an answer with HTTP STATUS (and envelope status 999) was
    judged, and the findings on it."""
    judged, found = _passive(key, _answer(None, status, {"status": 999, "message": "m", "errors": []}))
    return f"{key}.envelope.status" in judged, [f.observed for f in found if f.requirement == f"{key}.envelope.status"]


def test_the_envelope_status_is_judged_on_every_answer_unless_the_page_shows_it_on_success_only():
    # wacht-backend's page documents the envelope for every answer, success or error.
    for status in (200, 201, 400, 422, 300):
        assert _envelope_status_findings("wacht-backend", status) == (True, ["status 999"]), status
    # wacht-frontend's shows it only in its success example: a 2xx is held to it, nothing else.
    for status in (200, 201, 299):
        assert _envelope_status_findings("wacht-frontend", status) == (True, ["status 999"]), status
    for status in (199, 300, 400, 422):
        assert _envelope_status_findings("wacht-frontend", status) == (False, []), status


def test_an_answer_that_is_not_an_object_is_not_judged_for_its_envelope():
    judged, found = _passive("wacht-backend", _answer(None, 200, [1, 2]))
    assert judged == {"wacht-backend.robustness.no-server-error", "wacht-backend.response.encoding"} and found == []


def test_a_rejection_without_a_json_body_breaks_the_error_body_requirement():
    judged, found = _passive(
        "anthropic",
        _answer(None, 400, None, text="bad", json_error="not JSON: Expecting value"),
        _answer(None, 422, None),
    )
    assert judged == {"anthropic.robustness.no-server-error", "anthropic.response.encoding", "anthropic.error.body"}
    title = "every rejection carries the documented error body"
    assert [f.to_dict() for f in found] == [
        _finding("anthropic.error.body", title, "a JSON error body", "not JSON: Expecting value", 0),
        _finding("anthropic.error.body", title, "a JSON error body", "no body", 1),
    ]


def test_an_invalid_error_body_is_reported_at_its_first_broken_path():
    body = {"type": "nope", "error": {"type": "invalid_request_error", "message": 2}}
    judged, found = _passive("anthropic", _answer(None, 400, body))
    assert [f.to_dict() for f in found] == [
        _finding(
            "anthropic.error.body",
            "every rejection carries the documented error body",
            "a body valid against error.schema.json",
            "at /error/message: 2 is not of type 'string'",
            0,
        )
    ]
    assert "anthropic.error.type-matches-status" not in judged  # not judged on a body of the wrong shape
    _, found = _passive("anthropic", _answer(None, 400, {"error": {"type": "x", "message": "m"}}))
    assert [f.observed for f in found] == ["at /: 'type' is a required property"]


def test_the_error_type_must_match_the_status_where_the_profile_maps_them():
    def body(kind):
        return {"type": "error", "error": {"type": kind, "message": "m"}}

    judged, found = _passive(
        "anthropic", _answer(None, 400, body("invalid_request_error")), _answer(None, 401, body("authentication_error"))
    )
    assert found == []
    assert judged == {
        "anthropic.robustness.no-server-error",
        "anthropic.response.encoding",
        "anthropic.error.body",
        "anthropic.error.type-matches-status",
    }
    judged, found = _passive("anthropic", _answer(None, 400, body("api_error")))
    assert [f.to_dict() for f in found] == [
        _finding(
            "anthropic.error.type-matches-status",
            "the error type matches the status",
            "'invalid_request_error' for HTTP 400",
            "'api_error'",
            0,
        )
    ]


def test_a_status_the_profile_does_not_map_is_not_judged_for_its_error_type():
    judged, found = _passive("anthropic", _answer(None, 418, {"type": "error", "error": {"type": "x", "message": "m"}}))
    assert (
        judged == {"anthropic.robustness.no-server-error", "anthropic.response.encoding", "anthropic.error.body"}
        and found == []
    )


def test_a_profile_without_an_error_schema_does_not_judge_error_bodies():
    judged, found = _passive("orgo", _answer(None, 400, None, text="plain"))
    assert judged == {"orgo.robustness.no-server-error", "orgo.response.encoding"} and found == []


# -- expect_created: the answers that are not a usable create ---------------------------------
def test_a_create_answered_with_a_5xx_is_blocked_by_no_server_error_not_failed():
    from conformance.model.outcome import CheckBlocked

    target = _target("orgo")
    for status in (500, 503):
        with pytest.raises(CheckBlocked) as caught:
            expect_created(target, _answer(target, status, {"detail": "down"}), "orgo.name.echoed", "echoed")
        assert caught.value.by == ["orgo.robustness.no-server-error"]
        assert caught.value.observed == f"the target answered HTTP {status}"
    # 499 is no server error: the create is refused, and the probe's own requirement says so.
    refused = _answer(target, 499, {})
    assert _raised(lambda: expect_created(target, refused, "orgo.name.echoed", "accepted")) == [
        _finding("orgo.name.echoed", "accepted", "HTTP 200 or 201", "HTTP 499 {}", 2)
    ]


def test_a_create_that_got_no_answer_fails_the_probes_requirement_with_the_transport_error():
    target = _target()
    lost = _answer(target, None, error="connection reset")
    assert _raised(lambda: expect_created(target, lost, "anthropic.name.echoed", "a create is accepted")) == [
        _finding("anthropic.name.echoed", "a create is accepted", "HTTP 200", "connection reset", 0)
    ]


def test_a_create_whose_body_is_not_coded_as_declared_fails_the_encoding_requirement():
    target = _target("orgo")
    answer = _answer(target, 201, {"id": "1"})
    answer.encoding_problem = "Content-Encoding gzip, but the body is not gzip"
    assert _raised(lambda: expect_created(target, answer, "orgo.name.echoed", "echoed")) == [
        _finding(
            "orgo.response.encoding",
            "the body is coded as its Content-Encoding says",
            "a body its Content-Encoding header describes",
            "Content-Encoding gzip, but the body is not gzip",
            0,
        )
    ]


def test_each_documented_success_status_returns_the_resource_at_the_top_when_the_profile_says_so():
    target = _target("orgo")
    for status in (200, 201):
        assert expect_created(target, _answer(target, status, {"id": str(status)}), "orgo.name.echoed", "e") == {
            "id": str(status)
        }


def test_a_resource_path_through_a_list_or_a_string_fails_the_probes_requirement():
    target = _target("wacht-backend")
    for body in ({"data": []}, {"data": "workspace"}, {"data": {"other": 1}}):
        answer = _answer(target, 200, body)
        assert [
            f["requirement"]
            for f in _raised(
                lambda answer=answer: expect_created(target, answer, "wacht-backend.name.echoed", "echoed")
            )
        ] == ["wacht-backend.name.echoed"]


# -- expect_null_rejected_or_absent ----------------------------------------------------------
def test_a_null_optional_field_refused_with_a_documented_status_passes_and_says_which():
    target = _target("orgo")
    for status in (400, 422):
        expect_null_rejected_or_absent(target, _answer(target, status, {}), "orgo.icon_url.type", "icon_url")
    assert [o.to_dict() for o in target.observations] == [
        {"requirement": "orgo.icon_url.type", "text": "rejected with HTTP 400"},
        {"requirement": "orgo.icon_url.type", "text": "rejected with HTTP 422"},
    ]
    single = _target("wacht-frontend")
    expect_null_rejected_or_absent(single, _answer(single, 400, {}), "wacht-frontend.description.type", "description")
    assert single.observations == []  # one documented status: nothing to record


def test_a_null_optional_field_refused_with_an_undocumented_status_fails():
    target = _target("orgo")
    answer = _answer(target, 409, {"detail": "no"})
    assert _raised(lambda: expect_null_rejected_or_absent(target, answer, "orgo.icon_url.type", "icon_url")) == [
        _finding(
            "orgo.icon_url.type",
            "a null `icon_url` is rejected or taken as absent",
            "a rejection with HTTP 400 or 422",
            'HTTP 409 {"detail": "no"}',
            0,
        )
    ]


def test_a_null_optional_field_answered_with_a_5xx_is_blocked_by_no_server_error():
    from conformance.model.outcome import CheckBlocked

    target = _target("orgo")
    with pytest.raises(CheckBlocked) as caught:
        expect_null_rejected_or_absent(target, _answer(target, 500, {}), "orgo.icon_url.type", "icon_url")
    assert caught.value.by == ["orgo.robustness.no-server-error"]


def test_a_null_optional_field_accepted_and_stored_as_null_or_left_out_passes_and_says_how():
    target = _target("orgo")
    expect_null_rejected_or_absent(
        target, _answer(target, 201, {"id": "1", "icon_url": None}), "orgo.icon_url.type", "icon_url"
    )
    expect_null_rejected_or_absent(target, _answer(target, 200, {"id": "2"}), "orgo.status.type", "status")
    expect_null_rejected_or_absent(
        target, _answer(target, 201, {"id": "3", "status": "active"}), "orgo.status.type", "status"
    )
    assert [o.to_dict() for o in target.observations] == [
        {"requirement": "orgo.icon_url.type", "text": "a null `icon_url` is accepted and stored as None"},
        {"requirement": "orgo.status.type", "text": "a null `status` is accepted and stored as (absent)"},
        {"requirement": "orgo.status.type", "text": "a null `status` is accepted and stored as 'active'"},
    ]


def test_a_null_optional_field_accepted_and_stored_as_a_value_the_schema_refuses_fails():
    target = _target("orgo")
    _answer(target, 201, {})
    stored_null = _answer(target, 201, {"id": "1", "status": None})
    assert _raised(lambda: expect_null_rejected_or_absent(target, stored_null, "orgo.status.type", "status")) == [
        _finding(
            "orgo.status.type",
            "a null `status` accepted is stored as a valid value",
            "a value the resource schema allows",
            "None: None is not of type 'string'",
            1,
        )
    ]
    stored_other = _answer(target, 201, {"id": "1", "status": "pending"})
    assert [
        f["observed"]
        for f in _raised(lambda: expect_null_rejected_or_absent(target, stored_other, "orgo.status.type", "status"))
    ] == ["'pending': 'pending' is not one of ['active', 'inactive']"]
    assert target.observations == []


def test_a_null_field_is_judged_where_the_profile_echoes_it_in_the_resource():
    target = _target("wacht-backend")
    answer = _answer(target, 200, {"status": 200, "data": {"workspace": {"id": "1", "description": 7}}})
    assert [
        f["observed"]
        for f in _raised(
            lambda: expect_null_rejected_or_absent(target, answer, "wacht-backend.description.type", "description")
        )
    ] == ["7: 7 is not of type 'string', 'null'"]
    inside = _answer(
        target, 200, {"status": 200, "data": {"workspace": {"id": "1", "description": None}}, "description": 7}
    )
    expect_null_rejected_or_absent(target, inside, "wacht-backend.description.type", "description")
    assert [o.text for o in target.observations] == ["a null `description` is accepted and stored as None"]


def test_a_null_field_the_resource_does_not_echo_is_taken_as_absent():
    target = _target("orgo")
    expect_null_rejected_or_absent(target, _answer(target, 201, {"id": "1", "extra": 5}), "orgo.icon_url.type", "extra")
    assert [o.text for o in target.observations] == ["a null `extra` is accepted and stored as (absent)"]


def test_a_null_field_accepted_without_the_documented_resource_fails_as_a_create():
    target = _target("wacht-frontend")
    no_json = _answer(target, 201, None, text="ok")
    assert [
        f["requirement"]
        for f in _raised(
            lambda: expect_null_rejected_or_absent(target, no_json, "wacht-frontend.description.type", "description")
        )
    ] == ["wacht-frontend.response.content-type"]
    no_resource = _answer(target, 201, {"status": 201, "data": None})
    assert _raised(
        lambda: expect_null_rejected_or_absent(target, no_resource, "wacht-frontend.description.type", "description")
    ) == [
        _finding(
            "wacht-frontend.description.type",
            "a null `description` is taken as absent",
            "the resource at '/data/workspace'",
            'HTTP 201 {"status": 201, "data": null}',
            1,
        )
    ]


# -- the passive check of envelope members on every answer ------------------------------------
SESSION = "wacht-backend.envelope.session-on-every-answer"


def _session_findings(status: int, body: dict):
    judged, found = _passive("wacht-backend", _answer(None, status, {"status": status, **body}))
    return judged, [f.to_dict() for f in found if f.requirement == SESSION]


def test_a_session_object_on_any_answer_holds_and_is_judged():
    for status in (200, 400, 401, 404):
        judged, found = _session_findings(status, {"session": {"id": "s"}})
        assert SESSION in judged and found == [], status


def test_a_null_session_is_allowed_only_where_the_credential_was_refused():
    for status in (401, 403):
        assert _session_findings(status, {"session": None})[1] == [], status
    title = "every answer, success or error, carries `session` as an object (null only when the credential was refused)"
    for status in (200, 400, 422):
        judged, found = _session_findings(status, {"session": None})
        assert SESSION in judged
        assert found == [_finding(SESSION, title, "an object at /session", f"None in an HTTP {status} answer", 0)]


def test_a_session_of_another_type_or_absent_breaks_the_requirement_and_says_what_was_there():
    assert [f["observed"] for f in _session_findings(401, {"session": "s"})[1]] == ["'s' in an HTTP 401 answer"]
    assert [f["observed"] for f in _session_findings(200, {"session": []})[1]] == ["[] in an HTTP 200 answer"]
    assert [f["observed"] for f in _session_findings(403, {})[1]] == ["absent in an HTTP 403 answer"]
    assert [f["observed"] for f in _session_findings(200, {"session": "(absent)x"})[1]] == [
        "'(absent)x' in an HTTP 200 answer"
    ]


def test_a_profile_with_an_envelope_but_no_every_answer_rule_judges_none():
    judged, found = _passive("wacht-frontend", _answer(None, 201, {"status": 201, "data": {}}))
    assert not any("session" in rid for rid in judged) and found == []


def test_the_passive_findings_of_several_answers_each_point_at_their_own_exchange():
    _, found = _passive(
        "wacht-backend",
        _answer(None, 200, {"status": 200, "session": {}}),
        _answer(None, 200, {"status": 200}),
        _answer(None, 400, {"status": 400}),
    )
    assert [(f.requirement, f.exchange) for f in found if f.requirement == SESSION] == [(SESSION, 1), (SESSION, 2)]


def test_a_body_not_coded_as_declared_breaks_the_encoding_requirement_on_any_answer():
    problem = "Content-Encoding gzip, but the body is not gzip"
    answers = [_answer(None, 200, {"id": "1"}), _answer(None, 400, None, json_error="the body could not be decoded")]
    for answer in answers:
        answer.encoding_problem = problem
    judged, found = _passive("orgo", *answers)
    assert judged == {"orgo.robustness.no-server-error", "orgo.response.encoding"}
    assert [f.to_dict() for f in found] == [
        _finding(
            "orgo.response.encoding",
            "every body is coded as its Content-Encoding header declares",
            "a body its Content-Encoding header describes",
            problem,
            index,
        )
        for index in (0, 1)
    ]


def test_a_null_field_is_judged_even_where_the_resource_schema_lists_no_properties(monkeypatch):
    """A user's profile may give the resource schema without `properties`: the null is then
    taken as stored, with no schema to hold it to, rather than the check crashing."""
    target = _target("orgo")
    monkeypatch.delitem(target.profile.resource_schema, "properties")
    expect_null_rejected_or_absent(
        target, _answer(target, 201, {"id": "1", "icon_url": None}), "orgo.icon_url.type", "icon_url"
    )
    assert [o.text for o in target.observations] == ["a null `icon_url` is accepted and stored as None"]


def test_every_rule_for_every_answer_is_judged_not_only_the_first(monkeypatch):
    """A profile may put several envelope members in every answer: each is judged, the ones
    after a member that holds too."""
    profile = load("wacht-backend")
    second = {**profile.envelope["on_every_answer"][0], "title": "a second member on every answer", "pointer": "/trace"}
    monkeypatch.setitem(profile.envelope, "on_every_answer", [*profile.envelope["on_every_answer"], second])
    _judged, found = _passive("wacht-backend", _answer(None, 200, {"status": 200, "session": {}}))
    assert [(f.requirement, f.title) for f in found if f.requirement == SESSION] == [(SESSION, second["title"])]
