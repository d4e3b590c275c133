"""scripts/test installs the browser tests' axe-core itself, or says in one line why it cannot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def browser_tools_block() -> str:
    text = (ROOT / "scripts" / "test").read_text()
    start = text.index('echo "== browser test tools"')
    return text[start : text.index('echo "== tests on SQLite', start)]


def run_block(tmp_path: Path, path: str) -> subprocess.CompletedProcess:
    """The script's browser-tools step alone, in an empty checkout, with the PATH given."""
    script = tmp_path / "step.sh"
    script.write_text("set -euo pipefail\n" + browser_tools_block())
    env = {**os.environ, "PATH": path, "PROMS_CHROMIUM": str(tmp_path / "no-chromium")}
    return subprocess.run(
        [shutil.which("bash"), str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_without_npm_it_says_in_one_line_that_the_browser_tests_will_skip(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    result = run_block(tmp_path, str(bin_dir))  # nothing on the PATH: no npm

    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "== browser test tools"
    assert any("npm is not installed" in line for line in lines)
    assert any("no-chromium is missing" in line for line in lines)


def test_with_npm_it_runs_npm_ci(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(
        '#!/bin/sh\necho "$@" > npm-args\nmkdir -p node_modules/axe-core\n'
        "touch node_modules/axe-core/axe.min.js\n"
    )
    npm.chmod(0o755)
    result = run_block(tmp_path, f"{bin_dir}:/usr/bin:/bin")

    assert result.returncode == 0, result.stderr
    assert "axe-core installed (npm ci)" in result.stdout
    assert (tmp_path / "npm-args").read_text().startswith("ci ")
