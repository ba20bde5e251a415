"""The one TOML configuration file: keys as fixed in docs/cli.md, validated on load.

Every section is a frozen dataclass; the field list *is* the schema. A key we do not
know, or a value of the wrong kind, is refused with the key's name and its line, so a
typo never silently falls back to a default. Scalar keys of the fixed sections may be
overridden from the environment as AIIVR_<SECTION>_<KEY> (AIIVR_DATABASE_URL,
AIIVR_AMI_SECRET, ...).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiivr import paths
from aiivr.errors import ConfigError

SECRET = "***"


def host_timezone() -> str:
    """The host's IANA zone name; UTC when the host does not say."""
    try:
        import tzlocal  # a dependency of APScheduler, already installed with us

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # noqa: BLE001 - any failure to learn the zone means "use UTC"
        return "UTC"


@dataclass(frozen=True)
class SiteConfig:
    timezone: str = field(default_factory=host_timezone)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = field(default_factory=paths.default_database_url)
    busy_timeout_ms: int = 30_000


@dataclass(frozen=True)
class AmiConfig:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = ""
    secret: str = field(default="", metadata={"secret": True})
    queue_log_path: str = ""
    inbound_contexts: list = field(default_factory=lambda: ["caller", "from-sip", "from-pstn"])


@dataclass(frozen=True)
class MonitorConfig:
    originate_channel: str = "PJSIP/{extension}"
    context: str = "supervisor"


@dataclass(frozen=True)
class OutboundConfig:
    originate_channel: str = "PJSIP/{extension}"
    context: str = "outbound"


@dataclass(frozen=True)
class WrapupConfig:
    max_seconds: int = 120


@dataclass(frozen=True)
class RingNoAnswerConfig:
    # Pause an agent after this many queue calls in a row rang it unanswered; 0 = never.
    pause_after: int = 0
    reason: str = "no_answer"


@dataclass(frozen=True)
class RecordingsConfig:
    dir: str = field(default_factory=lambda: str(paths.data_dir() / "recordings"))
    spool_dir: str = "/var/spool/asterisk/recordings"
    path_map: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PauseReasonConfig:
    label: str = ""
    max_minutes: int | None = None


@dataclass(frozen=True)
class QueueConfig:
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5


@dataclass(frozen=True)
class KpiConfig:
    fcr_window_days: int = 7


@dataclass(frozen=True)
class AlertsConfig:
    pause_overrun_grace_minutes: int = 0


@dataclass(frozen=True)
class ReportsConfig:
    dir: str = field(default_factory=lambda: str(paths.data_dir() / "reports"))


@dataclass(frozen=True)
class LogConfig:
    level: str = "info"
    file: str = ""


