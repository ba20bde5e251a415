"""Recordings for people: list, play, export, play on the phone, verify; never change.

Agents reach only their own calls' recordings (calls.agent_user_id is them:
recording.play_own); supervisors everyone's (recording.play_all); verify is for admins.
Every play and export is an audit entry (who, which call, which file by its hash, when),
written once the sound can actually go out. A request to delete or alter a recording is
refused for every role (recording.alter is allowed to nobody) and the refusal audited.
Before handing a file out its hash is checked, so an altered file is never played as
if it were the recording.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sqlmodel import select

from aiivr import audit, outbox, path_map
from aiivr.errors import AiivrError, BadInput, NotFound, PermissionDenied
from aiivr.models.calls import Call
from aiivr.models.recordings import Recording
from aiivr.models.users import User
from aiivr.outbox import CommandView
from aiivr.paging import Page
from aiivr.permissions import allowed
from aiivr.playback import Output, Player
from aiivr.principal import Ctx
from aiivr.timerange import iso
from aiivr.vault import Vault, copy_hashing, hash_file
from aiivr.vault_verify import VerifyReport, check_vault

PHONE_ACTION = "recording.play"  # the outbox command that plays a recording on a phone


class RecordingAltered(AiivrError):
    """The vault file no longer matches the hash stored with it."""

    exit_code = 1


@dataclass(frozen=True)
class RecordingSummary:
    call_id: int
    started_at: str | None
    direction: str
    caller_num: str
    agent: str | None
    queue: str | None
    duration_seconds: float | None
    size: int
    format: str
    sha256: str
    stored_at: str | None


@dataclass(frozen=True)
class RecordingFile:
    call_id: int
    recording_id: int
    path: Path
    sha256: str
    size: int
    duration_seconds: float | None
    format: str


@dataclass(frozen=True)
class Exported:
    call_id: int
    out: str
    size: int
    sha256: str
    duration_seconds: float | None


@dataclass(frozen=True)
class PhonePlayback:
    """What `aiivr serve` must originate: the user's phone, running Playback of the file."""

    call_id: int
    recording_id: int
    sha256: str
    user: str
    extension: str
    channel: str  # [outbound] originate_channel with the extension filled in
    application: str  # Playback
    data: str  # the vault file as the PBX sees it, without its extension (Playback adds it)
    caller_id: str


# ---- reading -----------------------------------------------------------------------------

def list_recordings(ctx: Ctx, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
                    limit: int = 50, after: str | None = None) -> Page[RecordingSummary]:
    """Newest stored first, cursor-paged; `start`/`end` bound the call's start, half-open."""
    audit.authorize(ctx, "recording.play_own")
    if not 1 <= limit <= 1000:
        raise BadInput("--limit must be between 1 and 1000")
    stmt = (select(Recording, Call, User.name).join(Call, Call.id == Recording.call_id)
            .outerjoin(User, User.id == Call.agent_user_id).order_by(Recording.id.desc()).limit(limit + 1))
    if not _sees_all(ctx):
        stmt = stmt.where(Call.agent_user_id == ctx.actor.user_id)
    if after:
        if not after.isdigit():
            raise BadInput(f"bad cursor {after!r}: pass the `next` value of the previous page")
        stmt = stmt.where(Recording.id < int(after))
    if start:
        stmt = stmt.where(Call.started_at >= start)
    if end:
        stmt = stmt.where(Call.started_at < end)
    with ctx.db.read() as session:
        rows = session.exec(stmt).all()
    tz = ctx.config.tz
    items = [RecordingSummary(call_id=call.id, started_at=iso(call.started_at, tz), direction=call.direction,
                              caller_num=call.caller_num, agent=agent, queue=call.queue,
                              duration_seconds=rec.duration_seconds, size=rec.size, format=rec.format,
                              sha256=rec.sha256, stored_at=iso(rec.created_at, tz))
             for rec, call, agent in rows[:limit]]
    return Page(items=items, next=str(rows[limit - 1][0].id) if len(rows) > limit else None)


# ---- handing a recording out -------------------------------------------------------------

def start_playback(ctx: Ctx, call_id: int, output: Output) -> Player:
    """A Player with its output open, ready to run(); the play is audited only once the
    output opened (OutputUnavailable means nothing was heard, so nothing to audit)."""
    found = _locate(ctx, call_id, "recording.play")
    player = Player(found.path, output)
    try:
        player.open()
    except BaseException:
        player.close()
        raise
    _audit_ok(ctx, "recording.play", found, where="terminal")
    return player


def export_recording(ctx: Ctx, call_id: int, out: str | os.PathLike) -> Exported:
    """Copy the recording (WAV) to `out`, which must not exist yet; the copy is hashed
    as it is written and must match the stored hash, or it is removed again."""
    found = _locate(ctx, call_id, "recording.export")
    if found.format != "wav":
        raise BadInput(f"the recording of call {call_id} is {found.format}, not WAV: it cannot be exported as WAV")
    target = Path(out)
    try:
        with open(found.path, "rb") as src, open(target, "xb") as dst:
            sha256, size = copy_hashing(src, dst)
    except FileExistsError:
        raise BadInput(f"{target} already exists: choose another --out") from None
    except OSError as error:
        raise BadInput(f"cannot write {target}: {error.strerror}") from None
    if sha256 != found.sha256:
        target.unlink(missing_ok=True)
        raise _altered(ctx, "recording.export", found)
    _audit_ok(ctx, "recording.export", found, out=str(target.resolve()))
    return Exported(call_id=call_id, out=str(target), size=size, sha256=sha256,
                    duration_seconds=found.duration_seconds)


