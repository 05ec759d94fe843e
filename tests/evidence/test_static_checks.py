"""The five static checks: each passes on this project and fails on a seeded violation.

A seeded tree holds only the files the check under test reads.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from evidence.check import CheckResult, Status
from tests.claims import test_bandit_clean as bandit_clean
from tests.claims import test_models_hold_no_forbidden_fields as models_hold_no_forbidden_fields
from tests.claims import test_no_payload_logging as no_payload_logging
from tests.claims import test_routes_take_no_fragment as routes_take_no_fragment
from tests.claims import test_server_imports_no_client_crypto as server_imports_no_client_crypto
from tests.claims.support.context import PROJECT_ROOT, Context
from tests.support.project_copy import append_line, copy_packages

# Each check's module: its run(ctx) judges the tree a Context points at.
IMPORTS = server_imports_no_client_crypto
LOGGING = no_payload_logging
MODELS = models_hold_no_forbidden_fields
ROUTES = routes_take_no_fragment
BANDIT = bandit_clean


def seed(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> source) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def run_on(check: ModuleType, root: Path, tmp_path: Path) -> CheckResult:
    return check.run(Context(root=root, work=tmp_path / "work"))


def run_seeded(check: ModuleType, tmp_path: Path, files: dict[str, str]) -> CheckResult:
    return run_on(check, seed(tmp_path / "tree", files), tmp_path)


@pytest.mark.parametrize(
    "check",
    [IMPORTS, LOGGING, MODELS, ROUTES, BANDIT],
    ids=lambda c: c.__name__.rpartition(".test_")[2],
)
def test_check_passes_on_this_project(check: ModuleType, tmp_path: Path) -> None:
    result = run_on(check, PROJECT_ROOT, tmp_path)

    assert result.status is Status.PASS, result.reasons
    assert result.reasons == []


# server_imports_no_client_crypto ------------------------------------------------------


def test_a_consumer_reaching_the_shard_combiner_fails(tmp_path: Path) -> None:
    root = copy_packages(tmp_path / "tree")
    append_line(root, "rooms/consumers.py", "from atopos_client.keys import room_secret  # noqa")

    result = run_on(IMPORTS, root, tmp_path)

    assert result.status is Status.FAIL
    assert result.counts["violations"] >= 1
    assert any("rooms.consumers -> atopos_client.keys" in reason for reason in result.reasons)


def test_an_indirect_path_into_the_client_fails(tmp_path: Path) -> None:
    root = copy_packages(tmp_path / "tree")
    (root / "rooms" / "relay_helper.py").write_text("import atopos_client.rekey  # noqa\n")
    append_line(root, "rooms/hub.py", "import rooms.relay_helper  # noqa")

    result = run_on(IMPORTS, root, tmp_path)

    assert result.status is Status.FAIL
    assert any("rooms.relay_helper -> atopos_client.rekey" in reason for reason in result.reasons)


def test_import_check_cannot_run_without_contracts(tmp_path: Path) -> None:
    result = run_seeded(IMPORTS, tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})

    assert result.status is Status.ERROR


# no_payload_logging ------------------------------------------------------------------

CONSUMER_LOGGING_PAYLOAD = """
    import logging

    logger = logging.getLogger(__name__)

    class RoomConsumer:
        async def receive(self, text_data=None, bytes_data=None):
            logger.info("got %r", bytes_data)
