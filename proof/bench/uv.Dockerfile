# The uv way, after the approach astral-sh/uv-docker-example documents, kept only so
# that the bench can measure the template against it. Not for use.
# No defaults: the bench passes the template's base image and uv pin, so both builds
# start alike and each pin stays written in the Dockerfile alone.
ARG PYTHON_IMAGE

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION
# The bench's build helper passes it to every build; empty means PyPI itself.
ARG POETRY_PYPI_MIRROR_URL=""
# - UV_COMPILE_BYTECODE: compile once here, not on every start of a container.
# - UV_LINK_MODE: the cache is a mount, which the venv cannot hard-link into.
# - UV_PROJECT_ENVIRONMENT: the venv the final stage copies, at the template's path.
# - UV_PYTHON_DOWNLOADS: the base image's interpreter, the one the final stage has.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never
# uv from PyPI into a venv of its own, which stays behind in this stage; pip's cache on
# the same mount as the template's.
RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    --mount=type=cache,target=/root/.cache \
    python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --quiet \
        ${POETRY_PYPI_MIRROR_URL:+--index-url "$POETRY_PYPI_MIRROR_URL"} "uv==${UV_VERSION}"
# uv finds pyproject.toml and uv.lock in the working directory.
WORKDIR /src
# Bind mounts, not COPY: only the lock and pyproject.toml decide this layer, so an
# app-only change reuses it. The engine expands no variables in --mount.
RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    --mount=type=cache,target=/root/.cache \
    --mount=type=bind,source=uv.lock,target=/src/uv.lock \
    --mount=type=bind,source=pyproject.toml,target=/src/pyproject.toml \
    /opt/uv/bin/uv sync --frozen --no-dev --no-install-project \
        ${POETRY_PYPI_MIRROR_URL:+--default-index "$POETRY_PYPI_MIRROR_URL"}
# The project last: nothing above depends on it.
COPY . .
# Not editable: the app lands in /opt/venv, so no file of /src is needed to run it.
RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    --mount=type=cache,target=/root/.cache \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable \
        ${POETRY_PYPI_MIRROR_URL:+--default-index "$POETRY_PYPI_MIRROR_URL"}

# The build stage's base: the venv's interpreter link and compiled wheels only hold
# on the Python they were built against.
FROM ${PYTHON_IMAGE}
# - VIRTUAL_ENV, PATH: python3 and gunicorn resolve to the venv, as in the template.
# - PYTHONUNBUFFERED: log lines reach `docker logs` as they are written.
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1
# The venv alone: uv, its cache and the source stay in the build stage.
COPY --from=build /opt/venv /opt/venv
# gunicorn reads gunicorn.conf.py from its working directory.
WORKDIR /srv
COPY gunicorn.conf.py ./
# Any UID the platform picks works: nothing here needs to be written.
USER 10001:0
# The port gunicorn.conf.py binds unless PORT says otherwise.
EXPOSE 8000
# Exec form: gunicorn is PID 1 and gets `docker stop`'s SIGTERM itself.
CMD ["gunicorn"]
