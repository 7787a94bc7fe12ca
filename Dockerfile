# syntax=docker/dockerfile:1
# Heima service image: one image, the command picks the role
# (heima serve | heima worker | heima migrate; see compose.yaml).
#
# Reproducible (docs/operations.md, "The image"): base images pinned to exact releases, every
# Python package installed from requirements.lock with its hash and nothing resolved at build
# time, built in stages so the image holds no compiler, no build backend, no Node and no tests.
# The development-only embedded PostgreSQL (the `embedded` extra) is not in it; the `tracing`
# extra is (requirements.lock locks it), off until the OTEL_* variables turn it on.
# tests/test_image.py checks this file, since no Docker engine runs in CI.

# Exact releases; for a byte-identical base add the digest (`docker buildx imagetools inspect`).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:20.19.4-bookworm-slim

# The web apps are built here, so running Heima never needs Node: only web/dist reaches the image.
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# Wheels for everything the service runs: the locked packages (hashes checked; the one published
# only as source is built with the locked setuptools) and Heima itself (with the locked hatchling).
FROM ${PYTHON_IMAGE} AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PIP_NO_CACHE_DIR=1
COPY requirements-build.lock requirements.lock /locks/
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --no-deps -r /locks/requirements-build.lock \
 && /opt/build/bin/pip wheel --require-hashes --no-deps --no-build-isolation \
        --wheel-dir /wheels -r /locks/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY alerting/ alerting/
COPY video/ video/
COPY migrations/ migrations/
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/heima/bin:$PATH

# A fixed, unprivileged uid/gid, so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 heima \
 && useradd --system --uid 10001 --gid heima --home-dir /home/heima --create-home \
    --shell /usr/sbin/nologin heima

# Installed as root from the wheels alone (no index): the running user can read the code but not
# change it, and what runs is exactly what was locked.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m venv /opt/heima \
 && /opt/heima/bin/pip install --no-index --no-deps /wheels/*.whl \
 && /opt/heima/bin/pip check

# The built apps `heima serve` serves at /app/ and /care/.
COPY --from=web /web/dist /opt/heima-web
ENV HEIMA_WEB_DIR=/opt/heima-web

USER heima
WORKDIR /home/heima

EXPOSE 8000

# The api's readiness (PostgreSQL and Redis answer). The worker and the migration job run the
# same image: compose gives the worker `heima worker-health` and the job none.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status != 200)"]

CMD ["heima", "serve", "--host", "0.0.0.0", "--port", "8000"]
