# One Dockerfile; its stages and who uses each:
#   python-image  the default base image, in a FROM line of its own for Dependabot
#   base       the Python image and the settings every stage shares
#   poetry     uv, Poetry in a venv of its own, and an empty /opt/venv
#   manifest   what of pyproject.toml and poetry.lock decides the dependency layers
#   build      poetry plus the runtime dependencies in /opt/venv, from the manifest
#   dev        base plus git, shellcheck, the dev user, Poetry and every locked
#              dependency: the dev container, `docker compose up`, the test command
#   wheel      poetry plus the app as a wheel, in a tree of its own, built beside build
#   prod       build's /opt/venv and wheel's tree on the base: deploys, `docker build .`

# Unset or empty, PYTHON_IMAGE is the official image below.
ARG PYTHON_IMAGE
ARG POETRY_VENV=/opt/poetry UV_VENV=/opt/uv BACKEND_VENV=/opt/backend APP_TREE=/app-tree
ARG DEV_USER=dev
# Distribution packages: what the service needs at run time, in every stage and prod;
# what its dependencies need to build from source (compilers, headers), never in prod.
ARG RUNTIME_PACKAGES="" BUILD_PACKAGES=""
# Where pip, uv and Poetry cache as root and look for index logins; a PyPI mirror, if
# set, whose login comes from the `netrc` secret: build arguments stay in the history.
ARG CACHE_DIR=/root/.cache NETRC=/root/.netrc POETRY_PYPI_MIRROR_URL=""
FROM python:3.15-slim AS python-image

