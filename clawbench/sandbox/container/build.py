"""Builds the sandbox image (standard library only: CI runs it before any dependency exists).

    python3 clawbench/sandbox/container/build.py --base clawbench-base:bookworm

The image is tagged ``clawbench-sandbox:<HARNESS_VERSION>-<source_hash[:12]>`` and labelled
with the harness version and ``source_hash``, a hash of the Dockerfile and the Python files it
runs (the world engine and the server), so two checkouts with different engine code never
overwrite each other's image, and a different image is a different evaluation cache key. The docker backend refuses an image whose labels do not match the host's code, so a
trajectory can never come from a stale engine. A build is skipped when an image with the same
tag and labels exists.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # .../clawbench
REPO_DIR = PACKAGE_DIR.parent
DOCKERFILE = "clawbench/sandbox/container/sandbox.Dockerfile"
IMAGE_NAME = "clawbench-sandbox"
LABEL_KIND = "clawbench.image"
LABEL_VERSION = "clawbench.harness_version"
LABEL_SOURCE = "clawbench.source_hash"
LABEL_BASE = "clawbench.base_id"


def harness_version(package_dir: Path = PACKAGE_DIR) -> str:
    """HARNESS_VERSION read from clawbench/__init__.py without importing the package."""
    text = (package_dir / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^HARNESS_VERSION\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no HARNESS_VERSION in {package_dir / '__init__.py'}")
    return match.group(1)


def default_tag(package_dir: Path = PACKAGE_DIR) -> str:
    return f"{IMAGE_NAME}:{harness_version(package_dir)}-{source_hash(package_dir)[:12]}"


def image_sources(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Context path -> source file, for every file the image is built from and runs."""
    files = {
        DOCKERFILE: package_dir / "sandbox/container/sandbox.Dockerfile",
        "clawbench/sandbox/container/server.py": package_dir / "sandbox/container/server.py",
    }
    for src in sorted((package_dir / "world/engine").glob("*.py")):
        files[f"clawbench/world/engine/{src.name}"] = src
    return files


def source_hash(package_dir: Path = PACKAGE_DIR) -> str:
    digest = hashlib.sha256()
    for rel, src in sorted(image_sources(package_dir).items()):
        data = src.read_bytes()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def image_labels(package_dir: Path = PACKAGE_DIR) -> dict[str, str]:
    return {
        LABEL_KIND: "sandbox",
        LABEL_VERSION: harness_version(package_dir),
        LABEL_SOURCE: source_hash(package_dir),
    }


def prepare_context(dest: Path, repo_dir: Path = REPO_DIR) -> None:
    """A minimal build context: the Dockerfile and the files the image runs, nothing else."""
    for rel, src in image_sources(repo_dir / "clawbench").items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


def _existing_labels(tag: str) -> dict[str, str] | None:
    proc = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    import json

    labels = json.loads(proc.stdout or "null")
    return labels if isinstance(labels, dict) else {}


def _image_id(image: str) -> str:
    """The base image's id (recorded in a label: two validators on different bases can tell),
    or "unknown" when it is not local yet (docker pulls it during the build)."""
    proc = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "unknown"


def build(base_image: str, tag: str | None = None, *, force: bool = False) -> str:
    """Builds (or keeps) the sandbox image with the docker CLI; returns its tag."""
    tag = tag or default_tag()
    labels = image_labels()
    existing = _existing_labels(tag)
    if not force and existing is not None and all(existing.get(k) == v for k, v in labels.items()):
        return tag
    with tempfile.TemporaryDirectory(prefix="clawbench-sandbox-ctx-") as ctx:
        prepare_context(Path(ctx))
        cmd = ["docker", "build", "--quiet", "-f", str(Path(ctx) / DOCKERFILE), "-t", tag]
        cmd += ["--build-arg", f"BASE_IMAGE={base_image}"]
        cmd += ["--build-arg", f"HARNESS_VERSION={labels[LABEL_VERSION]}"]
        cmd += ["--build-arg", f"SOURCE_HASH={labels[LABEL_SOURCE]}"]
        cmd += ["--build-arg", f"BASE_ID={_image_id(base_image)}"]
        subprocess.run([*cmd, ctx], check=True, stdout=subprocess.DEVNULL)
    # Earlier builds of this tag are now dangling: drop them.
    subprocess.run(
        ["docker", "image", "prune", "-f", "--filter", f"label={LABEL_KIND}=sandbox"],
        check=False,
        capture_output=True,
    )
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the ClawBench sandbox image.")
    parser.add_argument("--base", default="python:3.11-slim", help="BASE_IMAGE build argument")
    parser.add_argument("--tag", default=None, help=f"default {default_tag()}")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--print-tag", action="store_true", help="print the tag and exit")
    opts = parser.parse_args(argv)
    if opts.print_tag:
        print(opts.tag or default_tag())
        return 0
    print(build(opts.base, opts.tag, force=opts.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
