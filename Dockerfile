# The stages, top to bottom, and who uses each:
#   python-image  the default base image, on a FROM line of its own for Dependabot
#   python        the base image and the settings every stage shares
#   base          python with the runtime packages, without pip or setuid programs
#   uv            uv and index-login-hint, which the download steps below run
#   poetry        Poetry in a venv of its own
#   dev-lock      what of pyproject.toml and poetry.lock decides dev's dependencies
#   dev           git, shellcheck, Poetry and every dependency: the dev container, compose, tests
#   requirements  what prod installs, from poetry.lock, which must match pyproject.toml
#   build         the runtime dependencies in /opt/venv, installed by uv
#   backend       the build backend that builds the app, in a folder of its own
#   prod          build's venv and the app on base: deploys, `docker build .`

# Unset or empty, PYTHON_IMAGE is the official image below.
ARG PYTHON_IMAGE
# System packages the service runs with (prod too), and its dependencies build with (never prod).
ARG RUNTIME_PACKAGES="" BUILD_PACKAGES=""
# A mirror's login comes from the `netrc` secret, never its URL: build arguments stay in history.
ARG CACHE_DIR=/root/.cache NETRC=/root/.netrc POETRY_PYPI_MIRROR_URL=""
ARG POETRY_VENV=/opt/poetry BACKEND=/backend

FROM python:3.15-slim AS python-image

FROM ${PYTHON_IMAGE:-python-image} AS python
# Set, as deploy/publish does, bytecode records source hashes, not build times.
ARG SOURCE_DATE_EPOCH
# Console scripts resolve to the venv and logs reach `docker logs` at once; every tool
# trusts the system CA bundle, which the `ca-bundle` secret replaces in download steps.
ENV VIRTUAL_ENV=/opt/venv PYTHONUNBUFFERED=1 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PATH=$VIRTUAL_ENV/bin:$PATH PIP_CERT=$SSL_CERT_FILE REQUESTS_CA_BUNDLE=$SSL_CERT_FILE
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]

