"""The suite proves itself (issue 3's kill matrix), quickly.

The whole matrix, every fault and variant of every provider, is the product's own command,
`conformance selftest`; `.ci/run` runs it as a step of its own after the tests, and it exits
non-zero unless every fault is killed, no variant fails and every requirement fails under a
fault that declares it. What these tests show within the project's test command is that its
machinery works: a hand-picked fault of every provider killed and a conformant variant passed,
each run as the matrix runs it; the generated-only faults surviving the hand-picked probes; and
the command's verdict and exit status on a matrix that holds and on one with each thing wrong."""

import json

import pytest

from conformance import exitcodes
from conformance.cli import main
from conformance.model.catalog import derive
from conformance.model.profile import load
from conformance.reference import available, provider_module, selftest
from conformance.reference.serving import ServerThread, selftest_app

PROVIDERS = available()
MINIMUM_FAULTS = {"anthropic": 25}


@pytest.fixture(scope="module")
def sample():
    """For every provider, the matrix's own run (selftest._one, what each worker process of
    `selftest.run` does) of its first hand-picked fault and of a conformant variant other than
    the default, against every behaviour served as `selftest.run` serves them."""
    credential = "selftest-credential-3e1f"
    server = ServerThread(selftest_app(PROVIDERS, credential))
    root = server.start()
    outcomes = {}
    try:
        for key in PROVIDERS:
            module = provider_module(key)
            name, fault = next((n, f) for n, f in module.FAULTS.items() if not f.generated_only)
            variant = next(v for v in module.VARIANTS.values() if v.name != "default")
            breaks = tuple(f"{key}.{suffix}" for suffix in variant.should_breaks)
            outcomes[key] = (
                selftest._one(root, credential, None, key, name, "default", fault.caught_by),
                selftest._one(root, credential, None, key, None, variant.name, breaks),
            )
    finally:
        server.stop()
    return outcomes


@pytest.mark.slow  # `sample` runs the suite ten times
@pytest.mark.parametrize("key", PROVIDERS)
def test_a_fault_is_killed_and_a_variant_passes_for_every_provider(sample, key):
    fault, variant = sample[key]
    assert fault.is_fault and fault.verdict == "killed", (fault.behaviour, fault.failed, fault.errors[:3])
    assert variant.verdict == "passed", (variant.behaviour, variant.failed, variant.errors[:3])
    assert fault.requests > 0 and variant.requests > 0


def _holding(keys) -> list[selftest.Outcome]:
    """A matrix that holds: every variant passes, every fault fails exactly what it declares
    (which covers each catalog: test_faults_declare_catalogued_requirements_and_cover_the_catalog)."""
    outcomes = []
    for key in keys:
        module = provider_module(key)
        for variant in module.VARIANTS.values():
            breaks = tuple(f"{key}.{suffix}" for suffix in variant.should_breaks)
            outcomes.append(selftest.Outcome(key, f"variant/{variant.name}", breaks, list(breaks)))
        for name, fault in module.FAULTS.items():
            outcomes.append(
                selftest.Outcome(
                    key,
                    f"fault/{name}",
                    tuple(fault.caught_by),
                    list(fault.caught_by),
                    generated_only=fault.generated_only,
                )
            )
    return outcomes


def _read(path) -> list[selftest.Outcome]:
    written = json.loads(path.read_text())
    outcomes = [
        selftest.Outcome(**{k: tuple(v) if k == "declared" else v for k, v in o.items() if k != "verdict"})
        for o in written
    ]
    assert [o["verdict"] for o in written] == [o.verdict for o in outcomes]
    return outcomes


def _changed(outcomes, behaviour, failed):
    return [
        selftest.Outcome(
            o.provider, o.behaviour, o.declared, failed(o) if o.behaviour == behaviour else o.failed, o.errors
        )
        for o in outcomes
    ]


def _broken(outcomes, what):
    """The matrix with one thing wrong, and the words the command must name it with."""
    fault = next(o for o in outcomes if o.is_fault and not o.generated_only)
    variant = next(o for o in outcomes if not o.is_fault)
    catalog = [r.id for r in derive(load(fault.provider))]

    def undeclared(o):
        return next(rid for rid in catalog if rid not in o.declared)

    if what == "a survivor":
        return _changed(outcomes, fault.behaviour, lambda o: []), f"{fault.behaviour}: survived"
    if what == "a misattributed fault":
        return _changed(outcomes, fault.behaviour, lambda o: [undeclared(o)]), f"{fault.behaviour}: misattributed"
    if what == "a false positive":
        return (
            _changed(outcomes, variant.behaviour, lambda o: [*o.failed, undeclared(o)]),
            f"{variant.behaviour}: false positive",
        )
    if what == "an error in a variant":
        return (
            [
                selftest.Outcome(
                    o.provider,
                    o.behaviour,
                    o.declared,
                    o.failed,
                    ["x: the suite could not check it"] if o is variant else [],
                )
                for o in outcomes
            ],
            f"{variant.behaviour}: false positive",
        )
    # A probe whose own check stopped biting, though every fault it shares is still killed.
    faults = [o for o in outcomes if o.is_fault]
    victim = next(r for o in faults for r in o.failed if all(len(f.failed) > 1 for f in faults if r in f.failed))
    return (
        [
            selftest.Outcome(o.provider, o.behaviour, o.declared, [r for r in o.failed if r != victim], o.errors)
            for o in outcomes
        ],
        f"{victim}: no fault that declares it makes it fail",
    )


