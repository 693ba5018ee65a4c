# The baseline: a single-stage Poetry image as it is commonly written, kept only so
# that bench/run can measure the template against it. Not for use.
# No defaults: bench/run passes the template's own base image and Poetry pins, which
# stay written in one place (the Dockerfile), and both images are built alike.
ARG PYTHON_IMAGE
FROM ${PYTHON_IMAGE}
ARG POETRY_VERSION
ARG POETRY_MIRROR_PLUGIN_VERSION
ARG POETRY_PYPI_MIRROR_URL=""
# Stands in for the system-wide pip of the official images, which this base lacks.
RUN python3 -m venv /opt/tools
ENV PATH=/opt/tools/bin:$PATH
# Left in the layer, as commonly written: pip's cache is part of what is measured.
# hadolint ignore=DL3042
RUN pip install "poetry==${POETRY_VERSION}" \
    "poetry-plugin-pypi-mirror==${POETRY_MIRROR_PLUGIN_VERSION}"
WORKDIR /app
COPY . .
# The usual way to skip a venv: Poetry installs into the system interpreter.
RUN poetry config virtualenvs.create false \
    && poetry install --only main --no-interaction --no-ansi
EXPOSE 8000
CMD ["gunicorn"]