FROM python AS base
ARG RUNTIME_PACKAGES
# No apt lists, no setuid program to gain rights with, no pip but a distribution's (PEP 668).
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
if [ -n "$RUNTIME_PACKAGES" ]; then
    apt-get update && apt-get install -y --no-install-recommends $RUNTIME_PACKAGES
    apt-get clean && rm -rf /var/lib/apt/lists/*
fi
find / -xdev -type f -perm /6000 -exec chmod ug-s {} +
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
if python3 -m pip --version >/dev/null 2>&1 && [ ! -e "$stdlib/EXTERNALLY-MANAGED" ]; then
    python3 -m pip uninstall --yes --quiet pip
fi
EOF

# Beside base, not on it: the longest chain of the build starts here.
FROM python AS uv
ARG CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
ARG UV_VERSION=0.13.9
# Download steps run under it: when an index refuses a login, it says how to pass one.
COPY --chmod=755 docker/index-login-hint /usr/local/bin/
# The image's own pip installs uv (a venv lends one to a base without); secrets enter no layer.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python=python3
if ! python3 -m pip --version >/dev/null 2>&1; then
    python3 -m venv /tmp/pip
    python=/tmp/pip/bin/python
fi
PIP_ROOT_USER_ACTION=ignore index-login-hint "$python" -m pip install --quiet --no-input \
    --target /tmp/uv ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "uv==$UV_VERSION"
mv /tmp/uv/bin/uv /usr/local/bin/
rm -rf /tmp/pip /tmp/uv
EOF

FROM uv AS poetry
ARG POETRY_VENV
ARG POETRY_VERSION=2.5.1 POETRY_MIRROR_PLUGIN_VERSION=0.6.5
# A venv of its own keeps Poetry's dependencies apart from the app's.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python3 -m venv --without-pip "$POETRY_VENV"
ln -s "$POETRY_VENV/bin/poetry" /usr/local/bin/
index-login-hint uv pip install --quiet --python "$POETRY_VENV/bin/python" \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "poetry==$POETRY_VERSION" "poetry-plugin-pypi-mirror==$POETRY_MIRROR_PLUGIN_VERSION"
EOF

FROM poetry AS dev-lock
COPY pyproject.toml poetry.lock /src/
# A version bump or a tool's setting leaves these files, and so dev's dependency layer.
RUN --mount=type=bind,source=docker/dev_lock.py,target=/tmp/dev_lock.py \
    "$POETRY_VENV/bin/python" /tmp/dev_lock.py /src /dev-lock

FROM base AS dev
ARG CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL POETRY_VENV BUILD_PACKAGES
# Git runs the repository's hooks; the venv group keeps /opt/venv writable once the Dev
# Containers CLI gives dev the host user's UID; UID 1000, which Codespaces expects, gives way.
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
apt-get update && apt-get install -y --no-install-recommends git shellcheck $BUILD_PACKAGES
apt-get clean && rm -rf /var/lib/apt/lists/*
git config --system core.hooksPath .githooks
if taken=$(getent passwd 1000); then userdel --remove "${taken%%:*}"; fi
groupadd --system venv
useradd --create-home --shell /bin/bash --uid 1000 --groups venv dev
EOF

COPY --from=poetry $POETRY_VENV $POETRY_VENV
COPY --from=poetry /usr/local/bin/poetry /usr/local/bin/index-login-hint /usr/local/bin/
WORKDIR /src
COPY --from=dev-lock /dev-lock/ ./
# No bytecode: Python writes it on first use.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
install --directory --group=venv --mode=2775 "$VIRTUAL_ENV"
umask 002
python3 -m venv --without-pip "$VIRTUAL_ENV"
index-login-hint poetry install --no-root --no-interaction
EOF

# devcontainer.json's remoteUser, whose UID the Dev Containers CLI sets by this name.
# hadolint ignore=DL3066
USER dev

# From poetry.lock alone, before any download: a stale lock fails here, saying to run `poetry lock`.
FROM python AS requirements
COPY pyproject.toml poetry.lock /src/
RUN --network=none --mount=type=bind,source=docker/requirements.py,target=/tmp/requirements.py \
    python3 /tmp/requirements.py /src /requirements

FROM base AS build
ARG CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL BUILD_PACKAGES
COPY --from=requirements /requirements/requirements.txt /tmp/
# uv mounted leaves prod none of it; var/, Flask's instance folder, is where prod may write
# (any UID in group 0); one compiling process writes the same bytecode on every build.
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR \
    --mount=type=bind,from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    --mount=type=bind,from=uv,source=/usr/local/bin/index-login-hint,target=/usr/local/bin/index-login-hint <<EOF
if [ -n "$BUILD_PACKAGES" ]; then
    apt-get update && apt-get install -y --no-install-recommends $BUILD_PACKAGES
    apt-get clean && rm -rf /var/lib/apt/lists/*
fi
python3 -m venv --without-pip "$VIRTUAL_ENV"
install --directory --mode=0775 "$VIRTUAL_ENV/var"
index-login-hint uv pip sync --quiet \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} /tmp/requirements.txt
rm -f "$VIRTUAL_ENV/.lock"
PYTHONHASHSEED=0 python3 -m compileall -q "$VIRTUAL_ENV"
EOF

FROM uv AS backend
ARG BACKEND
COPY --from=requirements /requirements/build-requires.txt /tmp/
# In a folder of its own, compiled here once rather than on every build of the app.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
index-login-hint uv pip install --quiet --compile-bytecode --python python3 --target "$BACKEND" \
    --requirement /tmp/build-requires.txt ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"}
EOF

# On build's base, where the venv's interpreter links and compiled wheels hold.
FROM base AS prod
ARG BACKEND APP_TREE=/tmp/app-tree
ENV PORT=8000
COPY --from=build $VIRTUAL_ENV $VIRTUAL_ENV
WORKDIR /srv
COPY gunicorn.conf.py ./
# The app last: an app-only change reruns this step alone. uv and the backend are mounted,
# the source read-only (a writable mount is an overlay, which rootless Podman cannot always
# make), so prod keeps none of them, nor uv's cache, lock file or installer metadata (which
# records the time); the app alone compiled, by one process: the same bytecode every build.
# It downloads nothing, so no network: the engine then has none to set up for it.
RUN --network=none --mount=type=bind,target=/src \
    --mount=type=bind,from=backend,source=$BACKEND,target=$BACKEND \
    --mount=type=bind,from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv <<EOF
PYTHONPATH="$BACKEND" uv pip install --quiet --no-cache --no-deps --no-build-isolation \
    --no-installer-metadata --prefix "$APP_TREE" /src
PYTHONHASHSEED=0 python3 -m compileall -q "$APP_TREE"
cp -a "$APP_TREE/." "$VIRTUAL_ENV/"
rm -rf "$APP_TREE" "$VIRTUAL_ENV/.lock"
EOF

# Any UID the platform picks works: it writes nowhere but the instance folder.
USER 10001:0
EXPOSE $PORT
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/health', timeout=2)"]
CMD ["gunicorn"]
