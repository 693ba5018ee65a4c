# For machines without a registry: CI's stand-in for the official postgres image, which
# README's "Add a service" names. CI (images.sh) builds it on a Debian rootfs with
# PostgreSQL; what a team relies on in the official image, it does too: a database made on
# an empty data folder from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB, listening on
# every address, pg_isready on the PATH.
FROM scratch
ADD rootfs.tar /
ARG VERSION
ENV PATH=/usr/lib/postgresql/$VERSION/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint /usr/local/bin/docker-entrypoint.sh
# A named volume mounted on an empty PGDATA takes its owner from the image.
RUN install -d -o postgres -g postgres -m 700 "$PGDATA" \
    && install -d -o postgres -g postgres /run/postgresql
# Debian gives the postgres user a UID of its choosing, so the name it is.
# hadolint ignore=DL3066
USER postgres
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
