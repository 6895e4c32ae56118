"""deploy/nginx.conf for real: Debian's nginx terminates TLS in front of two app instances on
one PostgreSQL database, and people book through both (README «Запуск в работу»).

The site file is deploy/nginx.conf itself, with only what a test must change: its own ports,
a self-signed certificate, and a response header naming the instance that answered (so the
test knows it used both). PostgreSQL pass only: two processes cannot share a DuckDB file.
"""

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.db import make_engine
from core.schema import bookings
from tests.backend import on_postgres
from tests.browser.server import ROOT, AppServer, choose, free_port, log_in, wait_idle
from tests.postgres import create_database

NGINX = "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not on_postgres(), reason="two app instances need PostgreSQL (the PostgreSQL pass runs this)")


def site_config(ports: list[int], listen: int, certificate: Path, key: Path) -> str:
    """deploy/nginx.conf on this machine's ports and certificate."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    text = text.replace("server 127.0.0.1:8501;", f"server 127.0.0.1:{ports[0]};")
    text = text.replace("server 127.0.0.1:8502;", f"server 127.0.0.1:{ports[1]};")
    text = re.sub(r"listen \[::\]:\d+[^;]*;", "", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;")
    text = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {certificate};", text)
    text = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", text)
    # the test's one addition: which instance answered
    return text.replace("server_tokens off;\n\n    ssl_", "server_tokens off;\n    add_header X-Test-Instance $upstream_addr always;\n\n    ssl_", 1)


@pytest.fixture
def proxy(tmp_path):
    """nginx on https://127.0.0.1:PORT in front of two app instances on one database."""
    database = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], "proxy")
    env = {"DAILY_BACKUPS": "off"}
    first = AppServer(database, env=env)  # loads the demo; the second finds it there
    second = AppServer(database, env=env)
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )
    listen = free_port()
    (tmp_path / "site.conf").write_text(site_config([first.port, second.port], listen, certificate, key))
    (tmp_path / "nginx.conf").write_text(
        f"user root;\ndaemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    nginx = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{listen}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _answers(url):
        time.sleep(0.2)
    yield url, database
    nginx.terminate()
    nginx.wait(10)
    first.stop()
    second.stop()


def _answers(url: str) -> bool:
    import ssl

    try:
        with urllib.request.urlopen(url + "/_stcore/health", context=ssl._create_unverified_context(), timeout=2):
            return True
    except OSError:
        return False


def volunteer_bookings(database: str) -> int:
    engine = make_engine(database)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).where(bookings.c.created_by_kind == "volunteer")).scalar()
    engine.dispose()
    return count


def desk_books(page, visitor: str, service: str) -> None:
    main = page.locator("[data-testid='stMain']")
    main.get_by_label("Карта, фамилия и имя или телефон").fill(visitor)
    main.get_by_label("Карта, фамилия и имя или телефон").press("Enter")
    wait_idle(page)
    main.get_by_role("button", name=re.compile(visitor)).first.click()
    wait_idle(page)
    choose(page, main.get_by_label("Услуга", exact=True), service)
    main.get_by_text(re.compile(r"\d\d\.\d\d · \d+ мест")).first.click()
    wait_idle(page)
    main.get_by_role("button", name="Подтвердить запись").click()
    wait_idle(page)
    expect(main.get_by_text(f"Записано: {service}", exact=False).first).to_be_visible()


@pytest.mark.skipif(not shutil.which(NGINX) and not Path(NGINX).exists(), reason="nginx is installed by make test")
def test_two_volunteers_book_through_nginx_on_both_instances(proxy, browser):
    url, database = proxy
    pages, instances = [], set()
    # the sticky cookie is random: open browsers until both instances have one
    for _ in range(12):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        answer = page.goto(url + "/")
        wait_idle(page)  # the first page of the first instance loads the demo
        instance = answer.headers["x-test-instance"]
        if instance in instances:
            context.close()
            continue
        instances.add(instance)
        pages.append(page)
        if len(pages) == 2:
            break
    assert len(instances) == 2, "nginx sent every browser to one instance"

    before = volunteer_bookings(database)
    for page, (visitor, service) in zip(pages, [("Толстихин", "Душ"), ("Иванов Сергей", "Душ")], strict=True):
        log_in(page, url, "volunteer", "volunteer-demo")
        page.reload()  # the sign-in cookie came back through nginx (Secure, over TLS)
        wait_idle(page)
        assert "Стойка волонтёра" in page.locator("[data-testid='stMain']").inner_text()
        desk_books(page, visitor, service)

    assert volunteer_bookings(database) == before + 2
    for page in pages:
        page.context.close()
