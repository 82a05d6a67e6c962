# One image for every Caspian role: control, io-engine, up, the CLI verbs (ENTRYPOINT caspian), and the io bus's
# Kafka broker (entrypoint caspian-kafka). Build it with deploy/build-images, which stages the Maven build output in
# target/image (the image build runs no Maven) and picks the base:
#   BASE  a Java 17 runtime image: eclipse-temurin:17-jre on a connected machine; where no image registry is
#         reachable, the caspian-base:<recipe> image deploy/base-image makes from Debian packages (JRE 17,
#         nvme-cli, e2fsprogs, xfsprogs, util-linux).
# Runs as the unprivileged user caspian (uid 10001): control, csi-controller, kafka and the CLI need nothing more.
# io-engine on block devices and csi-node run as root with privileges (k8s/); docker-compose.yml's io-engines use
# file pools and run as caspian. docs/adr/deployment.md says which privileges and why.
ARG BASE=eclipse-temurin:17-jre
FROM ${BASE}
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/caspian --shell /usr/sbin/nologin caspian \
 && mkdir -p /var/lib/caspian && chown caspian:caspian /var/lib/caspian
COPY target/image/ /opt/caspian/
ENV PATH=/opt/caspian/bin:$PATH \
    CASPIAN_KAFKA_LIB=/opt/caspian/kafka-lib
WORKDIR /var/lib/caspian
USER caspian
# REST (control), Artery (every cluster member), NBD and NVMe/TCP (io-engine), Kafka.
EXPOSE 8080 25520 10809 4420 9092
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 CMD ["/opt/caspian/bin/caspian-health"]
ENTRYPOINT ["/opt/caspian/bin/caspian"]
CMD ["--help"]
# Last, so that a new revision rebuilds nothing above when the staged jars are the same.
ARG BASE
ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="caspian" \
      org.opencontainers.image.description="Caspian: replicated container-attached block storage (every role)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${BASE}"
