# The stages, and who uses each:
#   python-image  the default base image, on a FROM line of its own for Dependabot
#   python    the Python image and the settings every stage shares
#   base      python with the runtime packages, without pip or setuid programs
#   uv        uv in a folder of its own, which the stages below run or mount, and the
#             app's build backend
#   poetry    Poetry in a venv of its own
#   manifest  what of pyproject.toml and poetry.lock decides the dev image's dependencies
#   dev       git, shellcheck, Poetry and every dependency: the dev container, compose, tests
#   requirements  what prod installs, from poetry.lock, which must match pyproject.toml
#   build     the runtime dependencies in /opt/venv, installed by uv
#   wheel     the app, built as a wheel, in a tree of its own beside build
#   prod      build's /opt/venv and the app on base: deploys, `docker build .`

# Unset or empty, PYTHON_IMAGE is the official image below.
ARG PYTHON_IMAGE
ARG POETRY_VENV=/opt/poetry UV_DIR=/opt/uv APP_TREE=/app-tree
ARG DEV_USER=dev
# Distribution packages the service needs at run time (every stage, prod too), and those
# its dependencies need to build from source (compilers, headers: never prod).
ARG RUNTIME_PACKAGES="" BUILD_PACKAGES=""
# Where pip, uv and Poetry cache and find index logins; a PyPI mirror's login comes from
# the `netrc` secret, never from its URL, since build arguments stay in the history.
ARG CACHE_DIR=/root/.cache NETRC=/root/.netrc POETRY_PYPI_MIRROR_URL=""
FROM python:3.15-slim AS python-image

FROM ${PYTHON_IMAGE:-python-image} AS python
# Set, as deploy/publish does, bytecode records source hashes, not build times: every
# stage that compiles builds on this one.
ARG SOURCE_DATE_EPOCH
# Console scripts resolve to the venv and logs reach `docker logs` at once; every tool
# trusts the system CA bundle, which the `ca-bundle` secret replaces in download steps.
ENV VIRTUAL_ENV=/opt/venv PYTHONUNBUFFERED=1 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENV PATH=$VIRTUAL_ENV/bin:$PATH PIP_CERT=$SSL_CERT_FILE REQUESTS_CA_BUNDLE=$SSL_CERT_FILE
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]

FROM python AS base
ARG RUNTIME_PACKAGES
# Apt keeps no lists or packages, whatever the base configures. The image's system-wide
# pip has no place in prod, unless it is the distribution's (PEP 668), which no venv sees.
# No program runs with its owner's or group's rights (setuid, setgid): a process that
# breaks out of the app finds none to gain another user's with.
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

# What prod installs, from poetry.lock alone: a version bump or a tool's setting leaves it
# as it was, and a stale lock fails here, before any download, saying to run `poetry lock`.
FROM python AS requirements
COPY pyproject.toml poetry.lock /src/
RUN --mount=type=bind,source=docker/requirements.py,target=/tmp/requirements.py \
    python3 /tmp/requirements.py /src /requirements

# Beside base, not on it: the build's longest chain starts here. The image's own pip, when
# it has one (the official images; a distribution's, which --target leaves as it is),
# installs uv; only a base without pip needs a venv made for it. The app's build backend
# goes into /opt/venv, for the wheel stage, which builds on this one, compiled here, so
# that each build of the app does not compile it again.
FROM python AS uv
ARG UV_DIR CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
ARG UV_VERSION=0.13.9
# Download steps take the optional `netrc` and `ca-bundle` secrets, which enter no layer,
# and run under index-login-hint, which says so when an index refuses a login.
COPY --chmod=755 docker/index-login-hint /usr/local/bin/
COPY --from=requirements /requirements/build-requires.txt /tmp/
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python=python3
if ! python3 -m pip --version >/dev/null 2>&1; then
    python3 -m venv /tmp/pip
    python=/tmp/pip/bin/python
fi
PIP_ROOT_USER_ACTION=ignore index-login-hint "$python" -m pip install --quiet --no-input \
    --target "$UV_DIR" ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "uv==$UV_VERSION"
rm -rf /tmp/pip
ln -s "$UV_DIR/bin/uv" /usr/local/bin/
python3 -m venv --without-pip "$VIRTUAL_ENV"
index-login-hint uv pip install --quiet --compile-bytecode \
    --requirement /tmp/build-requires.txt \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"}
EOF