# Sections with a fixed set of keys, in the order `config check` prints them.
FIXED_SECTIONS: dict[str, type] = {
    "site": SiteConfig,
    "database": DatabaseConfig,
    "ami": AmiConfig,
    "monitor": MonitorConfig,
    "outbound": OutboundConfig,
    "wrapup": WrapupConfig,
    "ring_no_answer": RingNoAnswerConfig,
    "recordings": RecordingsConfig,
    "kpi": KpiConfig,
    "alerts": AlertsConfig,
    "reports": ReportsConfig,
    "log": LogConfig,
}
# Sections that are tables of named entries: [pause_reasons.lunch], [queues.support].
NAMED_SECTIONS: dict[str, type] = {
    "pause_reasons": PauseReasonConfig,
    "queues": QueueConfig,
}
LOG_LEVELS = ("debug", "info", "warning", "error")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    ami: AmiConfig = field(default_factory=AmiConfig)
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    outbound: OutboundConfig = field(default_factory=OutboundConfig)
    wrapup: WrapupConfig = field(default_factory=WrapupConfig)
    ring_no_answer: RingNoAnswerConfig = field(default_factory=RingNoAnswerConfig)
    recordings: RecordingsConfig = field(default_factory=RecordingsConfig)
    kpi: KpiConfig = field(default_factory=KpiConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    pause_reasons: dict[str, PauseReasonConfig] = field(default_factory=dict)
    queues: dict[str, QueueConfig] = field(default_factory=dict)
    source: str | None = None  # the file it was read from, None for built-in defaults

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def queue(self, name: str) -> QueueConfig:
        return self.queues.get(name, QueueConfig())


def resolve_path(explicit: str | os.PathLike | None, env: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The config file to read and whether the user named it (then it must exist)."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser(), True
    if env.get("AIIVR_CONFIG"):
        return Path(env["AIIVR_CONFIG"]).expanduser(), True
    return paths.default_config_path(), False


def load(explicit: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and return the configuration in force."""
    env = os.environ if env is None else env
    path, named = resolve_path(explicit, env)
    text = ""
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from None
    elif named:
        raise ConfigError(f"config file {path} does not exist")
    return parse(text, env=env, source=str(path) if path.exists() else None)


def parse(text: str, *, env: Mapping[str, str] | None = None, source: str | None = None) -> Config:
    env = os.environ if env is None else env
    where = source or "config"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    locate = _Locator(text, where)
    built: dict[str, Any] = {}
    for name, value in raw.items():
        if name in FIXED_SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{locate(None, name)}: [{name}] must be a table")
            built[name] = _build(FIXED_SECTIONS[name], value, name, locate)
        elif name in NAMED_SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{locate(None, name)}: [{name}] must be a table of named entries")
            built[name] = {
                entry: _build(NAMED_SECTIONS[name], body, f"{name}.{entry}", locate, entry=entry)
                for entry, body in value.items()
            }
        else:
            known = ", ".join([*FIXED_SECTIONS, *NAMED_SECTIONS])
            raise ConfigError(f"{locate(None, name)}: unknown section [{name}] (known: {known})")
    built = _apply_env(built, env)
    config = Config(**built, source=source)
    _check_semantics(config, locate)
    return config


def _build(cls: type, body: Any, section: str, locate: "_Locator", entry: str | None = None) -> Any:
    if not isinstance(body, dict):
        raise ConfigError(f"{locate(None, section)}: [{section}] must be a table")
    if entry is not None and not _CODE.match(entry):
        raise ConfigError(
            f"{locate(None, section)}: [{section}]: name must be lower-case letters, digits and _"
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key not in fields:
            raise ConfigError(
                f"{locate(section, key)}: unknown key {section}.{key} (known: {', '.join(fields)})"
            )
        values[key] = _coerce(fields[key], value, f"{section}.{key}", lambda k=key: locate(section, k))
    return cls(**values)


def _coerce(f: dataclasses.Field, value: Any, name: str, where) -> Any:
    kind = _kind(f)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "dict": isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
        "optint": isinstance(value, int) and not isinstance(value, bool),
    }[kind]
    if not ok:
        wanted = {"int": "a whole number", "str": "a string", "list": "a list of strings",
                  "dict": "a table of strings", "optint": "a whole number"}[kind]
        raise ConfigError(f"{where()}: {name} must be {wanted}, not {value!r}")
    if kind in ("int", "optint") and value < 0:
        raise ConfigError(f"{where()}: {name} must not be negative, not {value}")
    return value


def _kind(f: dataclasses.Field) -> str:
    annotation = str(f.type)
    if "None" in annotation:
        return "optint"
    for kind in ("int", "str", "list", "dict"):
        if annotation.startswith(kind):
            return kind
    raise AssertionError(f"unsupported config field type {annotation}")


def _apply_env(built: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    for section, cls in FIXED_SECTIONS.items():
        current = built.get(section) or cls()
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            var = f"AIIVR_{section.upper()}_{f.name.upper()}"
            if var not in env:
                continue
            kind = _kind(f)
            raw = env[var]
            if kind == "int":
                if not raw.strip().isdigit():
                    raise ConfigError(f"environment {var} must be a whole number, not {raw!r}")
                changes[f.name] = int(raw)
            elif kind == "str":
                changes[f.name] = raw
            else:
                raise ConfigError(f"environment {var}: {section}.{f.name} can only be set in the file")
        built[section] = dataclasses.replace(current, **changes) if changes else current
    return built


def _check_semantics(config: Config, locate: "_Locator") -> None:
    try:
        ZoneInfo(config.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{locate('site', 'timezone')}: site.timezone {config.site.timezone!r} is not an IANA "
            "time zone name (e.g. Europe/Berlin)"
        ) from None
    url = config.database.url
    if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            f"{locate('database', 'url')}: database.url must start with sqlite:/// or "
            f"postgresql+psycopg://, not {mask_url(url)!r}"
        )
    if config.log.level not in LOG_LEVELS:
        raise ConfigError(f"{locate('log', 'level')}: log.level must be one of {', '.join(LOG_LEVELS)}")
    if not 0 < config.ami.port < 65536:
        raise ConfigError(f"{locate('ami', 'port')}: ami.port must be 1-65535, not {config.ami.port}")
    for label in ("monitor", "outbound"):
        channel = getattr(config, label).originate_channel
        if "{extension}" not in channel:
            raise ConfigError(
                f"{locate(label, 'originate_channel')}: {label}.originate_channel must contain "
                f"{{extension}}, not {channel!r}"
            )

class _Locator:
    """Finds the line a key stands on, so an error can point at it."""

    def __init__(self, text: str, where: str) -> None:
        self.lines = text.splitlines()
        self.where = where

    def __call__(self, section: str | None, key: str) -> str:
        current = ""
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                current = stripped.strip("[]").strip()
                if section is None and current.split(".")[0] == key:
                    return f"{self.where}:{number}"
                continue
            if section is not None and current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
                return f"{self.where}:{number}"
        return self.where


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", rf"\1{SECRET}@", url)


def as_dict(config: Config, *, mask: bool = True) -> dict[str, Any]:
    """What is in force, as plain data, with secrets masked (for `aiivr config check`)."""
    out: dict[str, Any] = {}
    for section in FIXED_SECTIONS:
        obj = getattr(config, section)
        values = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if mask and f.metadata.get("secret") and value:
                value = SECRET
            values[f.name] = value
        out[section] = values
    if mask:
        out["database"]["url"] = mask_url(out["database"]["url"])
    for section in NAMED_SECTIONS:
        out[section] = {name: dataclasses.asdict(entry) for name, entry in getattr(config, section).items()}
    return out