"""


def test_a_consumer_that_logs_payloads_fails(tmp_path: Path) -> None:
    result = run_seeded(LOGGING, tmp_path, {"rooms/consumers.py": CONSUMER_LOGGING_PAYLOAD})

    assert result.status is Status.FAIL
    assert result.reasons == ["rooms/consumers.py:7 logger.info logs bytes_data"]


def test_logging_the_length_of_a_frame_passes(tmp_path: Path) -> None:
    source = CONSUMER_LOGGING_PAYLOAD.replace('"got %r", bytes_data', '"%d bytes", len(bytes_data)')
    result = run_seeded(LOGGING, tmp_path, {"rooms/consumers.py": source})

    assert result.status is Status.PASS
    assert result.counts["logging_calls"] == 1


def test_logging_an_attribute_of_a_frame_fails(tmp_path: Path) -> None:
    source = """
        import logging

        def relay(frame):
            logging.warning("unexpected kind %s", frame.kind)
    """
    result = run_seeded(LOGGING, tmp_path, {"rooms/hub.py": source})

    assert result.reasons == ["rooms/hub.py:4 logging.warning logs frame"]


def test_printing_the_secret_key_fails(tmp_path: Path) -> None:
    source = """
        from django.conf import settings

        print(f"server key: {settings.SECRET_KEY}")
    """
    result = run_seeded(LOGGING, tmp_path, {"atopos_site/launch.py": source})

    assert result.reasons == ["atopos_site/launch.py:3 print logs settings.SECRET_KEY"]


def test_logging_the_client_address_fails(tmp_path: Path) -> None:
    source = """
        import logging

        log = logging.getLogger("relay")

        class RoomConsumer:
            async def connect(self):
                log.debug("connect from %s", self.scope["client"])
    """
    result = run_seeded(LOGGING, tmp_path, {"rooms/consumers.py": source})

    assert result.reasons == ["rooms/consumers.py:7 log.debug logs ['client']"]


def test_shared_protocol_code_is_scanned_for_logging(tmp_path: Path) -> None:
    source = "def classify(frame: bytes) -> None:\n    print(frame)\n"
    result = run_seeded(LOGGING, tmp_path, {"atopos_protocol/frames.py": source})

    assert result.reasons == ["atopos_protocol/frames.py:2 print logs frame"]


# models_hold_no_forbidden_fields -----------------------------------------------------


def model_module(body: str) -> dict[str, str]:
    """A minimal app package whose models.py holds ``body`` under the Django import."""
    return {
        "chat/__init__.py": "",
        "chat/models.py": "from django.db import models\n\n" + textwrap.dedent(body).lstrip(),
    }


def test_a_plaintext_column_fails(tmp_path: Path) -> None:
    files = model_module(
        """
        class Note(models.Model):
            plaintext = models.TextField()
        """
    )
    result = run_seeded(MODELS, tmp_path, files)

    assert result.status is Status.FAIL
    assert result.reasons == [
        "chat/models.py:4 Note.plaintext (TextField) holds forbidden data: plaintext"
    ]


def test_an_ip_address_field_fails_whatever_its_name(tmp_path: Path) -> None:
    files = model_module(
        """
        class Visit(models.Model):
            seen_from = models.GenericIPAddressField()
        """
    )
    result = run_seeded(MODELS, tmp_path, files)

    assert result.reasons == [
        "chat/models.py:4 Visit.seen_from (GenericIPAddressField) stores an IP address"
    ]


def test_a_room_policy_number_passes_but_a_value_about_one_room_fails(tmp_path: Path) -> None:
    files = model_module(
        """
        class Policy(models.Model):
            max_members_per_room = models.PositiveSmallIntegerField(default=16)
            room_expires_at = models.DateTimeField()
        """
    )
    result = run_seeded(MODELS, tmp_path, files)

    assert result.reasons == [
        "chat/models.py:5 Policy.room_expires_at (DateTimeField) holds forbidden data: room"
    ]
    assert result.counts["allowed_fields"] == 1


def test_a_model_named_for_rooms_fails(tmp_path: Path) -> None:
    files = model_module(
        """
        class Room(models.Model):
            created = models.DateTimeField()
        """
    )
    result = run_seeded(MODELS, tmp_path, files)

    assert result.reasons == ["chat/models.py:3 model Room holds forbidden data: room"]


def test_a_display_name_outside_the_tenant_fails(tmp_path: Path) -> None:
    files = model_module(
        """
        class Badge(models.Model):
            display_name = models.CharField(max_length=80)
        """
    )
    result = run_seeded(MODELS, tmp_path, files)

    assert result.reasons == [
        "chat/models.py:4 Badge.display_name (CharField) holds forbidden data: display name"
    ]


def test_a_models_package_is_scanned(tmp_path: Path) -> None:
    files = {
        "chat/__init__.py": "",
        "chat/models/__init__.py": "",
        "chat/models/vault.py": (
            "from django.db.models import BinaryField, Model\n\n"
            "class Vault(Model):\n    blob = BinaryField(db_column='shard')\n"
        ),
    }
    result = run_seeded(MODELS, tmp_path, files)

    assert result.reasons == [
        "chat/models/vault.py:4 Vault.blob (BinaryField) holds forbidden data: shard"
    ]


# routes_take_no_fragment -------------------------------------------------------------

PLAIN_URLS = 'from django.urls import path\n\nurlpatterns = [path("r/", print)]\n'


def test_a_route_taking_a_fragment_fails(tmp_path: Path) -> None:
    source = """
        from django.urls import path

        from rooms import views

        urlpatterns = [path("r/<str:fragment>/", views.room)]
    """
    result = run_seeded(ROUTES, tmp_path, {"atopos_site/urls.py": source})

    assert result.status is Status.FAIL
    assert result.reasons == [
        "atopos_site/urls.py:5 route 'r/<str:fragment>/' takes parameter fragment"
    ]


def test_a_regex_group_named_for_the_link_shard_fails(tmp_path: Path) -> None:
    source = """
        from django.urls import re_path

        urlpatterns = [re_path(r"^join/(?P<link_shard>[-\\w]+)/$", print)]
    """
    result = run_seeded(ROUTES, tmp_path, {"atopos_site/urls.py": source})

    assert result.reasons == [
        "atopos_site/urls.py:3 route '^join/(?P<link_shard>[-\\\\w]+)/$' takes parameter link_shard"
    ]


def test_a_route_built_from_a_project_constant_is_judged(tmp_path: Path) -> None:
    files = {
        "atopos_site/routes.py": 'ROOM_PATH = "/r/<key>/"\n',
        "atopos_site/urls.py": (
            "from django.urls import path\n\nfrom atopos_site.routes import ROOM_PATH\n\n"
            'urlpatterns = [path(ROOM_PATH.lstrip("/"), print)]\n'
        ),
    }
    result = run_seeded(ROUTES, tmp_path, files)

    assert result.reasons == ["atopos_site/urls.py:5 route 'r/<key>/' takes parameter key"]


def test_a_view_reading_the_query_string_fails(tmp_path: Path) -> None:
    files = {
        "atopos_site/urls.py": PLAIN_URLS,
        "rooms/views.py": 'def room(request):\n    return request.GET.get("v")\n',
    }
    result = run_seeded(ROUTES, tmp_path, files)

    assert result.reasons == ["rooms/views.py:2 reads request.GET"]


def test_a_view_reading_a_link_header_fails(tmp_path: Path) -> None:
    files = {
        "atopos_site/urls.py": PLAIN_URLS,
        "rooms/views.py": 'def room(request):\n    return request.headers.get("X-Room-Link")\n',
    }
    result = run_seeded(ROUTES, tmp_path, files)

    assert result.reasons == ["rooms/views.py:2 reads request.headers['X-Room-Link']"]


def test_a_consumer_reading_the_query_string_fails(tmp_path: Path) -> None:
    files = {
        "rooms/routing.py": (
            'from django.urls import path\n\nurlpatterns = [path("ws/v1", print)]\n'
        ),
        "rooms/consumers.py": (
            "class RoomConsumer:\n    async def connect(self):\n"
            '        self.query = self.scope["query_string"]\n'
        ),
    }
    result = run_seeded(ROUTES, tmp_path, files)

    assert result.reasons == ["rooms/consumers.py:3 reads self.scope['query_string']"]


def test_route_check_cannot_run_without_routes(tmp_path: Path) -> None:
    result = run_seeded(ROUTES, tmp_path, {"rooms/views.py": "def room(request):\n    pass\n"})

    assert result.status is Status.ERROR


# bandit_clean ------------------------------------------------------------------------

SHELL_COMMAND = """
    import subprocess


    def run(command: str) -> None:
        subprocess.call(command, shell=True)
