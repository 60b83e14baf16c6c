#!/usr/bin/env python3
"""Start and stop kakou's local services without Docker: Apache Kafka (KRaft), Redis and
PostgreSQL.

    python .ci/services.py up            # both; idempotent; waits until each answers
    python .ci/services.py down          # stops what this script started
    python .ci/services.py stop kafka    # one service (tests use this to cut the uplink)
    python .ci/services.py start kafka
    python .ci/services.py status
    python .ci/services.py env           # KAFKA_BOOTSTRAP_SERVERS / REDIS_URL / DATABASE_URL

Kafka's jars come from Maven Central through the committed ``.ci/kafka/pom.xml`` and run on the
machine's Java 17; Redis is Debian's ``redis-server`` and PostgreSQL Debian's ``postgresql``
(each installed with apt when missing, as root). Data, logs and pid files live in ``.services/``
(git-ignored). PostgreSQL never runs as root: as root, its folder belongs to the ``postgres``
user, and folders above it that user cannot pass through get o+x (traversal only). Ports come
from KAKOU_KAFKA_PORT, KAKOU_KAFKA_CONTROLLER_PORT, KAKOU_KAFKA_SASL_PORT, KAKOU_KAFKA_SSL_PORT,
KAKOU_REDIS_PORT and KAKOU_PG_PORT. When KAFKA_BOOTSTRAP_SERVERS, REDIS_URL or DATABASE_URL is
set, that service is taken to exist already and nothing is started for it. The local services
trust connections from 127.0.0.1; for the tests that prove kakou's clients authenticate, Kafka
also listens with SASL/PLAIN and with SASL/PLAIN over TLS, and PostgreSQL has a role that may
log in only over TLS with its password, both with a test CA made by openssl in ``.services/tls``.
Standard library only, so it runs before any virtual environment exists.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".services"
POM = ROOT / ".ci" / "kafka" / "pom.xml"
KAFKA_PORT = int(os.environ.get("KAKOU_KAFKA_PORT", "9092"))
CONTROLLER_PORT = int(os.environ.get("KAKOU_KAFKA_CONTROLLER_PORT", "9093"))
REDIS_PORT = int(os.environ.get("KAKOU_REDIS_PORT", "6379"))
#: A second listener that requires SASL/PLAIN, with a test account, for the tests that prove
#: kakou's clients authenticate (KAKOU_KAFKA_SECURITY_PROTOCOL and friends).
KAFKA_SASL_PORT = int(os.environ.get("KAKOU_KAFKA_SASL_PORT", "9094"))
KAFKA_SASL_USER, KAFKA_SASL_PASSWORD = "kakoutest", "kakou-sasl-test-password"
#: A third listener, SASL/PLAIN over TLS (the local test CA's certificate for 127.0.0.1).
KAFKA_SSL_PORT = int(os.environ.get("KAKOU_KAFKA_SSL_PORT", "9095"))
#: A PostgreSQL role that may only log in over TLS with its password (SCRAM), owning its own
#: database, for the tests that prove kakou's clients connect so.
PG_SECURE_USER, PG_SECURE_PASSWORD = "kakou_secure", "kakou-pg-test-password"
#: The local test CA and the services' certificate, made with openssl on first start.
TLS = STATE / "tls"
PG_PORT = int(os.environ.get("KAKOU_PG_PORT", "5433"))  # 5432 is left to a system server
KAFKA_HEAP = os.environ.get("KAKOU_KAFKA_HEAP", "512m")

KAFKA_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller},SASL_PLAINTEXT://127.0.0.1:{sasl_port},SASL_SSL://127.0.0.1:{ssl_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},SASL_SSL://127.0.0.1:{ssl_port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_{sasl_user}="{sasl_password}";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_{sasl_user}="{sasl_password}";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location={keystore}
inter.broker.listener.name=PLAINTEXT
log.dirs={data}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=60000
"""

LOG4J2 = """\
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="{log}"><PatternLayout pattern="[%d] %p %m (%c)%n"/></File>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
"""


