"""deploy/: the Kubernetes manifests validate against the published schemas (offline,
with kubernetes-validate's bundled copies), and the pieces agree with each other and
with the app: one health endpoint, one port, sticky sessions everywhere."""

import copy
import json
import re
import shlex
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
HEALTH = "/_stcore/health"
# The oldest Kubernetes still commonly run, and the newest the checker knows.
VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())


def manifests():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return {doc["kind"]: doc for doc in docs}


def dockerfile_instructions():
    """(instruction, argument) pairs of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def dockerfile_cmd():
    [cmd] = [arg for ins, arg in dockerfile_instructions() if ins == "CMD"]
    return json.loads(cmd)


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"])
def test_manifest_validates_strictly(kind, version):
    doc = manifests()[kind]
    assert doc["kind"] == kind
    # Raises ValidationError on an unknown field or a wrong type (see the next test).
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_would_catch_a_mistake():
    broken = copy.deepcopy(manifests()["Deployment"])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [
        8501
    ]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    typo = copy.deepcopy(manifests()["Service"])
    typo["spec"]["sessionAfinity"] = typo["spec"].pop("sessionAffinity")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, VERSIONS[-1], strict=True)


def test_deployment_probes_the_health_endpoint_on_the_served_port():
    docs = manifests()
    pod = docs["Deployment"]["spec"]["template"]
    [container] = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == 8501 == int(_option(dockerfile_cmd(), "server.port"))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": "http"}
    requests = container["resources"]["requests"]
    assert _mebibytes(requests["memory"]) >= 1000, "TensorFlow alone is about 700 MB"
    assert _mebibytes(container["resources"]["limits"]["memory"]) > _mebibytes(requests["memory"])
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    selector = docs["Deployment"]["spec"]["selector"]["matchLabels"]
    assert docs["Service"]["spec"]["selector"] == selector
    assert all(pod["metadata"]["labels"][k] == v for k, v in selector.items())


def test_sticky_sessions_and_websockets_at_service_and_ingress():
    docs = manifests()
    service, ingress, hpa = docs["Service"], docs["Ingress"], docs["HorizontalPodAutoscaler"]
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert hpa["spec"]["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_dockerfile_builds_a_non_root_image_that_serves_on_all_interfaces():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.12-slim")
    runs = [arg for ins, arg in instructions if ins == "RUN"]
    assert "pip install -r requirements.txt" in runs
    [user] = [arg for ins, arg in instructions if ins == "USER"]
    assert user not in ("root", "0")
    cmd = dockerfile_cmd()
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    assert _option(cmd, "server.address") == "0.0.0.0"
    assert _option(cmd, "server.headless") == "true"
    [health] = [arg for ins, arg in instructions if ins == "HEALTHCHECK"]
    assert f"http://127.0.0.1:8501{HEALTH}" in health
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)
    assert not {"app.py", "cnn_core", "ui", "pages", ".streamlit"} & set(ignored)


def test_compose_runs_three_replicas_behind_the_repos_nginx_config():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    replicas = sorted(name for name in services if name.startswith("convlab-"))
    assert len(replicas) == 3
    nginx = services["nginx"]
    [volume] = nginx["volumes"]
    source, target = volume.split(":")[:2]
    assert (DEPLOY / source).resolve() == DEPLOY / "nginx" / "convlab.conf"
    assert target == "/etc/nginx/conf.d/default.conf"
    assert set(nginx["depends_on"]) == set(replicas)
    conf = (DEPLOY / "nginx" / "convlab.conf").read_text()
    upstreams = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", conf, flags=re.MULTILINE)
    assert sorted(name for name, _ in upstreams) == replicas
    assert {int(port) for _, port in upstreams} == {8501}
    for name in replicas:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD" and HEALTH in " ".join(test)
    assert re.search(r"hash\s+\$convlab_route\s+consistent;", conf)
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", conf)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", conf)
    [timeout] = re.findall(r"proxy_read_timeout\s+(\d+)s;", conf)
    assert int(timeout) >= 3600


def _option(cmd, name):
    for i, arg in enumerate(cmd):
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
        if arg == f"--{name}":
            return cmd[i + 1]
    raise AssertionError(f"--{name} missing from {shlex.join(cmd)}")


def _mebibytes(quantity):
    units = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    return float(quantity) / 2**20
