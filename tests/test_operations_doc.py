"""docs/operations.md runs as written: every ```sh block, in order, in one shell, and its nginx example.

The shell blocks run on PostgreSQL in databases made and dropped here (the doc's database names get a
suffix of their own), with `escrutinio serve` started in the background on a free port instead of the
doc's 8000; nothing else of the doc is changed. The nginx example runs as it is (its certificate paths
and ports swapped for a self-signed certificate and free ports) in front of a real server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from escrutinio.services import init_election, open_store
from escrutinio.verify import verify_source

from .conftest import PG_URL, WAIT_SECONDS, cli_env, free_port, require_postgresql, served
from .factory import small_election
from .test_docs import DEFINITION, DOCS

DOC = DOCS / "operations.md"
DATABASES = ("night_restored", "night", "drill")  # longest first: substituted in this order


def blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def _script(names: dict[str, str], port: int) -> str:
    pg = sa.engine.make_url(PG_URL)
    lines = ["set -euo pipefail", "SERVER=", 'trap \'[ -n "$SERVER" ] && kill $SERVER\' EXIT']
    for block in blocks("sh"):
        for line in block.splitlines():
            for doc_name, name in names.items():
                line = re.sub(rf"(5432/|postgres ){doc_name}\b", rf"\g<1>{name}", line)
            line = line.replace("--host 127.0.0.1 --username postgres", f"--host {pg.host} --port {pg.port or 5432} "
                                f"--username {pg.username}")
            line = line.replace("postgres@127.0.0.1:5432", f"{pg.username}@{pg.host}:{pg.port or 5432}")
            line = line.replace("8000", str(port))
            if line.startswith("escrutinio serve"):
                line = (f"{line} > serve.log 2>&1 & SERVER=$!\n"
                        f"for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:{port}/api/v1/election && break;"
                        " sleep 0.2; done")
            lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def databases():
    require_postgresql()
    suffix = uuid.uuid4().hex[:8]
    names = {doc: f"{doc}_{suffix}" for doc in DATABASES}
    yield names
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sandbox(tmp_path: Path) -> Path:
    """A folder with the docs' template election (signatures required, as on a real night) and its actas."""
    where = tmp_path / "centre"
    shutil.copytree(DEFINITION.parent, where)
    text = DEFINITION.read_text(encoding="utf-8").replace("require_signatures = false", "require_signatures = true")
    (where / "election.toml").write_text(text, encoding="utf-8")
    shutil.copy(DEFINITION.parent.parent / "actas.csv", where / "actas.csv")
    return where


def test_every_shell_command_of_the_operations_guide_runs(tmp_path, databases):
    where, port = _sandbox(tmp_path), free_port()
    env = cli_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env = {k: v for k, v in env.items() if not k.startswith("ESCRUTINIO_")}
    done = subprocess.run(["bash", "-c", _script(databases, port)], cwd=where, env=env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    # What the guide says happened, happened.
    url = f"{sa.engine.make_url(PG_URL).set(database=databases['night']).render_as_string(hide_password=False)}"
    restored = sa.engine.make_url(url).set(database=databases["night_restored"]).render_as_string(hide_password=False)
    drill, night = (open_store(sa.engine.make_url(url).set(database=databases[n]).render_as_string(hide_password=False))
                    for n in ("drill", "night"))
    assert drill.election().drill and list(drill.actas()) == [] and drill.bulletin_heads() == []  # reset
    assert drill.authority_key()[1] is None  # exported, then removed
    assert not night.election().drill and night.authority_key()[1] is None  # the key lives in its file
    assert (where / "secrets" / "authority.key").stat().st_mode & 0o777 == 0o600
    [head] = night.bulletin_heads()  # published over the API with the admin token
    certificate = (where / "certificate-00.html").read_text(encoding="utf-8")
    assert head["hash"] in certificate and "https://results.example.org/bulletins/1/certificate/00" in certificate
    assert (where / "drill-site" / "bulletins" / "1" / "head.json").exists() and (where / "site" / "latest.json").exists()
    assert "key_replacement" in {leaf["kind"] for leaf in night.log_leaves(0, 10_000)}
    # The paper acta entered twice counted, then the board's recount replaced it.
    held = {(r.status, dict(r.acta.votes)["SI"]) for r in night.actas(table="010101001-1")}
    assert held == {("set_aside", 141), ("counted", 142)}, held
    assert verify_source(db=restored).ok
    drill.close()
    night.close()


# -- the nginx example ---------------------------------------------------------------------------------------

def _nginx() -> str | None:
    """nginx, installed from Debian (nginx-light) if missing and this is root, as scripts/test does."""
    found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    return found or None


def _first_answer(client: httpx.Client, url: str, proxy: subprocess.Popen) -> httpx.Response:
    """The first answer of nginx once it listens (it starts in the background)."""
    for _ in range(int(WAIT_SECONDS * 10)):
        try:
            return client.get(url)
        except httpx.TransportError:
            if proxy.poll() is not None:
                pytest.fail(f"nginx exited: {proxy.stderr.read().decode()}")
            time.sleep(0.1)
    pytest.fail(f"nginx did not answer at {url}")


def test_the_nginx_example_serves_the_site_over_tls(tmp_path):
    nginx = _nginx()
    if nginx is None:
        pytest.skip("nginx is neither installed nor installable here (not root): apt-get install nginx-light")
    [site] = blocks("nginx")
    store = open_store(f"sqlite:///{tmp_path / 'night.db'}")
    init_election(store, small_election())
    store.close()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=results.example.org", "-keyout", str(tmp_path / "site.key"), "-out", str(tmp_path / "site.pem")],
                   check=True, capture_output=True)
    with served(f"sqlite:///{tmp_path / 'night.db'}", tmp_path, ready="/api/v1/election",
                ESCRUTINIO_TRUSTED_PROXIES="127.0.0.1") as base:
        backend, front = base.rsplit(":", 1)[1], free_port()
        conf = (site.replace("listen 443 ssl;", f"listen 127.0.0.1:{front} ssl;")
                .replace("/etc/ssl/certs/results.example.org.pem", str(tmp_path / "site.pem"))
                .replace("/etc/ssl/private/results.example.org.key", str(tmp_path / "site.key"))
                .replace("127.0.0.1:8000", f"127.0.0.1:{backend}"))
        assert conf.count(str(tmp_path / "site")) == 2 and f"127.0.0.1:{backend}" in conf
        (tmp_path / "site.conf").write_text(conf)
        temp = tmp_path / "nginx-temp"
        temp.mkdir()
        (tmp_path / "nginx.conf").write_text(
            f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/nginx-error.log;\n"
            "events {}\n"
            f"http {{ access_log off; client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;"
            f" fastcgi_temp_path {temp}/fcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;"
            f" include {tmp_path}/site.conf; }}\n")
        checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                 stderr=subprocess.PIPE)
        try:
            url = f"https://127.0.0.1:{front}"
            with httpx.Client(verify=False, headers={"Host": "results.example.org"}, timeout=10) as client:
                page = _first_answer(client, f"{url}/", proxy)
                assert page.status_code == 200 and "Small test election" in page.text
                assert client.get(f"{url}/api/v1/election").json()["name"] == "Small test election"
                with client.stream("GET", f"{url}/api/v1/events") as stream:
                    assert stream.status_code == 200
                    assert stream.headers["content-type"].startswith("text/event-stream")
        finally:
            proxy.terminate()
            proxy.wait(10)