def say(msg: str) -> None:
    print(f"[services] {msg}", flush=True)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_pid(name: str) -> int | None:
    try:
        pid = int((STATE / f"{name}.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def wait_until(check, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    sys.exit(f"[services] {what} did not come up within {timeout:.0f}s\n{tail}")


# --- Kafka -----------------------------------------------------------------------------------

def kafka_classpath() -> str:
    libs = STATE / "kafka" / "libs"
    marker = libs / ".complete"
    if not marker.exists() or marker.read_text() != POM.read_text():
        if shutil.which("mvn") is None:
            sys.exit("[services] Maven (mvn) is needed to fetch Kafka from Maven Central; install it")
        say("resolving Apache Kafka from Maven Central (first run only)")
        shutil.rmtree(libs, ignore_errors=True)
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={libs}"], check=True,
        )
        marker.write_text(POM.read_text())
    return os.pathsep.join(str(p) for p in sorted(libs.glob("*.jar")))


def kafka_broker_started(log: Path, since: int) -> bool:
    if not port_open(KAFKA_PORT) or not log.exists():
        return False
    with log.open("rb") as fh:
        fh.seek(since)
        text = fh.read()
    return b"Kafka Server started" in text or b"] started (kafka.server" in text


def start_kafka() -> None:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        say(f"kafka: using KAFKA_BOOTSTRAP_SERVERS={os.environ['KAFKA_BOOTSTRAP_SERVERS']}")
        return
    if read_pid("kafka") and port_open(KAFKA_PORT):
        say(f"kafka: already running on 127.0.0.1:{KAFKA_PORT}")
        return
    if port_open(KAFKA_PORT):
        sys.exit(f"[services] port {KAFKA_PORT} is taken by another process; set KAKOU_KAFKA_PORT")
    if shutil.which("java") is None:
        sys.exit("[services] Java 17+ is needed to run Kafka; install a JDK (e.g. openjdk-17-jre-headless)")
    home = STATE / "kafka"
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    classpath = kafka_classpath()
    props = home / "server.properties"
    tls = local_tls()
    keystore = home / "keystore.pem"      # Kafka's PEM keystore: the key, then the chain
    keystore.write_text((tls / "server.key").read_text() + (tls / "server.pem").read_text())
    keystore.chmod(0o600)
    props.write_text(KAFKA_PROPERTIES.format(port=KAFKA_PORT, controller=CONTROLLER_PORT, data=data,
                                             sasl_port=KAFKA_SASL_PORT, sasl_user=KAFKA_SASL_USER,
                                             sasl_password=KAFKA_SASL_PASSWORD,
                                             ssl_port=KAFKA_SSL_PORT, keystore=keystore))
    log = home / "kafka.log"
    (home / "log4j2.xml").write_text(LOG4J2.format(log=log))
    # the whole heap committed and touched at start: the broker's memory is flat from the first
    # minute, so a soak sees growth, not the heap filling up
    java = ["java", f"-Xms{KAFKA_HEAP}", f"-Xmx{KAFKA_HEAP}", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch",
            f"-Dlog4j2.configurationFile={home / 'log4j2.xml'}", "-cp", classpath]
    if not (data / "meta.properties").exists():
        cluster = (home / "cluster.id")
        if not cluster.exists():
            cluster_id = subprocess.run(java + ["kafka.tools.StorageTool", "random-uuid"],
                                        check=True, capture_output=True, text=True).stdout.strip()
            cluster.write_text(cluster_id)
        subprocess.run(java + ["kafka.tools.StorageTool", "format", "-t", cluster.read_text().strip(),
                               "-c", str(props), "--ignore-formatted"],
                       check=True, capture_output=True, text=True)
    since = log.stat().st_size if log.exists() else 0
    out = (home / "stdout.log").open("ab")
    proc = subprocess.Popen(java + ["kafka.Kafka", str(props)], stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    (STATE / "kafka.pid").write_text(str(proc.pid))
    say(f"kafka: starting (pid {proc.pid}), log {log}")
    wait_until(lambda: proc.poll() is None and kafka_broker_started(log, since)
               or proc.poll() is not None, "kafka", 120, log)
    if proc.poll() is not None:
        sys.exit(f"[services] kafka exited with {proc.returncode}; see {log} and {home/'stdout.log'}")
    say(f"kafka: ready on 127.0.0.1:{KAFKA_PORT}")


# --- TLS -------------------------------------------------------------------------------------

def local_tls() -> Path:
    """The test CA (``ca.pem``) and a certificate it signed for 127.0.0.1 and localhost
    (``server.pem``, ``server.key``, PKCS#8), made once with openssl; the folder."""
    if (TLS / "server.pem").exists():
        return TLS
    if shutil.which("openssl") is None:
        apt_install("openssl")
    TLS.mkdir(parents=True, exist_ok=True)
    (TLS / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, cwd=TLS, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "3650", "-subj", "/CN=kakou local test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "3650", "-extfile", "san.cnf")
    say(f"tls: made the local test CA and certificate in {TLS}")
    return TLS


# --- Redis -----------------------------------------------------------------------------------

def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    apt_install("redis-server")
    return shutil.which("redis-server") or sys.exit("[services] redis-server still missing after apt")


def redis_ping() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis() -> None:
    if os.environ.get("REDIS_URL"):
        say(f"redis: using REDIS_URL={os.environ['REDIS_URL']}")
        return
    if read_pid("redis") and redis_ping():
        say(f"redis: already running on 127.0.0.1:{REDIS_PORT}")
        return
    if port_open(REDIS_PORT):
        sys.exit(f"[services] port {REDIS_PORT} is taken by another process; set KAKOU_REDIS_PORT")
    binary = redis_binary()
    home = STATE / "redis"
    home.mkdir(parents=True, exist_ok=True)
    log = home / "redis.log"
    proc = subprocess.Popen(
        [binary, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", str(home),
         "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    (STATE / "redis.pid").write_text(str(proc.pid))
    wait_until(lambda: redis_ping() or proc.poll() is not None, "redis", 30, log)
    if proc.poll() is not None:
        sys.exit(f"[services] redis exited with {proc.returncode}; see {log}")
    say(f"redis: ready on 127.0.0.1:{REDIS_PORT} (AOF on)")


# --- PostgreSQL --------------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """A PostgreSQL server tool (initdb, pg_ctl) of the newest installed major version."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return str(found[-1])
    apt_install("postgresql")
    return pg_tool(name)


def as_postgres(cmd: list[str]) -> list[str]:
    """Root may not run the server: as root, run the tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def let_postgres_in(home: Path) -> None:
    """As root: give ``home`` to the postgres user, and let it pass through the folders above."""
    if os.geteuid() != 0:
        return
    subprocess.run(["chown", "-R", "postgres:postgres", str(home)], check=True)
    for folder in reversed(home.parents):   # from the root down: the first closed one matters
        passable = ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)]
        if subprocess.run(passable).returncode:
            say(f"postgres: granting traversal (o+x) on {folder}")
            folder.chmod(folder.stat().st_mode | 0o001)


def pg_ready() -> bool:
    return port_open(PG_PORT)


def start_postgres() -> None:
    if os.environ.get("DATABASE_URL"):
        say("postgres: using DATABASE_URL")
        return
    home = STATE / "postgres"
    data, log = home / "data", home / "postgres.log"
    if (data / "postmaster.pid").exists() and pg_ready():
        say(f"postgres: already running on 127.0.0.1:{PG_PORT}")
        return
    if port_open(PG_PORT):
        sys.exit(f"[services] port {PG_PORT} is taken by another process; set KAKOU_PG_PORT")
    initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
    (home / "run").mkdir(parents=True, exist_ok=True)
    let_postgres_in(home)
    if not (data / "PG_VERSION").exists():
        subprocess.run(as_postgres([initdb, "-D", str(data), "-U", "kakou", "--auth=trust",
                                    "--encoding=UTF8", "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
    secure_files(home)
    options = (f"-p {PG_PORT} -k {home / 'run'} -c listen_addresses=127.0.0.1 "
               "-c max_connections=200 -c shared_buffers=256MB "
               f"-c ssl=on -c ssl_cert_file={home / 'server.pem'} "
               f"-c ssl_key_file={home / 'server.key'} -c hba_file={home / 'pg_hba.conf'}")
    started = subprocess.run(as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-o", options,
                                          "-w", "-t", "60", "start"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if started.returncode:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else started.stderr
        sys.exit(f"[services] postgres did not start:\n{tail}")
    pid = (data / "postmaster.pid").read_text().split("\n", 1)[0]
    (STATE / "postgres.pid").write_text(pid)
    if not psql("SELECT 1 FROM pg_database WHERE datname = 'kakou'"):
        psql("CREATE DATABASE kakou")
    if not psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{PG_SECURE_USER}'"):
        psql(f"CREATE ROLE {PG_SECURE_USER} LOGIN PASSWORD '{PG_SECURE_PASSWORD}'")
        psql(f"CREATE DATABASE {PG_SECURE_USER} OWNER {PG_SECURE_USER}")
    say(f"postgres: ready on 127.0.0.1:{PG_PORT} (data in {data})")


#: Who may connect how: the secured role only over TLS with its password, everyone else on
#: loopback trusted, as the local Kafka and Redis are.
PG_HBA = f"""\
local     all  all                           trust
hostnossl all  {PG_SECURE_USER}  all            reject
hostssl   all  {PG_SECURE_USER}  127.0.0.1/32   scram-sha-256
host      all  all           127.0.0.1/32   trust
host      all  all           ::1/128        trust
"""


def secure_files(home: Path) -> None:
    """The server's certificate, key (which PostgreSQL reads only if its own and private) and
    client rules in ``home``."""
    tls = local_tls()
    for name in ("server.pem", "server.key"):
        shutil.copyfile(tls / name, home / name)
    (home / "server.key").chmod(0o600)
    (home / "pg_hba.conf").write_text(PG_HBA)
    if os.geteuid() == 0:
        for name in ("server.pem", "server.key", "pg_hba.conf"):
            shutil.chown(home / name, "postgres", "postgres")


def psql(sql: str) -> str:
    """One statement as the local superuser; what it printed (unaligned, tuples only)."""
    return subprocess.run(as_postgres(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U",
                                       "kakou", "-d", "postgres", "-qtAc", sql]),
                          check=True, capture_output=True, text=True).stdout.strip()


def stop_postgres() -> None:
    data = STATE / "postgres" / "data"
    if not (data / "postmaster.pid").exists():
        say("postgres: not running (nothing started by this script)")
        return
    subprocess.run(as_postgres([pg_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                "stop"]), stdout=subprocess.DEVNULL)
    (STATE / "postgres.pid").unlink(missing_ok=True)
    say("postgres: stopped")


# --- common ----------------------------------------------------------------------------------

def apt_install(package: str) -> None:
    """Install a missing Debian package (as root, with apt), or stop saying what is missing."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"[services] {package} is missing; install Debian's {package} package")
    say(f"installing Debian's {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)


def stop(name: str, port: int) -> None:
    pid = read_pid(name)
    if pid is None:
        say(f"{name}: not running (nothing started by this script)")
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and read_pid(name):
        time.sleep(0.2)
    if read_pid(name):
        os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
    while port_open(port) and time.monotonic() < deadline + 10:
        time.sleep(0.2)
    (STATE / f"{name}.pid").unlink(missing_ok=True)
    say(f"{name}: stopped")


STARTERS = {"kafka": start_kafka, "redis": start_redis, "postgres": start_postgres}
PORTS = {"kafka": KAFKA_PORT, "redis": REDIS_PORT, "postgres": PG_PORT}


def env_lines() -> list[str]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{KAFKA_PORT}")
    redis = os.environ.get("REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}/0")
    database = os.environ.get("DATABASE_URL", f"postgresql://kakou@127.0.0.1:{PG_PORT}/kakou")
    return [f"export KAFKA_BOOTSTRAP_SERVERS={kafka}", f"export REDIS_URL={redis}",
            f"export DATABASE_URL={database}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down", "start", "stop", "status", "env"])
    parser.add_argument("service", nargs="?", choices=sorted(STARTERS), help="default: all")
    args = parser.parse_args()
    STATE.mkdir(exist_ok=True)
    names = [args.service] if args.service else ["redis", "postgres", "kafka"]
    if args.action in ("up", "start"):
        for name in names:
            STARTERS[name]()
    elif args.action in ("down", "stop"):
        for name in reversed(names):
            stop_postgres() if name == "postgres" else stop(name, PORTS[name])
    elif args.action == "status":
        for name in names:
            state = "running" if read_pid(name) and port_open(PORTS[name]) else "stopped"
            print(f"{name}: {state} (127.0.0.1:{PORTS[name]})")
    else:
        print("\n".join(env_lines()))


if __name__ == "__main__":
    main()
