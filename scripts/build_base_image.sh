#!/usr/bin/env bash
# Builds clawbench-base:bookworm, the sandbox's base image, for machines that cannot pull
# images: debootstrap (minbase + python3) into a folder, then `docker import`. Idempotent: does
# nothing when the image exists. Needs root, debootstrap and a running Docker engine.
set -euo pipefail
IMAGE=${CLAWBENCH_BASE_IMAGE:-clawbench-base:bookworm}
SUITE=${CLAWBENCH_BASE_SUITE:-bookworm}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE"
    exit 0
fi
root=$(mktemp -d /var/tmp/clawbench-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
log="$root.log"
if ! debootstrap --variant=minbase --include=python3 "$SUITE" "$root" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "debootstrap failed (full log: $log)" >&2
    exit 1
fi
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c 'LABEL clawbench.base=bookworm' - "$IMAGE" >/dev/null
rm -f "$log"
echo "$IMAGE"
