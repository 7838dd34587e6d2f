"""Shared test set-up. Docker: tests marked ``docker`` need a running engine and the sandbox
image; without them they skip with the reason, except under CI=true, where they fail."""

from __future__ import annotations

import os
import subprocess
from functools import cache

import pytest


@cache
def _docker_image() -> tuple[str | None, str]:
    """(sandbox image tag, "") when usable, else (None, why not). Builds a stale image."""
    try:
        import importlib

        importlib.import_module("docker").from_env().ping()
    except Exception as exc:
        return None, f"no Docker engine ({type(exc).__name__}: {exc}); see docs/sandbox.md"
    from clawbench.sandbox.container import build

    base = os.environ.get("CLAWBENCH_SANDBOX_BASE", "clawbench-base:bookworm")
    try:
        return build.build(base), ""
    except (subprocess.CalledProcessError, OSError) as exc:
        return None, f"cannot build the sandbox image on {base} ({exc}); run scripts/ci_setup.sh"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None:
        return
    image, why = _docker_image()
    if image is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"docker test under CI=true: {why}", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="session")
def sandbox_image() -> str:
    """The sandbox image tag (tests using it must be marked ``docker``)."""
    image, why = _docker_image()
    if image is None:
        pytest.fail(why, pytrace=False)
    return image
