# The TrajectoryRL node (validator and miner).
#   docker build -t trajectoryrl-node .                      # from PyPI, on python:3.11-slim
#   scripts/build_node_image.sh                              # offline: local base + pre-built wheels
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Wheels built on the host (scripts/build_node_image.sh) make the build work without an index;
# the folder is empty for a normal build, which installs from PyPI.
COPY docker/wheels/ /wheels/
COPY pyproject.toml README.md ./
COPY clawbench ./clawbench
COPY trajectoryrl ./trajectoryrl
COPY neurons ./neurons
COPY scenarios ./scenarios

RUN python3 -m venv /opt/venv \
 && if ls /wheels/*.whl >/dev/null 2>&1; then \
        /opt/venv/bin/pip install --no-index --find-links /wheels trajectoryrl ; \
    else \
        /opt/venv/bin/pip install . ; \
    fi \
 && rm -rf /wheels \
 && useradd --create-home --uid 10001 node \
 && mkdir -p /state && chown node /state

ENV PATH=/opt/venv/bin:$PATH
USER node
VOLUME ["/state"]
ENTRYPOINT ["python3"]
CMD ["neurons/validator.py", "--help"]