FROM uv AS poetry
ARG POETRY_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL
ARG POETRY_VERSION=2.5.1 POETRY_MIRROR_PLUGIN_VERSION=0.6.5
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
python3 -m venv --without-pip "$POETRY_VENV"
ln -s "$POETRY_VENV/bin/poetry" /usr/local/bin/
index-login-hint uv pip install --quiet --python "$POETRY_VENV/bin/python" \
    ${POETRY_PYPI_MIRROR_URL:+--index-url="$POETRY_PYPI_MIRROR_URL"} \
    "poetry==$POETRY_VERSION" "poetry-plugin-pypi-mirror==$POETRY_MIRROR_PLUGIN_VERSION"
EOF

WORKDIR /src

# A version bump or a tool's setting leaves the manifest, and so the layers built from it.
FROM poetry AS manifest
ARG POETRY_VENV
COPY pyproject.toml poetry.lock ./
RUN --mount=type=bind,source=docker/manifest.py,target=/tmp/manifest.py \
    "$POETRY_VENV/bin/python" /tmp/manifest.py . /manifest

FROM base AS dev
ARG POETRY_VENV CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL DEV_USER BUILD_PACKAGES
# The distribution builds shellcheck for every architecture. Git here runs the repository's
# hooks: the checks on commit, the venv following the lock after a pull or checkout. The
# venv group keeps the venv writable after the Dev Containers CLI gives the dev user the
# host user's UID; UID 1000, which Codespaces expects, is taken from a user the base may
# have (Ubuntu's "ubuntu").
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE <<EOF
apt-get update && apt-get install -y --no-install-recommends git shellcheck $BUILD_PACKAGES
apt-get clean && rm -rf /var/lib/apt/lists/*
git config --system core.hooksPath .githooks
if taken=$(getent passwd 1000); then userdel --remove "${taken%%:*}"; fi
groupadd --system venv
useradd --create-home --shell /bin/bash --uid 1000 --groups venv "$DEV_USER"
EOF

COPY --from=poetry $POETRY_VENV $POETRY_VENV
COPY --from=poetry /usr/local/bin/poetry /usr/local/bin/index-login-hint /usr/local/bin/
WORKDIR /src
COPY --from=manifest /manifest/pyproject.toml /manifest/poetry.lock ./
# No bytecode: Python writes it on first use.
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR <<EOF
install --directory --group=venv --mode=2775 "$VIRTUAL_ENV"
umask 002
python3 -m venv --without-pip "$VIRTUAL_ENV"
index-login-hint poetry install --no-root --no-interaction
EOF

USER $DEV_USER

FROM base AS build
ARG UV_DIR CACHE_DIR NETRC POETRY_PYPI_MIRROR_URL BUILD_PACKAGES
COPY --from=requirements /requirements/requirements.txt /tmp/
# uv and index-login-hint come mounted from their stage, so that nothing of them stays,
# nor the lock file uv leaves, which every user may write. Flask puts an installed
# package's instance folder in the venv's var/: the one place prod lets the app write, for
# any UID in group 0, as platforms that pick the UID expect. One process compiles file
# after file, so that every build writes the same bytecode.
# hadolint ignore=DL3008,SC2086
RUN --mount=type=secret,id=ca-bundle,target=$SSL_CERT_FILE \
    --mount=type=secret,id=netrc,target=$NETRC \
    --mount=type=cache,target=$CACHE_DIR \
    --mount=type=bind,from=uv,source=$UV_DIR,target=$UV_DIR \
    --mount=type=bind,from=uv,source=/usr/local/bin,target=/usr/local/bin <<EOF
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

FROM uv AS wheel
ARG APP_TREE
# Built as a wheel from the mounted source, which no layer keeps, read-only (rootless Podman
# makes a writable one an overlay, which some hosts refuse), for /opt/venv's python, which
# its console scripts name, into a tree of its own, without installer metadata: it records
# the time. uv leaves a lock file there that every user may write, which prod must not hold.
RUN --mount=type=bind,target=/src <<EOF
uv pip install --quiet --no-deps --no-build-isolation --no-installer-metadata \
    --prefix "$APP_TREE" /src
rm -f "$APP_TREE/.lock"
PYTHONHASHSEED=0 python3 -m compileall -q "$APP_TREE"
EOF

# On build's base, where the venv's interpreter links and compiled wheels hold.
FROM base AS prod
ARG APP_TREE
ENV PORT=8000
COPY --from=build $VIRTUAL_ENV $VIRTUAL_ENV
WORKDIR /srv
COPY gunicorn.conf.py ./
# After the dependencies, so that an app-only change leaves their layer as it was.
COPY --from=wheel $APP_TREE/ $VIRTUAL_ENV/
# Any UID the platform picks works: it writes nowhere but the instance folder.
USER 10001:0
EXPOSE $PORT
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/health', timeout=2)"]
CMD ["gunicorn"]
