# The reference server, wcp serve, as a container image.
#
# The image is FROM scratch and the binary is built outside it, because no
# base image (golang, distroless, ...) can be pulled where this is built:
#
#   CGO_ENABLED=0 go build -o bin/wcp ./cmd/wcp    # static: scratch has no libc
#   docker build -t wcp:dev .                      # or: make image
#
# Data contract: the server keeps its database (and its generated secret,
# beside it) under /data. Mount a writable directory or volume there to keep
# them; the conformance harness (WCP_TARGET_IMAGE) mounts a host directory
# there, writable by any user, that survives its kill -9 and restart.
FROM scratch
COPY bin/wcp /wcp
# wcp conform keeps its private files (worker jobs and reports) under the
# temporary directory, which scratch lacks: WORKDIR creates it.
WORKDIR /tmp
WORKDIR /
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/wcp"]
# Where to listen comes from HOST and PORT (wcp serve expands them itself:
# scratch has no shell). The defaults suit `docker run -p 8080:8080`;
# wcp conform runs the image on the host's network with HOST=127.0.0.1 and
# PORT set to a free port of its choosing.
ENV HOST=0.0.0.0 PORT=8080
CMD ["serve", "--addr", "${HOST}:${PORT}", "--db", "/data/wcp.db"]
