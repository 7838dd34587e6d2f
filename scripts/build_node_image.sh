#!/usr/bin/env bash
# Builds the node image on a machine that cannot pull images: a debootstrap base with python3,
# venv and git, plus wheels built here (pip reaches the package index from the host only).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${NODE_BASE_IMAGE:-trajectoryrl-node-base:bookworm}
TAG=${NODE_IMAGE:-trajectoryrl-node:$(python3 -c 'import trajectoryrl; print(trajectoryrl.NODE_VERSION)')}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    root=$(mktemp -d /tmp/node-base.XXXXXX)
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,git,ca-certificates \
        bookworm "$root" >/tmp/node-base-debootstrap.log 2>&1
    tar -C "$root" -c . | docker import - "$BASE" >/dev/null
    rm -rf "$root"
fi

rm -f docker/wheels/*.whl
python3 -m pip wheel --quiet --wheel-dir docker/wheels . >/tmp/node-wheels.log 2>&1
docker build --quiet --build-arg "BASE_IMAGE=$BASE" -t "$TAG" . >/dev/null
rm -f docker/wheels/*.whl
echo "$TAG"
