"""The README's first command, where a newcomer stands: inside a fresh clone, in a fresh virtual
environment, `pip install . && conformance run --all`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120).stdout


def _fresh_clone(dest: Path) -> Path:
    """A clone of this repository with the working tree's version of every tracked file (so the
    test checks the code as it is, committed or not)."""
    _git("clone", "-q", "--no-checkout", str(ROOT), str(dest))
    _git("checkout", "-q", _git("rev-parse", "HEAD").strip(), cwd=dest)
    for name in _git("ls-files", "-z").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            shutil.copy2(source, dest / name)
    return dest


@pytest.mark.slow
def test_the_readme_first_command_works_inside_a_fresh_clone(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is nothing to clone")
    clone = _fresh_clone(tmp_path / "workspace-conformance")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFORMANCE_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "."],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    completed = subprocess.run(
        [str(venv / "bin" / "conformance"), "run", "--all"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "ModuleNotFoundError" not in output
    reports = clone / "reports"
    assert sorted(p.name for p in reports.glob("*.json")) == sorted(
        f"{key}.json" for key in ("anthropic", "orgo", "d3lay", "wacht-frontend", "wacht-backend")
    )
    assert (reports / "index.html").is_file()
    assert output.count(": CONFORMANT:") == 5
    # the installed package ran, not the checkout's folder beside it
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import conformance; print(conformance.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert str(venv) in where