"""


def test_a_file_bandit_flags_fails(tmp_path: Path) -> None:
    result = run_seeded(BANDIT, tmp_path, {"rooms/relay.py": SHELL_COMMAND})

    assert result.status is Status.FAIL
    assert "rooms/relay.py:5 B602 high" in result.reasons
    assert result.counts["high_findings"] == 1


def test_a_reviewed_nosec_passes_and_is_listed(tmp_path: Path) -> None:
    source = "import subprocess  # only fixed argument lists  # nosec B404\n"
    result = run_seeded(BANDIT, tmp_path, {"rooms/relay.py": source})

    assert result.status is Status.PASS
    assert result.details["suppressed"] == ["rooms/relay.py:1 nosec B404"]


def test_migrations_and_tests_are_not_scanned(tmp_path: Path) -> None:
    files = {
        "rooms/migrations/0001_initial.py": SHELL_COMMAND,
        "rooms/tests/test_relay.py": SHELL_COMMAND,
        "rooms/store.py": "STORE = 1\n",
    }
    result = run_seeded(BANDIT, tmp_path, files)

    assert result.status is Status.PASS
    assert result.counts["findings"] == 0


def test_bandit_check_cannot_run_without_bandit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bandit_clean, "BANDIT_MODULE", "bandit_is_not_installed")

    result = run_seeded(BANDIT, tmp_path, {"rooms/relay.py": SHELL_COMMAND})

    assert result.status is Status.ERROR
    assert result.summary.startswith("bandit is not installed")


SERVED_EVIDENCE = {
    "evidence/__init__.py": "",
    "evidence/views.py": """
        from typing import TYPE_CHECKING

        from evidence import pages

        if TYPE_CHECKING:
            from evidence import offline
    """,
    "evidence/pages.py": "from evidence.render import page\n",
}


def test_an_evidence_module_the_site_imports_however_deeply_is_scanned(tmp_path: Path) -> None:
    files = {**SERVED_EVIDENCE, "evidence/render.py": SHELL_COMMAND, "rooms/store.py": "X = 1\n"}

    result = run_seeded(BANDIT, tmp_path, files)

    assert result.status is Status.FAIL
    assert "evidence/render.py:5 B602 high" in result.reasons


def test_an_evidence_module_imported_only_for_type_checking_is_not_server_code(
    tmp_path: Path,
) -> None:
    files = {
        **SERVED_EVIDENCE,
        "evidence/render.py": "def page() -> None:\n    pass\n",
        "evidence/offline.py": SHELL_COMMAND,
        "rooms/store.py": "X = 1\n",
    }

    result = run_seeded(BANDIT, tmp_path, files)

    assert result.status is Status.PASS
    assert "evidence/offline.py" not in result.details["targets"]
    assert "evidence/render.py" in result.details["targets"]


def test_an_unparseable_evidence_module_stops_the_check(tmp_path: Path) -> None:
    files = {**SERVED_EVIDENCE, "evidence/render.py": "def page(:\n", "rooms/store.py": "X = 1\n"}

    result = run_seeded(BANDIT, tmp_path, files)

    assert result.status is Status.ERROR
    assert result.summary.startswith("the import graph of evidence/ cannot be built")
