"""Static checks on docker/: the compose stack and Dockerfiles agree with the repository.

No Docker needed: compose.yaml is parsed with PyYAML and the Dockerfiles are read as text.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))

# Services that run kakou code, and the only Kafka/Redis variables they may be given.
KAKOU_SERVICES = ("stream", "watchlist-import", "console", "edge")
SERVICE_ENV = {"KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL"}
# Files of the local (non-Docker) setup that read the same variables.
LOCAL_READERS = {
    "KAFKA_BOOTSTRAP_SERVERS": (ROOT / ".ci" / "services.py", ROOT / "checkpoint" / "wire" / "settings.py"),
    "REDIS_URL": (ROOT / ".ci" / "services.py", ROOT / "stream" / "settings.py"),
}

CONFIG_PATH = re.compile(r"/app/configs/[^\s\"',;&|)]+")


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


COMPOSE = load_compose()
SERVICES: dict[str, dict] = COMPOSE["services"]


def env_of(service: dict) -> dict[str, str]:
    """A service's `environment`, whether written as a mapping or as a list of KEY=VALUE."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: (None if v is None else str(v)) for k, v in env.items()}


def words(value) -> str:
    """`command` / `entrypoint` as one string, whichever YAML form it was written in."""
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(str(v) for v in value)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    logical, buf = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        logical.append(buf + stripped)
        buf = ""
    if buf:
        logical.append(buf)
    out = []
    for text in logical:
        keyword, _, args = text.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def copy_sources(args: str) -> list[str]:
    """Source paths of a COPY/ADD (flags skipped, destination dropped); both shell and JSON form."""
    parts = json.loads(args) if args.startswith("[") else shlex.split(args)
    parts = [p for p in parts if not p.startswith("--")]
    return parts[:-1]


# --- build ------------------------------------------------------------------------------------

BUILT = {name: svc["build"] for name, svc in SERVICES.items() if "build" in svc}


def test_compose_builds_something():
    assert BUILT, f"{COMPOSE_FILE} has no service with a `build:` section"
    assert DOCKERFILES, f"no *.Dockerfile in {DOCKER}"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_build_dockerfile_exists_in_its_context(name):
    build = BUILT[name]
    if isinstance(build, str):
        build = {"context": build}
    context = (DOCKER / build.get("context", ".")).resolve()
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert context.is_dir(), f"service {name!r}: build context {context} is not a directory"
    assert dockerfile.is_file(), f"service {name!r}: dockerfile {dockerfile} does not exist"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_copied_files_exist_in_repo(dockerfile):
    sources = [src for kw, args in instructions(dockerfile) if kw in ("COPY", "ADD")
               and "--from=" not in args for src in copy_sources(args)]
    assert sources, f"{dockerfile.name}: no COPY instructions found"
    missing = [src for src in sources
               if not ((ROOT / src).exists() or "*" in src and any(ROOT.glob(src)))]
    assert not missing, f"{dockerfile.name}: COPY sources missing from the repository root: {missing}"


# --- environment ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", KAKOU_SERVICES)
def test_kakou_service_gets_exactly_the_service_variables(name):
    assert name in SERVICES, f"compose.yaml has no service {name!r}"
    env = env_of(SERVICES[name])
    service_vars = {k for k in env if k.startswith(("KAFKA", "REDIS"))}
    assert service_vars == SERVICE_ENV, (
        f"service {name!r}: Kafka/Redis variables are {sorted(service_vars)}, expected {sorted(SERVICE_ENV)}")
    assert all(env[k] for k in SERVICE_ENV), f"service {name!r}: empty value among {sorted(SERVICE_ENV)}"