FROM ${PYTHON_IMAGE:-python-image} AS base
# Set, as deploy/publish does, bytecode records source hashes, not build times.
ARG SOURCE_DATE_EPOCH RUNTIME_PACKAGES
# python3 and every console script resolve to the project venv; logs reach `docker logs`
# as they are written; uv, pip, Poetry and the app trust the system CA bundle, so that a
# `ca-bundle` secret mounted over it for a download step reaches them all.
ENV VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PATH=$VIRTUAL_ENV/bin:$PATH \
    PIP_CERT=$SSL_CERT_FILE \
    REQUESTS_CA_BUNDLE=$SSL_CERT_FILE
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
# Apt keeps no lists or packages, whatever the base configures. The official images'
# system-wide pip has no place in production; a distribution's own (PEP 668: "externally
# managed") belongs to its package manager, and no venv imports it.
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
if [ -n "$RUNTIME_PACKAGES" ]; then
    apt-get update && apt-get install -y --no-install-recommends $RUNTIME_PACKAGES
    apt-get clean && rm -rf /var/lib/apt/lists/*
fi
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
if python3 -m pip --version >/dev/null 2>&1 && [ ! -e "$stdlib/EXTERNALLY-MANAGED" ]; then
    python3 -m pip uninstall --yes --quiet pip
fi
EOF

FROM base AS poetry
ARG POETRY_VENV UV_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL BUILD_PACKAGES
ARG UV_VERSION=0.13.9
ARG POETRY_VERSION=2.5.1
ARG POETRY_MIRROR_PLUGIN_VERSION=0.6.5
# Every download step takes the optional `netrc` and `ca-bundle` secrets, which enter no
# layer, and runs under index-login-hint, which says so when an index refuses a login.
COPY --chmod=755 docker/index-login-hint /usr/local/bin/
# uv and Poetry get venvs of their own, so that nothing of them lands in /opt/venv.
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
if [ -n "$BUILD_PACKAGES" ]; then
    apt-get update && apt-get install -y --no-install-recommends $BUILD_PACKAGES
    apt-get clean && rm -rf /var/lib/apt/lists/*
fi
python3 -m venv "$UV_VENV"
index-login-hint "$UV_VENV/bin/pip" install --quiet --no-input \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} "uv==$UV_VERSION"
python3 -m venv --without-pip "$POETRY_VENV"
ln -s "$UV_VENV/bin/uv" "$POETRY_VENV/bin/poetry" /usr/local/bin/
index-login-hint uv pip install --quiet --python "$POETRY_VENV/bin/python" \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "poetry==$POETRY_VERSION" "poetry-plugin-pypi-mirror==$POETRY_MIRROR_PLUGIN_VERSION"
python3 -m venv --without-pip "$VIRTUAL_ENV"
EOF

WORKDIR /src

# What the dependency layers are built from: pyproject.toml's dependencies and sources,
# without its version or tools' settings, poetry.lock, and the build backend's needs.
FROM poetry AS manifest
ARG POETRY_VENV
COPY pyproject.toml poetry.lock ./
RUN --mount=type=bind,source=docker/manifest.py,target=/tmp/manifest.py \
    "$POETRY_VENV/bin/python" /tmp/manifest.py . /manifest

FROM poetry AS build
COPY --from=manifest /manifest/pyproject.toml /manifest/poetry.lock ./
# Only the manifest decides this layer: an app change or a new version reuses it. A
# stale lock fails here, before any download, with Poetry's advice to run `poetry lock`.
# Bytecode is compiled in one process, file after file, so every build writes the same.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
index-login-hint poetry install --only main --no-root --no-interaction
PYTHONHASHSEED=0 python3 -m compileall -q "$VIRTUAL_ENV"
EOF

FROM base AS dev
ARG POETRY_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL DEV_USER BUILD_PACKAGES
# shellcheck from the distribution, which builds it for every architecture, and what
# `poetry add` needs to build a dependency from source. The venv group keeps /opt/venv
# writable once the Dev Containers CLI remaps the dev user's UID to the host user's.
# UID 1000, which Codespaces expects, gives way if the base has it (Ubuntu's "ubuntu").
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
apt-get update && apt-get install -y --no-install-recommends git shellcheck $BUILD_PACKAGES
apt-get clean && rm -rf /var/lib/apt/lists/*
if taken=$(getent passwd 1000); then userdel --remove "${taken%%:*}"; fi
groupadd --system venv
useradd --create-home --shell /bin/bash --uid 1000 --groups venv "$DEV_USER"
EOF

COPY --from=poetry $POETRY_VENV $POETRY_VENV
COPY --from=poetry /usr/local/bin/poetry /usr/local/bin/index-login-hint /usr/local/bin/
WORKDIR /src
COPY --from=manifest /manifest/pyproject.toml /manifest/poetry.lock ./
# Every file of the venv is the venv group's to write from the start, as it is created;
# no bytecode: Python writes it on first use.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
install --directory --group=venv --mode=2775 "$VIRTUAL_ENV"
umask 002
python3 -m venv --without-pip "$VIRTUAL_ENV"
index-login-hint poetry install --no-root --no-interaction
EOF

USER $DEV_USER

FROM poetry AS wheel
ARG BACKEND_VENV APP_TREE CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
COPY --from=manifest /manifest/build-requires.txt /tmp/
# The build backend pyproject.toml declares, in a venv of its own, so that the app's
# build needs no download, nor secrets, and this step stays cached until it changes.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python3 -m venv --without-pip "$BACKEND_VENV"
index-login-hint uv pip install --quiet --python "$BACKEND_VENV/bin/python" \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} -r /tmp/build-requires.txt
EOF

COPY . ./
# A wheel, not an editable install, as prod has nothing of /src; for /opt/venv's python,
# which its console scripts name; no installer metadata, which records the build time.
RUN <<EOF
uv build --wheel --quiet --no-build-isolation --python "$BACKEND_VENV/bin/python" \
    --out-dir /tmp/dist
uv pip install --quiet --no-deps --no-installer-metadata \
    --python "$VIRTUAL_ENV/bin/python" --prefix "$APP_TREE" /tmp/dist/*.whl
PYTHONHASHSEED=0 python3 -m compileall -q "$APP_TREE"
EOF

# The build's base: the venv's interpreter links and compiled wheels hold only there.
FROM base AS prod
ARG APP_TREE
ENV PORT=8000
# Dependencies first: an app-only change leaves their layer as it was.
COPY --from=build $VIRTUAL_ENV $VIRTUAL_ENV
WORKDIR /srv
COPY gunicorn.conf.py ./
COPY --from=wheel $APP_TREE/ $VIRTUAL_ENV/
# Any UID the platform picks works: nothing here needs to be written.
USER 10001:0
EXPOSE $PORT
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/health', timeout=2)"]
CMD ["gunicorn"]
