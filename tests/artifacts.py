"""Where tests keep what a person would look at (charts, pages, screenshots): the test's tmp_path, and
`.artifacts/` at the repository's root too when CCBOT_TEST_ARTIFACTS is set."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def save_artifact(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write `data` as `name` in the test's folder (and in .artifacts/ when asked); return the test's copy."""
    path = tmp_path / name
    path.write_bytes(data)
    if os.environ.get("CCBOT_TEST_ARTIFACTS"):
        kept = ROOT / ".artifacts" / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(data)
    return path
