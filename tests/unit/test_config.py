import pytest

from aiivr import config
from aiivr.errors import ConfigError


def test_defaults_when_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    cfg = config.load(env={})
    assert cfg.source is None
    assert cfg.ami.port == 5038 and cfg.wrapup.max_seconds == 120 and cfg.kpi.fcr_window_days == 7
    assert cfg.database.url.startswith("sqlite:///") and cfg.database.url.endswith("aiivr/aiivr.db")


def test_values_sections_and_named_tables_are_read():
    cfg = config.parse(
        '[site]\ntimezone = "America/New_York"\n'
        '[ami]\nhost = "10.0.0.5"\nport = 5039\nusername = "aiivr"\nsecret = "s3cret"\n'
        '[recordings]\npath_map = { "/var/spool/asterisk/recordings" = "/srv/pbx/rec" }\n'
        '[pause_reasons.training]\nlabel = "Training"\nmax_minutes = 45\n'
        '[queues.support]\nservice_level_seconds = 30\nshort_abandon_seconds = 3\n',
        env={},
    )
    assert cfg.site.timezone == "America/New_York"
    assert (cfg.ami.host, cfg.ami.port, cfg.ami.username, cfg.ami.secret) == ("10.0.0.5", 5039, "aiivr", "s3cret")
    assert cfg.recordings.path_map == {"/var/spool/asterisk/recordings": "/srv/pbx/rec"}
    assert cfg.pause_reasons["training"] == config.PauseReasonConfig(label="Training", max_minutes=45)
    assert cfg.queue("support").service_level_seconds == 30
    assert cfg.queue("unknown").service_level_seconds == 20  # defaults for queues not configured


def test_environment_overrides_the_file():
    env = {"AIIVR_DATABASE_URL": "postgresql+psycopg://u:pw@db/aiivr", "AIIVR_AMI_PORT": "6038",
           "AIIVR_AMI_SECRET": "from-env"}
    cfg = config.parse('[ami]\nport = 5038\nsecret = "from-file"\n', env=env)
    assert cfg.database.url == "postgresql+psycopg://u:pw@db/aiivr"
    assert cfg.ami.port == 6038 and cfg.ami.secret == "from-env"


@pytest.mark.parametrize(
    "text, message",
    [
        ('[ami]\nhost = "x"\nprot = 5038\n', "config:3: unknown key ami.prot"),
        ('[site]\n\n\ntimezone = "Mars/Olympus"\n', "config:4: site.timezone 'Mars/Olympus' is not an IANA"),
        ('[ami]\nport = "5038"\n', "config:2: ami.port must be a whole number"),
        ('[ami]\nport = 70000\n', "config:2: ami.port must be 1-65535"),
        ('[wrapup]\nmax_seconds = -5\n', "config:2: wrapup.max_seconds must not be negative"),
        ('[bogus]\nx = 1\n', "config:1: unknown section [bogus]"),
        ('[queues.support]\nservice_level = 30\n', "config:2: unknown key queues.support.service_level"),
        ('[database]\nurl = "mysql://x"\n', "config:2: database.url must start with sqlite:/// or postgresql+psycopg://"),
        ('[ami\nport = 1\n', "not valid TOML"),
        ('[monitor]\noriginate_channel = "PJSIP/1001"\n', "config:2: monitor.originate_channel must contain {extension}"),
        ('[pause_reasons.Lunch]\nlabel = "x"\n', "name must be lower-case"),
    ],
)
def test_bad_config_names_the_key_and_line(text, message):
    with pytest.raises(ConfigError) as error:
        config.parse(text, env={})
    assert message in str(error.value)


def test_bad_environment_value_is_named():
    with pytest.raises(ConfigError, match="AIIVR_AMI_PORT must be a whole number"):
        config.parse("", env={"AIIVR_AMI_PORT": "five"})


def test_named_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml", env={})


def test_as_dict_masks_secrets():
    cfg = config.parse('[ami]\nsecret = "hunter2"\n[database]\nurl = "postgresql+psycopg://aiivr:pw@db:5432/x"\n', env={})
    shown = config.as_dict(cfg)
    assert shown["ami"]["secret"] == "***"
    assert shown["database"]["url"] == "postgresql+psycopg://aiivr:***@db:5432/x"
    assert "hunter2" not in repr(shown) and ":pw@" not in repr(shown)


def test_example_config_is_valid_and_documents_every_key():
    from pathlib import Path
    import dataclasses

    path = Path(__file__).resolve().parents[2] / "config" / "aiivr.example.toml"
    text = path.read_text()
    cfg = config.parse(text, env={})
    assert cfg.site.timezone  # parsed without error
    for section, cls in config.FIXED_SECTIONS.items():
        assert f"[{section}]" in text, section
        for f in dataclasses.fields(cls):
            assert f"{f.name} =" in text or f"# {f.name} =" in text, f"{section}.{f.name} is not documented"
