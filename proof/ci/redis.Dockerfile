# For machines without a registry: CI's stand-in for the official redis image, which
# README's "Add a worker" names. CI (images.sh) builds it on a Debian rootfs with redis-
# server; what a team relies on in the official image, it does too: a server that answers
# on every address without a password, redis-cli on the PATH, its data in /data.
FROM scratch
ADD rootfs.tar /
RUN install -d -o redis -g redis /data
WORKDIR /data
# Debian gives the redis user a UID of its choosing, so the name it is.
# hadolint ignore=DL3066
USER redis
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
