"""Mutation score of the verdict pipeline: how many small changes to the code that decides
outcomes the fast unit tests notice.

mutmut (configured under [tool.mutmut] in pyproject.toml) mutates conformance/model/outcome.py,
reports/summary.py, engine/checks.py, engine/runner.py and probes/__init__.py (the in-process
run), and runs only the in-process tests (test_outcomes, test_verdicts_unit, test_checks_unit,
test_execute_unit, test_suite_run_unit) against each mutant. This script
starts from a clean mutants/ directory, runs mutmut, and prints the counts, the score, the run
time, and each surviving mutant: the ones judged equivalent (no test can tell them apart from
the original; listed below with the reason) and the ones that are not, which are gaps to close.

    python benchmarks/mutation.py [--max-children 1] [--keep] [--json out.json]

Needs the test extra (`pip install -e '.[test]'`), run from anywhere; the exit status is 1 when
the score without the equivalent mutants is under --minimum (default 85).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Surviving mutants no test can kill, recognised by the mutated line (mutant numbers shift
# whenever the source changes): (function, text of the mutated line, why it is equivalent).
EQUIVALENT = [
    (
        "x_requirement_verdicts",
        '"status": worst(statuses) if (probes) or True else NOT_RUN',
        "worst([]) is already NOT_RUN",
    ),
    ("x_write_atomically", 'encoding="UTF-8"', "the same codec under another name"),
    (
        "x_write_atomically",
        "encoding=None",
        "the locale's encoding, UTF-8 here; only a run under a non-UTF-8 locale could tell them apart",
    ),
    ("x_write_atomically", 'os.fdopen(fd, "w", )', "as encoding=None"),
    ("x_write_atomically", "missing_ok=None", "the temporary file always exists when the except branch runs"),
    ("x_write_atomically", "missing_ok=False", "the temporary file always exists when the except branch runs"),
    ("x_write_json", "ensure_ascii=None", "None is falsy like False"),
    ("x_execute", 'getattr(e, "shared", None)', "None is falsy like False"),
    (
        "x_fail",
        "None if (exchange is None) and False else index_of",
        "index_of(target, None) finds no exchange and is None too",
    ),
    ("x_parse_timestamp", '(None, "XXZXX", "z")', 'datetime.fromisoformat reads a "Z" offset itself since Python 3.11'),
    ("x_parse_timestamp", '(None, "z", "z")', 'datetime.fromisoformat reads a "Z" offset itself since Python 3.11'),
    (
        "x_parse_timestamp",
        "(fraction or '0')[:7]",
        "datetime.fromisoformat drops digits past the sixth (microseconds) itself",
    ),
    (
        "x_share_hypothesis_cache",
        'getattr(configuration, "__hypothesis_home_directory", )',
        "hypothesis.configuration always defines the attribute, so the default is never used",
    ),
    ("x_execute", "stray_message = None", "only its truth is read, and None is falsy like the empty string"),
    (
        "x_execute",
        "blocked_by: list[str] = None",
        "its first value is never read: every way to BLOCKED assigns it, and it is read only then",
    ),
    (
        "x_probe",
        "function.__module__), None",
        "a probe's defined_at is its full name, so a second add under that name is the same definition "
        "either way: None as defined_at refuses nothing that the name did",
    ),
    (
        "x_probe_specs",
        "key=None)",
        "the module infos then compare as tuples, finder first (one finder for the "
        "package) and name next: the same order",
    ),
    ("x_probe_specs", "iter_modules(__path__), )", "as key=None: the same order"),
    ("x_run_in_process", "rsplit('.', )[-1]", "the last dotted part, whatever the split count"),
    ("x_run_in_process", "rsplit('.', 2)[-1]", "the last dotted part, whatever the split count"),
    ("x_run_in_process", "rsplit('.', 1)[+1]", "a split in two: index 1 is the last"),
    ("x_run_in_process", 'r.get("created", None)', "ProbeResult.to_dict always writes `created`"),
    ("x_run_in_process", 'r.get("created", )', "ProbeResult.to_dict always writes `created`"),
    (
        "x_expect_null_rejected_or_absent",
        'if pointer else "", None)',
        "only the schema's truth is read, and None is falsy like the empty dict",
    ),
    ("x_expect_null_rejected_or_absent", 'if pointer else "", )', "as None: falsy like the empty dict"),
    (
        "x_expect_null_rejected_or_absent",
        'if pointer else "XXXX", {})',
        "without a pointer the value is absent and the schema is not read",
    ),
    (
        "x__error_body",
        'value_at(exchange.json, table["pointer"], )',
        "the default differs only when the pointer is absent, and every profile's error schema requires "
        "the field the pointer names, so that body never reaches this line",
    ),
]


def mutmut(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, text=True, **kwargs)


def mutated_line(name: str) -> str:
    """The added lines of `mutmut show`, joined: what the mutant changed the code to."""
    shown = mutmut("show", name, capture_output=True).stdout
    return "\n".join(line[1:] for line in shown.splitlines() if line.startswith("+") and not line.startswith("+++"))


def equivalence(name: str, line: str) -> str | None:
    function = re.sub(r"__mutmut_\d+$", "", name.rsplit(".", 1)[-1])
    return next((why for f, text, why in EQUIVALENT if f == function and text in line), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ and its cached results")
    parser.add_argument("--minimum", type=float, default=85.0, help="lowest acceptable score, percent")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    options = parser.parse_args(argv)

    if not options.keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    started = time.perf_counter()
    run = mutmut("run", "--max-children", str(options.max_children), capture_output=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-2000:], sep="\n", file=sys.stderr)
        print(f"mutmut run failed with exit status {run.returncode}", file=sys.stderr)
        return 2
    mutmut("export-cicd-stats", capture_output=True, check=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())

    survivors = [
        line.split(":")[0].strip()
        for line in mutmut("results", capture_output=True).stdout.splitlines()
        if line.strip().endswith(": survived")
    ]
    equivalent, open_gaps = [], []
    for name in survivors:
        line = mutated_line(name)
        why = equivalence(name, line)
        (equivalent if why else open_gaps).append({"mutant": name, "line": line.strip(), "why": why})

    total, killed = stats["total"], stats["killed"]
    raw = 100 * killed / total if total else 0.0
    judged = total - len(equivalent)
    score = 100 * killed / judged if judged else 0.0
    print(
        f"mutants {total}: killed {killed}, survived {stats['survived']}, timeout {stats['timeout']}, "
        f"no tests {stats['no_tests']}, suspicious {stats['suspicious']}"
    )
    print(
        f"score {raw:.1f}% ({killed}/{total}); without the {len(equivalent)} equivalent mutants "
        f"{score:.1f}% ({killed}/{judged}); {seconds:.0f} s with --max-children {options.max_children}"
    )
    for entry in equivalent:
        print(f"  equivalent {entry['mutant']}: {entry['line']}  -- {entry['why']}")
    for entry in open_gaps:
        print(f"  SURVIVED   {entry['mutant']}: {entry['line']}")
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    **stats,
                    "seconds": round(seconds),
                    "score": round(raw, 1),
                    "score_without_equivalent": round(score, 1),
                    "equivalent": equivalent,
                    "survived_not_equivalent": open_gaps,
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if score >= options.minimum else 1


if __name__ == "__main__":
    sys.exit(main())