@pytest.mark.parametrize("key", PROVIDERS)
def test_the_selftest_command_exits_0_on_a_matrix_that_holds(key, monkeypatch, tmp_path, capsys):
    matrix = _holding([key])
    monkeypatch.setattr(selftest, "run", lambda keys, **kwargs: matrix if keys == [key] else [])
    status = main(["selftest", "--provider", key, "--json", str(tmp_path / "outcomes.json")])
    out = capsys.readouterr().out.strip().splitlines()
    assert status == exitcodes.OK and not [line for line in out if line.startswith("!!")]
    assert out[-1] == selftest.last_line(matrix)
    assert out[-1] == (
        f"selftest: killed {len(provider_module(key).FAULTS)}/{len(provider_module(key).FAULTS)} "
        "(100.0%), misattributed 0, false positives 0, requirements never failed 0"
    )
    # A row for every variant and fault, each ending in its verdict, and the same in the JSON.
    assert len(matrix) == len(provider_module(key).VARIANTS) + len(provider_module(key).FAULTS)
    for o in matrix:
        assert any(line.startswith(o.behaviour) and line.endswith(o.verdict) for line in out), o.behaviour
    written = _read(tmp_path / "outcomes.json")
    assert [(o.behaviour, o.failed) for o in written] == [(o.behaviour, o.failed) for o in matrix]


@pytest.mark.parametrize(
    "what",
    [
        "a survivor",
        "a misattributed fault",
        "a false positive",
        "an error in a variant",
        "a requirement that never fails",
    ],
)
def test_the_selftest_command_exits_1_naming_what_broke(what, monkeypatch, tmp_path, capsys):
    """`.ci/run` relies on the command's exit status: with one thing wrong the matrix does not
    pass, the command exits 1, the tally says so and a `!!` line names it."""
    matrix, named = _broken(_holding(PROVIDERS), what)
    assert not selftest.passed(matrix)
    monkeypatch.setattr(selftest, "run", lambda keys, **kwargs: matrix)
    status = main(["selftest", "--json", str(tmp_path / "outcomes.json")])
    out = capsys.readouterr().out
    assert status == exitcodes.NOT_CONFORMANT, out[-2000:]
    assert any(line.startswith("!!") and named in line for line in out.splitlines()), out[-2000:]
    assert out.strip().splitlines()[-1] == selftest.last_line(matrix) != selftest.last_line(_holding(PROVIDERS))
    assert [o.verdict for o in _read(tmp_path / "outcomes.json")] == [o.verdict for o in matrix]


def test_a_requirement_that_never_fails_is_named_even_when_every_fault_is_killed():
    """The per-requirement matrix notices a probe whose own check stopped biting: drop every
    failure of one requirement and the selftest names it and does not pass."""
    matrix, _ = _broken(_holding(PROVIDERS), "a requirement that never fails")
    never = selftest.requirements_never_failed(matrix)
    assert len(never) == 1 and selftest.tally(matrix)["killed"] == selftest.tally(matrix)["faults"]
    assert selftest.last_line(matrix).endswith("requirements never failed 1")


@pytest.mark.parametrize("key", PROVIDERS)
def test_each_provider_has_enough_faults_and_variants(key):
    module = provider_module(key)
    hand = [f for f in module.FAULTS.values() if not f.generated_only]
    generated = [f for f in module.FAULTS.values() if f.generated_only]
    assert len(hand) >= MINIMUM_FAULTS.get(key, 15)
    assert len(generated) >= 3
    assert "default" in module.VARIANTS and len(module.VARIANTS) >= 3


@pytest.mark.parametrize("key", PROVIDERS)
def test_faults_declare_catalogued_requirements_and_cover_the_catalog(key):
    catalog = {r.id for r in derive(load(key))}
    declared = set()
    for fault in provider_module(key).FAULTS.values():
        assert fault.caught_by and set(fault.caught_by) <= catalog, fault.name
        declared |= set(fault.caught_by)
    assert catalog - declared == set()


@pytest.mark.slow  # the matrix's own runs of every generated-only fault
def test_generated_only_faults_are_missed_by_the_hand_picked_probes():
    """They exist to prove generation adds something: with generation off they must survive.
    (This also runs `selftest.run` itself: its worker processes, against every provider.)"""
    outcomes = selftest.run(PROVIDERS, examples=0, only_generated=True)
    assert len(outcomes) == sum(f.generated_only for key in PROVIDERS for f in provider_module(key).FAULTS.values())
    assert outcomes and all(o.verdict == "survived" for o in outcomes if o.is_fault), [
        (o.behaviour, o.failed) for o in outcomes if o.is_fault and o.verdict != "survived"
    ]
