# The OLM bundle image: opm and the catalog read the same keys from these labels as from
# metadata/annotations.yaml (a test checks that they agree). Build from manifests/olm/:
#   docker build -f bundle.Dockerfile -t <registry>/stockade-operator-bundle:<version> .
FROM scratch
LABEL operators.operatorframework.io.bundle.mediatype.v1=registry+v1
LABEL operators.operatorframework.io.bundle.manifests.v1=manifests/
LABEL operators.operatorframework.io.bundle.metadata.v1=metadata/
LABEL operators.operatorframework.io.bundle.package.v1=stockade
LABEL operators.operatorframework.io.bundle.channels.v1=alpha
LABEL operators.operatorframework.io.bundle.channel.default.v1=alpha
COPY bundle/manifests /manifests/
COPY bundle/metadata /metadata/
