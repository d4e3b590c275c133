"""``manage.py check --deploy`` with production settings: clean except the warnings that
docs/operations.md explains one by one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPLAINED = {"security.W005", "security.W008", "security.W021"}


def test_check_deploy_warns_only_of_what_the_operations_guide_explains():
    env = {
        # A production process's environment: no test database, and not the browser tests'
        # async-safety switch (tests/system/conftest.py) that a deployment must never set.
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DEBUG": "false",
        "SECRET_KEY": "a-real-production-key-" + "x" * 40,
        "ALLOWED_HOSTS": "proms.example.nhs.uk",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", result.stdout + result.stderr))
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")

    assert found <= EXPLAINED, result.stdout + result.stderr
    assert all(check_id in guide for check_id in EXPLAINED)
