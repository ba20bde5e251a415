"""`aiivr recording ...`: list, play (terminal or phone), export, verify.

Agents reach their own calls' recordings, supervisors everyone's; verify is for
admins. Every play and export is audited. No command changes a recording.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aiivr.db import utcnow
from aiivr.playback import OutputUnavailable, PyAudioOutput
from aiivr.services import recordings
from aiivr.timerange import parse_range
from cli import recording_player
from cli.output import FormatOpt, JsonOpt, choose, done, emit_list, emit_object, plain
from cli.runtime import current

app = typer.Typer(
    name="recording",
    help="Call recordings: list them, play them (here or on your phone), export them as WAV, "
    "and (admins) verify the vault. Recordings are immutable: no command changes one.",
    no_args_is_help=True,
)

COLUMNS = [("call_id", "Call"), ("started_at", "Started"), ("direction", "Dir"), ("caller_num", "Caller"),
           ("agent", "Agent"), ("queue", "Queue"), ("duration_seconds", "Length"), ("size", "Bytes"),
           ("sha256", "SHA-256")]
FINDING_COLUMNS = [("kind", "Problem"), ("vault_path", "File"), ("call_id", "Call"), ("detail", "Detail")]
CallArg = Annotated[int, typer.Argument(metavar="CALL_ID", help="The call's ID (from `aiivr recording list`).")]


@app.command("list")
def list_(
    start: Annotated[Optional[str], typer.Option("--from", help="Calls from: ISO date/time, today, yesterday, Nd, Nh.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Calls before (a date-only --to includes that day).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Recordings per page.")] = 50,
    after: Annotated[Optional[str], typer.Option("--after", help="Cursor from the previous page's `next`.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List stored recordings, newest first: your own calls', or everyone's for a supervisor.

    Example: aiivr recording list --from 7d --json
    """
    ctx = current().ctx()
    lo, hi = parse_range(start, end, ctx.config.tz, now=utcnow())
    page = recordings.list_recordings(ctx, start=lo, end=hi, limit=limit, after=after)
    emit_list(page.items, COLUMNS, fmt=choose(fmt, as_json), next_cursor=page.next, empty="no recordings")


@app.command("play")
def play(
    call_id: CallArg,
    on_phone: Annotated[bool, typer.Option("--on-phone", help="Ring your own phone (your user's extension) "
                                           "and play it there: for terminals without speakers.")] = False,
) -> None:
    """Play a call's recording: space pauses and resumes, ←/→ skip 10 s, q quits.

    Needs the aiivr[audio] extra (pyaudio) and an output device; without them it says
    why and points to `aiivr recording export`.

    Examples: aiivr recording play 42    aiivr recording play 42 --on-phone
    """
    ctx = current().ctx()
    if on_phone:
        command = recordings.play_on_phone(ctx, call_id)
        done(f"ringing your phone: answer it to hear the recording of call {call_id}")
        recordings.wait_on_phone(ctx, command)
        done("answered: the recording is playing on your phone")
        return
    try:
        player = recordings.start_playback(ctx, call_id, PyAudioOutput())
    except OutputUnavailable as error:
        raise OutputUnavailable(f"{error}; save it instead: aiivr recording export {call_id} --out FILE") from None
    recording_player.play(player)


@app.command("export")
def export(
    call_id: CallArg,
    out: Annotated[str, typer.Option("--out", metavar="FILE", help="The WAV file to write (must not exist).")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a call's recording to a WAV file, checked against its stored hash.

    Example: aiivr recording export 42 --out call-42.wav
    """
    result = recordings.export_recording(current().ctx(), call_id, out)
    chosen = choose(fmt, as_json)
    if chosen != "table":
        emit_object(result, fmt=chosen)
    done(f"exported the recording of call {call_id} to {result.out} ({result.size} bytes, sha256 {result.sha256})")


@app.command("verify")
def verify(
    all_: Annotated[bool, typer.Option("--all", help="Re-hash every file (slow); without it: names, sizes and orphans.")] = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the vault (admins): files missing, altered or orphaned. Exit 1 when any.

    Example: aiivr recording verify --all
    """
    report = recordings.verify_vault(current().ctx(), full=all_)
    chosen = choose(fmt, as_json)
    if chosen == "json":
        emit_object({"ok": report.ok, "checked": report.checked, "files": report.files, "full": report.full,
                     "counts": report.counts(), "findings": plain(report.findings)}, fmt="json")
    elif report.findings:
        emit_list(report.findings, FINDING_COLUMNS, fmt=chosen)
    done(report.summary())
    if not report.ok:
        raise typer.Exit(1)
