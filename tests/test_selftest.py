"""The suite proves itself: every fault is killed by a requirement it declares, and every
conformant variant passes (issue 3's kill matrix), on every run of the project's tests."""
import json
import re
import subprocess
import sys

import pytest

from conformance.model.catalog import derive
from conformance.model.profile import load
from conformance.reference import available, provider_module, selftest

PROVIDERS = available()
MINIMUM_FAULTS = {"anthropic": 25}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """`conformance selftest` as a user runs it, once for the module: its console output, exit
    status and the outcomes its --json wrote."""
    where = tmp_path_factory.mktemp("selftest")
    completed = subprocess.run([sys.executable, "-m", "conformance", "selftest", "--json", str(where / "outcomes.json")],
                               capture_output=True, text=True, timeout=900, cwd=where)
    assert (where / "outcomes.json").is_file(), (completed.stdout + completed.stderr)[-3000:]
    written = json.loads((where / "outcomes.json").read_text())
    outcomes = [selftest.Outcome(**{k: tuple(v) if k == "declared" else v for k, v in o.items() if k != "verdict"})
                for o in written]
    assert [o["verdict"] for o in written] == [o.verdict for o in outcomes]
    # A row for every variant and fault of every provider: an empty matrix would pass vacuously.
    assert len(outcomes) == sum(len(provider_module(k).VARIANTS) + len(provider_module(k).FAULTS) for k in PROVIDERS)
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


def test_console_selftest_prints_the_tally_last(console):
    completed, outcomes = console
    last = completed.stdout.strip().splitlines()[-1]
    assert last == selftest.last_line(outcomes)
    assert re.fullmatch(r"selftest: killed (\d+)/\1 \(100\.0%\), misattributed 0, false positives 0, "
                        r"requirements never failed 0", last), last
    assert completed.returncode == 0