def play_on_phone(ctx: Ctx, call_id: int, *, now: dt.datetime | None = None) -> CommandView:
    """Play the recording to the actor's own phone (agents on SSH with no speakers).

    People's processes hold no AMI credentials: this writes an outbox command (with its
    audit entry, in one transaction) that `aiivr serve` turns into an Originate of the
    phone running Playback of the vault file (pbx_bridge.vault_component)."""
    request = phone_request(ctx, call_id)
    with ctx.db.write() as session:
        command = outbox.enqueue(session, actor=ctx.actor.name, action=PHONE_ACTION, target=f"call:{call_id}",
                                 payload=dataclasses.asdict(request), now=now)
        audit.append(session, ctx.actor, "recording.play", target=f"call:{call_id}",
                     detail={"recording_id": request.recording_id, "sha256": request.sha256, "where": "phone",
                             "extension": request.extension, "command": command.id})
        return outbox.view(command)


def wait_on_phone(ctx: Ctx, command: CommandView) -> CommandView:
    """Until the phone answered and Playback started (exit 4 with Asterisk's reason if not)."""
    return outbox.wait(ctx.db, command.id, confirm=lambda _session, _command: True,
                       what=f"playing the recording on your phone ({command.target})",
                       timeout=outbox.WAIT_SECONDS + outbox.RING_SECONDS)


def phone_request(ctx: Ctx, call_id: int) -> PhonePlayback:
    """What to originate for play_on_phone (checked like a play: scope, hash), not sent."""
    found = _locate(ctx, call_id, "recording.play")
    with ctx.db.read() as session:
        user = session.get(User, ctx.actor.user_id) if ctx.actor.user_id is not None else None
    if user is None or not user.extension:
        raise BadInput(f"{ctx.actor.name} has no phone extension (an admin sets one with `aiivr user add ... "
                       f"--extension EXT`): use `aiivr recording export {call_id} --out FILE` instead")
    # Asterisk must open the vault file itself: path_map used backwards (aiivr.path_map).
    pbx_file = path_map.to_pbx(str(found.path.resolve()), ctx.config.recordings.path_map)
    return PhonePlayback(call_id=call_id, recording_id=found.recording_id, sha256=found.sha256, user=user.name,
                         extension=user.extension,
                         channel=ctx.config.outbound.originate_channel.format(extension=user.extension),
                         application="Playback", data=str(Path(pbx_file).with_suffix("")),
                         caller_id=f'"Recording of call {call_id}" <{user.extension}>')


# ---- changes: never ----------------------------------------------------------------------

def request_change(ctx: Ctx, call_id: int, *, what: str = "delete") -> NoReturn:
    """Delete, rewrite or re-hash a stored recording: refused for every role, audited."""
    audit.record_refusal(ctx, "recording.alter", target=f"call:{call_id}",
                         reason=f"{what}: stored recordings are immutable")
    raise PermissionDenied(f"refused: no role may {what} a stored recording (recordings are immutable; "
                           "retention will come as its own audited feature)")


# ---- verify ------------------------------------------------------------------------------

def verify_vault(ctx: Ctx, *, full: bool = False) -> VerifyReport:
    """Admins: missing, altered and orphaned files; `full` re-hashes every file."""
    audit.authorize(ctx, "recording.verify", target="vault")
    report = check_vault(ctx.db, Vault(ctx.config.recordings.dir), rehash=full)
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, "recording.verify", target="vault",
                     detail={"full": full, "checked": report.checked, **report.counts()})
    return report


# ---- inside ------------------------------------------------------------------------------

def _sees_all(ctx: Ctx) -> bool:
    return allowed(ctx.actor.role, "recording.play_all")


def _locate(ctx: Ctx, call_id: int, action: str, *, check_hash: bool = True) -> RecordingFile:
    """The stored recording of a call the actor may hear, its file checked against its hash."""
    audit.authorize(ctx, "recording.play_own", target=f"call:{call_id}")
    with ctx.db.read() as session:
        call = session.get(Call, call_id)
        rec = session.exec(select(Recording).where(Recording.call_id == call_id)
                           .order_by(Recording.id.desc())).first()
    if call is None:
        raise NotFound(f"no call with id {call_id}")
    if call.agent_user_id != ctx.actor.user_id and not _sees_all(ctx):
        audit.record_refusal(ctx, "recording.play_all", target=f"call:{call_id}", reason="not your call")
        raise PermissionDenied(f"call {call_id} is not yours: agents hear only their own calls' recordings")
    if rec is None:
        raise NotFound(f"call {call_id} has no stored recording")
    found = RecordingFile(call_id=call_id, recording_id=rec.id, path=Vault(ctx.config.recordings.dir).path_of(rec.vault_path),
                          sha256=rec.sha256, size=rec.size, duration_seconds=rec.duration_seconds, format=rec.format)
    if check_hash:
        try:
            sha256, _ = hash_file(found.path)
        except FileNotFoundError:
            raise NotFound(f"the recording of call {call_id} is missing from the vault "
                           "(an admin should run `aiivr recording verify`)") from None
        if sha256 != found.sha256:
            raise _altered(ctx, action, found)
    return found


def _altered(ctx: Ctx, action: str, found: RecordingFile) -> RecordingAltered:
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, action, target=f"call:{found.call_id}", outcome=audit.FAILED,
                     detail={"reason": "the vault file does not match its stored hash", "sha256": found.sha256})
    return RecordingAltered(f"the recording of call {found.call_id} no longer matches its stored hash: not handed "
                            "out (an admin should run `aiivr recording verify --all`)")


def _audit_ok(ctx: Ctx, action: str, found: RecordingFile, **detail: str) -> None:
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, action, target=f"call:{found.call_id}",
                     detail={"recording_id": found.recording_id, "sha256": found.sha256, **detail})
