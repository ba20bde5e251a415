"""The CLI contract for the foundation: outputs, exit codes and one-line errors."""

import json

import pytest

from tests.conftest import ADMIN_PASSWORD, drop_database_url, make_database_url


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    assert "Traceback" not in text
    return lines[0]


def test_init_on_a_fresh_database_then_again(tmp_path, capsys, monkeypatch):
    from tests.cli.conftest import Aiivr

    url = make_database_url("sqlite", tmp_path, initialised=False)
    path = tmp_path / "fresh.toml"
    path.write_text(f'[database]\nurl = "{url}"\n')
    aiivr = Aiivr(path, capsys, monkeypatch)
    first = aiivr("init", "--admin", "root", "--password-stdin", stdin="root-password\n")
    assert first.code == 0, first.err
    assert "first admin 'root' created" in first.err
    second = aiivr("init", "--password-stdin", stdin="")
    assert second.code == 0 and "nothing changed" in second.err
    aiivr.login("root", "root-password")
    who = aiivr("whoami", "--json")
    assert json.loads(who.out) == {"name": "root", "role": "admin", "id": 1}


def test_user_add_and_list_in_every_format(admin_cli):
    added = admin_cli("user", "add", "alice", "--role", "agent", "--full-name", "Alice A",
                      "--interface", "PJSIP/1001", "--extension", "1001", "--queues", "support,sales",
                      "--password-stdin", "--json", stdin="alice-password\n")
    assert added.code == 0, added.err
    assert json.loads(added.out)["queues"] == ["sales", "support"]
    listed = json.loads(admin_cli("user", "list", "--json").out)
    assert listed["next"] is None
    assert [(u["name"], u["role"], u["interface"]) for u in listed["items"]] == [
        ("admin", "admin", None), ("alice", "agent", "PJSIP/1001")]
    csv_out = admin_cli("user", "list", "--format", "csv").out.splitlines()
    assert csv_out[0] == "name,role,full_name,interface,extension,queues,active"
    assert csv_out[2] == "alice,agent,Alice A,PJSIP/1001,1001,\"sales,support\",yes"
    table = admin_cli("user", "list").out
    assert "alice" in table and "Alice A" in table
    global_json = admin_cli("--json", "user", "list")
    assert json.loads(global_json.out)["items"][1]["name"] == "alice"


def test_refused_action_exits_3_with_one_line_changes_nothing_and_is_audited(admin_cli):
    assert admin_cli("user", "add", "bob", "--role", "agent", "--password-stdin", stdin="bob-password\n").code == 0
    admin_cli.login("bob", "bob-password")
    refused = admin_cli("user", "add", "mallory", "--role", "admin", "--password-stdin", stdin="mallory-pass\n")
    assert refused.code == 3
    assert _one_line(refused.err) == "error: permission denied: user.manage needs an admin (you are an agent)"
    for args in (["token", "list"], ["audit", "list"], ["audit", "verify"], ["user", "disable", "admin"]):
        result = admin_cli(*args)
        assert result.code == 3 and _one_line(result.err).startswith("error: permission denied")
    admin_cli.login("admin", ADMIN_PASSWORD)
    users = [u["name"] for u in json.loads(admin_cli("user", "list", "--json").out)["items"]]
    assert users == ["admin", "bob"]
    denied = json.loads(admin_cli("audit", "list", "--outcome", "denied", "--json").out)["items"]
    assert [(d["actor"], d["action"]) for d in denied][-1] == ("bob", "user.manage")
    assert len(denied) == 5


@pytest.mark.parametrize("args, code, message", [
    (["user", "add", "zed", "--role", "wizard", "--password-stdin"], 1, "error: unknown role 'wizard': use agent, supervisor or admin"),
    (["user", "disable", "ghost"], 1, "error: no user named 'ghost'"),
    (["token", "revoke", "42"], 1, "error: no API token with id 42"),
    (["audit", "list", "--from", "last tuesday"], 1, "error: cannot read 'last tuesday' as a time"),
])
def test_bad_input_gives_one_clear_line(admin_cli, args, code, message):
    result = admin_cli(*args, stdin="zed-password\n")
    assert result.code == code
    assert _one_line(result.err).startswith(message)


def test_duplicate_user_exits_1(admin_cli):
    admin_cli("user", "add", "carol", "--role", "agent", "--password-stdin", stdin="carol-password\n")
    again = admin_cli("user", "add", "carol", "--role", "agent", "--password-stdin", stdin="carol-password\n")
    assert again.code == 1 and _one_line(again.err) == "error: a user named 'carol' already exists"


def test_usage_error_exits_2(aiivr):
    result = aiivr("user", "add")
    assert result.code == 2 and "Missing argument" in result.err and "Traceback" not in result.err
    assert aiivr("frobnicate").code == 2


