"""Shared fixtures: the seeded organisation, demo-like users, and case factories."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from cases.seed import load_district
from tests.factories import CaseFactory, UserFactory, make_case_in_state  # noqa: F401


def _require(service: str, available: bool) -> None:
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{service} is required in CI but is not configured")
    pytest.skip(f"needs {service} (set {'DATABASE_URL' if service == 'PostgreSQL' else 'REDIS_URL'})")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        _require("PostgreSQL", connection.vendor == "postgresql")
    if item.get_closest_marker("redis"):
        _require("Redis", bool(os.environ.get("REDIS_URL")))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            # A test database need not survive a crash: commits (and the flushes of transactional
            # tests) do not wait for the WAL to reach the disk. Set on the database, so every
            # connection the pool opens from now on has it, and on the one already open.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} SET synchronous_commit = off"
                )
                cursor.execute("SET synchronous_commit = off")
        load_district()


@pytest.fixture(autouse=True)
def _default_language():
    # translation.activate() sticks to the thread: a test that switches to English must not
    # change the language the next test's messages are in.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_sign_in_lockouts_from_other_tests(request):
    # django-axes counts failed sign-ins in its tables, keyed on username and address (web/signin.py).
    # A rollback or a transactional test's flush normally clears them; a test must still never start
    # locked out by one before it (say, a database kept between runs), so every database test starts
    # with none.
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    # Reseeded (when a flush emptied it) before the test's own transaction opens, so the seed is
    # committed, as the session's is: inside the test's transaction it would mark the reference
    # copies dirty (cases.refcache) and every lookup of the test would read the database.
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        _seeded()
    request.getfixturevalue("transactional_db" if transactional else "db")
    from axes.utils import reset

    reset()
    yield


def _seeded() -> None:
    """The seeded organisation and calendars, whichever test ran before this one in this process: a
    transactional test's flush empties them, and which test follows it depends on how the suite is
    split over its processes (pytest-xdist)."""
    from cases.models import Department
    from sla.models import Calendar
    from sla.seed import seed_calendars_now

    # Cheap when the session's seed is still there (two queries).
    if not Department.objects.exists():
        load_district()
    if not Calendar.objects.exists():
        seed_calendars_now()  # the CN and 24x7 calendars (migration-seeded; gone after a flush)


@pytest.fixture(autouse=True)
def _captcha_test_mode(settings):
    # Browser tests cannot read the captcha image: in tests the answer "passed" is accepted
    # (web/portal/captcha.py). Tests of the real check turn it off again.
    settings.CAPTCHA_TEST_MODE = True


@pytest.fixture(autouse=True)
def _web_process_publishes_directly():
    # A worker command run by a test switches its process to the database relay
    # (notifications.events.relay_from_this_process); the next test is the web process again.
    yield
    from notifications import events

    events.relay_from_this_process(False)


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(settings, tmp_path):
    # Checkpoints a test writes (or the developer's own under var/) never meet another test.
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is slow on purpose (about a second per hash here): seven demo users per test add up.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    """The seeded organisation (every database test has it: ``_seeded``)."""
    _seeded()


# The demo-like staff most tests act as: username, role, department, and whether a superuser.
STAFF = [
    ("agent", "agent", "XFJ", False),
    ("dispatcher", "dispatcher", "XFJ", False),
    ("clerk_cgj", "clerk", "CGJ", False),
    ("head_cgj", "head", "CGJ", False),
    ("clerk_hbj", "clerk", "HBJ", False),
    ("supervisor", "supervisor", "GOV", False),
    ("admin", "admin", "GOV", True),
]


@pytest.fixture
def users(org):
    """The seven staff users, as ``UserFactory`` makes them (password ``PASSWORD``), in three
    queries: most tests need them, and seven factory calls cost a few dozen."""
    from django.contrib.auth.hashers import make_password

    from cases.models import Department, User
    from tests.factories import PASSWORD

    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
    departments = {d.code: d for d in Department.objects.filter(code__in={s[2] for s in STAFF})}
    password = make_password(PASSWORD)
    missing = [
        User(
            username=name,
            role=role,
            department=departments[code],
            password=password,
            is_staff=superuser,
            is_superuser=superuser,
        )
        for name, role, code, superuser in STAFF
        if name not in existing
    ]
    if missing:
        User.objects.bulk_create(missing)
    made = {**existing, **{u.username: u for u in missing}}
    return {name: made[name] for name, *_ in STAFF}


@pytest.fixture(scope="session")
def asgi_server():
    """The project's ASGI app (HTTP with static files + /ws/) under daphne in a thread of the
    test process, so it shares the test database and the channel layer. One per session for
    every browser test: Twisted's reactor can be started only once per process."""
    import socket
    import threading
    import time

    from channels.routing import ProtocolTypeRouter
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application
    from twisted.internet import reactor

    from casecenter.asgi import application as project_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": project_app.application_mapping["websocket"],
        }
    )
    server = Server(
        application=app,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    # Per-process copies (cases.refcache) and the days whose tracking sequence was seen committed
    # (cases.tracking_sequences) must not outlive the test that loaded them: its rollback or flush
    # took the rows away.
    # The same for the API tokens remembered by web.api.authentication.
    from cases import refcache, tracking_sequences
    from web.api import authentication

    refcache.clear()
    tracking_sequences.forget()
    authentication.forget()
    yield
    refcache.clear()
    tracking_sequences.forget()
    authentication.forget()
