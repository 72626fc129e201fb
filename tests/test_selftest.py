"""The suite proves itself (issue 3's kill matrix), quickly.

The whole matrix, every fault and variant of every provider, is the product's own command,
`conformance selftest`; `.ci/run` runs it as a step of its own after the tests, and it exits
non-zero unless every fault is killed, no variant fails and every requirement fails under a
fault that declares it. What these tests show, within the project's test command, is that the
machinery works: one provider's whole matrix through that command, one fault and one variant
of every provider, the generated-only faults surviving the hand-picked probes, and the logic
that decides the command's exit status."""
import json
import re
import subprocess
import sys

import pytest

from conformance import exitcodes
from conformance.cli import main
from conformance.model.catalog import derive
from conformance.model.profile import load
from conformance.reference import available, provider_module, selftest
from conformance.reference.serving import ServerThread, selftest_app

PROVIDERS = available()
MINIMUM_FAULTS = {"anthropic": 25}
# The provider whose whole matrix runs here: the one with the fewest faults (43, about 10 s on
# two cores). Every provider's whole matrix is `.ci/run`'s selftest step.
MATRIX_PROVIDER = "orgo"


def _read(path) -> list[selftest.Outcome]:
    written = json.loads(path.read_text())
    outcomes = [selftest.Outcome(**{k: tuple(v) if k == "declared" else v for k, v in o.items() if k != "verdict"})
                for o in written]
    assert [o["verdict"] for o in written] == [o.verdict for o in outcomes]
    return outcomes


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """`conformance selftest --provider orgo` as a user runs it, once for the module: its console
    output, exit status and the outcomes its --json wrote."""
    where = tmp_path_factory.mktemp("selftest")
    completed = subprocess.run([sys.executable, "-m", "conformance", "selftest", "--provider", MATRIX_PROVIDER,
                                "--json", str(where / "outcomes.json")],
                               capture_output=True, text=True, timeout=900, cwd=where)
    assert (where / "outcomes.json").is_file(), (completed.stdout + completed.stderr)[-3000:]
    outcomes = _read(where / "outcomes.json")
    # A row for every variant and fault of the provider: an empty matrix would pass vacuously.
    module = provider_module(MATRIX_PROVIDER)
    assert len(outcomes) == len(module.VARIANTS) + len(module.FAULTS)
    assert {o.provider for o in outcomes} == {MATRIX_PROVIDER}
    return completed, outcomes


@pytest.fixture(scope="module")
def outcomes(console):
    return console[1]


def test_every_fault_is_killed_and_no_variant_fails(outcomes):
    problems = [f"{o.provider} {o.behaviour}: {o.verdict}; failed {o.failed}; errors {o.errors[:2]}"
                for o in outcomes if o.verdict not in ("killed", "passed")]
    assert not problems, "\n".join(problems)
    assert selftest.passed(outcomes)


def test_every_catalog_requirement_fails_under_a_fault_declaring_it(outcomes):
    """Killing each fault is not enough: each requirement's own check must be shown to bite."""
    assert selftest.requirements_never_failed(outcomes) == []


def test_a_requirement_that_never_fails_is_reported_and_fails_the_selftest(outcomes):
    """The per-requirement matrix notices a probe whose own check stopped biting: drop every
    failure of one requirement from the outcomes and the selftest must name it and not pass."""
    victim = next(r for o in outcomes if o.is_fault for r in o.failed if r in o.declared)
    blunted = [selftest.Outcome(o.provider, o.behaviour, o.declared, [r for r in o.failed if r != victim], o.errors)
               for o in outcomes]
    assert victim in selftest.requirements_never_failed(blunted)
    assert not selftest.passed(blunted)
    assert selftest.last_line(blunted).endswith(f"requirements never failed {len(selftest.requirements_never_failed(blunted))}")


def test_the_matrix_has_a_row_per_fault_and_variant(outcomes):
    lines = selftest.matrix_lines(outcomes)
    for o in outcomes:
        assert any(line.startswith(o.behaviour) and line.endswith(o.verdict) for line in lines), o.behaviour


def test_console_selftest_prints_the_tally_last(console):
    completed, outcomes = console
    last = completed.stdout.strip().splitlines()[-1]
    assert last == selftest.last_line(outcomes)
    assert re.fullmatch(r"selftest: killed (\d+)/\1 \(100\.0%\), misattributed 0, false positives 0, "
                        r"requirements never failed 0", last), last
    assert completed.returncode == 0


