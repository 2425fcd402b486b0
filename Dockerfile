# Placeholder until the container issue: the final image is FROM scratch
# holding only the static build/flux. Build the binary first with `make`.
# The spec's ENTRYPOINT ["/flux"] and WORKDIR /flux cannot share one path,
# so the binary lives at /usr/bin/flux; the container issue settles this.
FROM scratch
COPY build/flux /usr/bin/flux
USER 65532:65532
WORKDIR /flux
ENTRYPOINT ["/usr/bin/flux"]
CMD ["apply"]