@pytest.mark.parametrize("name", KAKOU_SERVICES)
def test_service_variables_point_at_compose_services(name):
    env = env_of(SERVICES[name])
    kafka_hosts = [hp.strip().rsplit(":", 1)[0] for hp in env["KAFKA_BOOTSTRAP_SERVERS"].split(",")]
    redis = re.match(r"rediss?://(?:[^@/]*@)?([^:/]+)", env["REDIS_URL"])
    assert redis, f"service {name!r}: REDIS_URL {env['REDIS_URL']!r} is not a redis:// URL"
    for host in kafka_hosts + [redis.group(1)]:
        assert host in SERVICES, f"service {name!r}: host {host!r} is not a service in compose.yaml"


@pytest.mark.parametrize("var,reader", [(var, reader) for var, readers in LOCAL_READERS.items()
                                        for reader in readers],
                         ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_local_setup_reads_the_same_variables(reader, var):
    assert reader.is_file(), f"{reader.relative_to(ROOT)} does not exist"
    assert var in reader.read_text(), f"{reader.relative_to(ROOT)} never mentions {var}"


def test_edge_spool_and_evidence_live_on_a_volume():
    edge = SERVICES["edge"]
    env = env_of(edge)
    targets = [v.split(":")[1] if isinstance(v, str) else v["target"] for v in edge.get("volumes", [])]
    for var in ("KAKOU_SPOOL_DIR", "KAKOU_EVIDENCE_DIR"):
        assert env.get(var), f"service 'edge' does not set {var}"
        assert any(env[var] == t or env[var].startswith(t.rstrip("/") + "/") for t in targets), (
            f"service 'edge': {var}={env[var]} is not on a mounted volume ({targets}); the spool would be lost")


# --- images, dependencies, broker --------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if "image" in s))
def test_image_is_pinned(name):
    image = SERVICES[name]["image"]
    if "@sha256:" in image:
        return
    last = image.rsplit("/", 1)[-1]
    assert ":" in last, f"service {name!r}: image {image!r} has no tag"
    assert last.rsplit(":", 1)[1] != "latest", f"service {name!r}: image {image!r} uses the `latest` tag"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_depends_on_names_real_services_with_healthchecks(name):
    deps = SERVICES[name].get("depends_on") or {}
    if isinstance(deps, list):
        deps = {d: {"condition": "service_started"} for d in deps}
    for dep, spec in deps.items():
        assert dep in SERVICES, f"service {name!r} depends on unknown service {dep!r}"
        if spec.get("condition") == "service_healthy":
            assert "healthcheck" in SERVICES[dep], (
                f"service {name!r} waits for {dep!r} to be healthy, but {dep!r} has no healthcheck")


def test_kafka_does_not_auto_create_topics():
    env = env_of(SERVICES["kafka"])
    value = env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")
    assert value is not None and value.lower() == "false", (
        f"service 'kafka': KAFKA_AUTO_CREATE_TOPICS_ENABLE is {value!r}, must be 'false'")


# --- config files ----------------------------------------------------------------------------

def referenced_configs() -> list[tuple[str, str]]:
    """(where, /app/configs/... path) for every config path named by a compose command or Dockerfile."""
    found = []
    for name, svc in SERVICES.items():
        text = words(svc.get("entrypoint")) + " " + words(svc.get("command"))
        found += [(f"service {name!r}", p) for p in CONFIG_PATH.findall(text)]
    for dockerfile in DOCKERFILES:
        for kw, args in instructions(dockerfile):
            if kw in ("CMD", "ENTRYPOINT", "RUN"):
                found += [(dockerfile.name, p) for p in CONFIG_PATH.findall(args)]
    return found


CONFIG_REFS = referenced_configs()


def test_some_config_files_are_referenced():
    assert CONFIG_REFS, "no /app/configs/... path found in compose.yaml or the Dockerfiles"


@pytest.mark.parametrize("where,path", CONFIG_REFS, ids=[f"{w}:{p}" for w, p in CONFIG_REFS])
def test_referenced_config_exists(where, path):
    local = ROOT / path.removeprefix("/app/")
    assert local.is_file(), f"{where} uses {path}, but {local.relative_to(ROOT)} is not in the repository"


# --- what each image carries -------------------------------------------------------------------

def stages(dockerfile: Path) -> dict[str, list[str]]:
    """Each build stage's COPY sources (repo paths, globs expanded), a stage built FROM an
    earlier one inheriting its files."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for keyword, args in instructions(dockerfile):
        if keyword == "FROM":
            words_ = args.split()
            base = found.get(words_[0], [])
            name = words_[-1] if len(words_) >= 3 and words_[-2].upper() == "AS" else "final"
            current = found.setdefault(name, list(base))
        elif keyword == "COPY" and "--from=" not in args:
            for src in copy_sources(args):
                current += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(src)) or [src]
    return found


def python_modules(sources: list[str]) -> set[str]:
    """The kakou modules the copied paths hold (a folder: every .py below it)."""
    files: list[Path] = []
    for src in sources:
        path = ROOT / src
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if src.endswith(".py") else []
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for p in files}


def imports_of(entries: list[str], beyond: tuple[str, ...] = ()) -> set[str]:
    """Every kakou module the entry modules import, transitively (lazy imports too), not
    following imports into modules under ``beyond``."""
    from tests.test_layout import PACKAGES, kakou_imports, module_name

    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    needed, todo = set(), list(entries)
    while todo:
        module = todo.pop()
        if module in needed:
            continue
        needed.add(module)
        if not module.startswith(beyond) or module in entries:
            todo += kakou_imports(files[module], set(files)) - needed
    return needed


EDGE = stages(DOCKER / "edge.Dockerfile")
STREAM = stages(DOCKER / "stream.Dockerfile")["final"]
STREAM_ENTRIES = ["stream.app", "stream.agents.watchlist", "stream.agents.passages",
                  "stream.agents.idchecks", "stream.agents.heartbeats", "stream.agents.escalation",
                  "stream.watchlist_cli", "stream.audit_cli", "stream.flow_cli", "stream.trace_cli"]


def test_the_box_image_carries_what_a_box_runs_and_no_lab():
    copied = python_modules(EDGE["box"])
    # the command hands lab commands to checkpoint.lab.cli, only when asked for one
    needed = imports_of(["checkpoint.command"], beyond=("checkpoint.lab",)) - {"checkpoint.lab.cli"}
    assert needed <= copied, f"the box image lacks {sorted(needed - copied)}"
    assert not [m for m in copied if m.startswith(("checkpoint.lab", "stream", "models"))]
    assert imports_of(["checkpoint.lab.sampleclip", "checkpoint.lab.cli"]) \
        <= python_modules(EDGE["demo"])


def test_the_stream_image_carries_the_stream_and_only_the_wire_of_the_edge():
    copied = python_modules(STREAM)
    needed = imports_of(STREAM_ENTRIES)
    assert needed <= copied, f"the stream image lacks {sorted(needed - copied)}"
    assert {m for m in copied if m.startswith("checkpoint")} <= \
        {"checkpoint"} | {m for m in copied if m.startswith("checkpoint.wire")}
    assert not [m for m in copied if m.startswith(("stream.lab", "models"))]
    assert "stream/record_passages.lua" in STREAM


def test_the_box_image_carries_the_models_a_box_uses_by_default_and_no_others():
    from checkpoint.config import ReaderConfig
    from checkpoint.documents import MRZ_MODEL

    reader = ReaderConfig()
    default = {f"models/{reader.plate_det_model}", f"models/{reader.corner_model}",
               f"models/{MRZ_MODEL}"} | {f"models/{p}" for p in reader.rec_models.values()}
    assert {s for s in EDGE["box"] if s.endswith(".onnx")} == default


def test_the_demo_image_installs_every_font_the_sample_clip_draws_with():
    from checkpoint.lab import fonts

    text = (DOCKER / "edge.Dockerfile").read_text()
    demo = text[text.index("AS demo"):]
    assert set(fonts.PACKAGES.values()) - {"fonts-dejavu-core"} <= set(demo.split()) | {
        p for p in fonts.PACKAGES.values() if p in demo}
    assert all(package in demo for package in set(fonts.PACKAGES.values()))