def test_wrong_password_gives_no_hint_which_part(aiivr):
    for name, password in (("admin", "wrong-password"), ("nobody", ADMIN_PASSWORD)):
        result = aiivr("login", name, "--password-stdin", stdin=password + "\n")
        assert result.code == 3
        assert _one_line(result.err) == "error: login failed: unknown user, wrong password or disabled account"


def test_not_logged_in_exits_3(aiivr):
    result = aiivr("user", "list")
    assert result.code == 3 and _one_line(result.err).startswith("error: not logged in")


def test_api_token_in_environment_then_revoked_and_expired(admin_cli, monkeypatch):
    created = json.loads(admin_cli("token", "create", "--user", "admin", "--expires", "1h", "--json").out)
    assert created["token"].startswith("aiivr_")
    monkeypatch.setenv("AIIVR_TOKEN", created["token"])
    assert json.loads(admin_cli("whoami", "--json").out)["name"] == "admin"
    listed = json.loads(admin_cli("token", "list", "--json").out)["items"]
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    monkeypatch.delenv("AIIVR_TOKEN")
    assert admin_cli("token", "revoke", str(created["id"])).code == 0
    monkeypatch.setenv("AIIVR_TOKEN", created["token"])
    revoked = admin_cli("whoami")
    assert revoked.code == 3 and "revoked" in _one_line(revoked.err)
    monkeypatch.setenv("AIIVR_TOKEN", "aiivr_not-a-real-token")
    assert admin_cli("whoami").code == 3


def test_expired_session_exits_3(admin_cli, database_url):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE auth_tokens SET expires_at = :t"), {"t": "2020-01-01 00:00:00"})
    engine.dispose()
    result = admin_cli("whoami")
    assert result.code == 3 and "expired" in _one_line(result.err)


def test_corrupt_config_names_key_and_line(tmp_path, capsys, monkeypatch):
    from tests.cli.conftest import Aiivr

    path = tmp_path / "bad.toml"
    path.write_text('[site]\ntimezone = "Europe/Berlin"\n[ami]\nprot = 5038\n')
    result = Aiivr(path, capsys, monkeypatch)("config", "check")
    assert result.code == 1
    assert _one_line(result.err) == f"error: {path}:4: unknown key ami.prot (known: host, port, username, secret, queue_log_path, inbound_contexts)"
    path.write_text("[site\n")
    assert "not valid TOML" in _one_line(Aiivr(path, capsys, monkeypatch)("user", "list").err)


def test_config_check_masks_secrets(aiivr):
    shown = json.loads(aiivr("config", "check", "--json").out)
    assert shown["ami"]["secret"] == "***"
    assert "top-secret-ami" not in aiivr("config", "check").out


def test_unreachable_database_is_one_line(tmp_path, capsys, monkeypatch):
    from tests.cli.conftest import Aiivr

    path = tmp_path / "gone.toml"
    path.write_text('[database]\nurl = "postgresql+psycopg://aiivr:pw@127.0.0.1:1/aiivr"\n')
    result = Aiivr(path, capsys, monkeypatch)("user", "list")
    assert result.code == 1
    line = _one_line(result.err)
    assert line.startswith("error: cannot use the database at postgresql+psycopg://aiivr:***@127.0.0.1:1/aiivr")
    assert ":pw@" not in line


def test_sqlite_file_in_a_missing_unwritable_place_is_one_line(tmp_path, capsys, monkeypatch):
    from tests.cli.conftest import Aiivr

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    path = tmp_path / "c.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{blocker}/aiivr.db"\n')
    result = Aiivr(path, capsys, monkeypatch)("init", "--password-stdin", stdin="root-password\n")
    assert result.code == 1 and _one_line(result.err).startswith("error:")


def test_database_from_a_newer_version_is_refused(admin_cli, database_url):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = admin_cli("user", "list")
    assert result.code == 1
    assert _one_line(result.err).startswith("error: the database was created by a newer AIIVR (schema 9999")


def test_audit_verify_reports_a_break_with_exit_1(admin_cli, database_url):
    import sqlalchemy as sa

    assert admin_cli("audit", "verify").code == 0
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2"))
    engine.dispose()
    result = admin_cli("audit", "verify")
    assert result.code == 1 and "audit entry 2: edited" in result.err


def test_debug_shows_the_traceback(aiivr):
    result = aiivr("--debug", "user", "list")
    assert result.code == 3 and "Traceback" in result.err


def test_help_teaches(aiivr):
    result = aiivr("--help")
    assert result.code == 0 and "aiivr init" in result.out
    for noun in ("user", "token", "audit", "config", "login", "init"):
        assert noun in result.out
    sub = aiivr("user", "add", "--help")
    assert "--interface" in sub.out and "Example" in sub.out