def _changed(outcomes, behaviour, failed):
    return [selftest.Outcome(o.provider, o.behaviour, o.declared, failed(o) if o.behaviour == behaviour else o.failed,
                             o.errors) for o in outcomes]


def _broken_matrices(outcomes):
    """The real matrix, each time with one thing wrong that the selftest step must not let pass."""
    fault = next(o for o in outcomes if o.is_fault and not o.generated_only)
    variant = next(o for o in outcomes if not o.is_fault)
    catalog = [r.id for r in derive(load(fault.provider))]

    def undeclared(o):
        return next(rid for rid in catalog if rid not in o.declared)

    victim = next(r for o in outcomes if o.is_fault for r in o.failed if r in o.declared)
    return {
        "a survivor": (_changed(outcomes, fault.behaviour, lambda o: []), f"{fault.behaviour}: survived"),
        "a misattributed fault": (_changed(outcomes, fault.behaviour, lambda o: [undeclared(o)]),
                                  f"{fault.behaviour}: misattributed"),
        "a false positive": (_changed(outcomes, variant.behaviour, lambda o: [*o.failed, undeclared(o)]),
                             f"{variant.behaviour}: false positive"),
        "a requirement that never fails": (
            [selftest.Outcome(o.provider, o.behaviour, o.declared, [r for r in o.failed if r != victim], o.errors)
             for o in outcomes], f"{victim}: no fault that declares it makes it fail"),
    }


@pytest.mark.parametrize("broken", ["a survivor", "a misattributed fault", "a false positive",
                                    "a requirement that never fails"])
def test_the_selftest_command_exits_non_zero_unless_the_whole_matrix_holds(outcomes, monkeypatch, tmp_path, capsys,
                                                                          broken):
    """`.ci/run` relies on the command's exit status: the real matrix exits 0, and the same
    matrix with one thing wrong exits 1 and names it."""
    matrices = {"none": (outcomes, None), **_broken_matrices(outcomes)}
    for case in ("none", broken):
        matrix, named = matrices[case]
        monkeypatch.setattr(selftest, "run", lambda keys, **kwargs: matrix)
        status = main(["selftest", "--provider", MATRIX_PROVIDER, "--json", str(tmp_path / f"{case}.json")])
        out = capsys.readouterr().out
        assert out.strip().splitlines()[-1] == selftest.last_line(matrix)
        assert [o.verdict for o in _read(tmp_path / f"{case}.json")] == [o.verdict for o in matrix]
        if named is None:
            assert status == exitcodes.OK and "!!" not in out
        else:
            assert status == exitcodes.NOT_CONFORMANT, out[-2000:]
            assert any(line.startswith("!!") and named in line for line in out.splitlines()), out[-2000:]


@pytest.fixture(scope="module")
def every_provider_served():
    """Every provider's variants and faults, served as `selftest.run` serves them."""
    credential = "selftest-credential-3e1f"
    server = ServerThread(selftest_app(PROVIDERS, credential))
    yield server.start(), credential
    server.stop()


@pytest.mark.parametrize("key", PROVIDERS)
def test_one_fault_is_killed_and_one_variant_passes_for_every_provider(every_provider_served, key):
    """The matrix's own run of one behaviour (selftest._one, what each worker of `selftest.run`
    does), for a hand-picked fault and a conformant variant other than the default of each
    provider: its reference server, its faults' prefixes and the verdict logic work there too."""
    root, credential = every_provider_served
    module = provider_module(key)
    name, fault = next((n, f) for n, f in module.FAULTS.items() if not f.generated_only)
    variant = next(v for v in module.VARIANTS.values() if v.name != "default")
    killed = selftest._one(root, credential, None, key, name, "default", fault.caught_by)
    assert killed.verdict == "killed", (killed.failed, killed.errors[:3])
    breaks = tuple(f"{key}.{suffix}" for suffix in variant.should_breaks)
    passed = selftest._one(root, credential, None, key, None, variant.name, breaks)
    assert passed.verdict == "passed", (passed.failed, passed.errors[:3])
    assert killed.requests > 0 and passed.requests > 0


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


def test_generated_only_faults_are_missed_by_the_hand_picked_probes():
    """They exist to prove generation adds something: with generation off they must survive."""
    outcomes = selftest.run(PROVIDERS, examples=0, only_generated=True)
    assert outcomes and all(o.verdict == "survived" for o in outcomes if o.is_fault), \
        [(o.behaviour, o.failed) for o in outcomes if o.is_fault and o.verdict != "survived"]
