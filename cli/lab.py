"""`aiivr lab up|down|status`: the real Asterisk lab (root on the host). Thin: pbx_bridge.lab does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from cli.output import FormatOpt, JsonOpt, choose, done, emit_object, stderr
from pbx_bridge import lab

app = typer.Typer(
    name="lab",
    no_args_is_help=True,
    help="A real Asterisk 22 in a chroot (Debian sid package), AMI on loopback, with AIIVR's "
    "sample queues and dialplan. Needs root; the first `up` builds the rootfs (~100 MB download).",
)

RootOpt = Annotated[Optional[Path], typer.Option("--root", metavar="DIR",
                    help="The lab's rootfs (else $AIIVR_LAB_ROOT, else /var/lib/aiivr/lab).")]


def _fail(error: lab.LabError) -> NoReturn:
    stderr.print(f"error: {error}", highlight=False, markup=False)
    # contract exit codes: 3 permission denied, 4 the PBX did not come up, 1 anything else
    if isinstance(error, lab.LabPermissionError):
        raise typer.Exit(3)
    raise typer.Exit(4 if isinstance(error, lab.LabStartError) else 1)


@app.command()
def up(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="AMI port on 127.0.0.1.")] = 5038,
    root: RootOpt = None,
    sip_port: Annotated[Optional[int], typer.Option("--sip-port", min=1, max=65535,
                        help="Also load SIP (chan_pjsip) on 127.0.0.1:PORT, e.g. for sipp.")] = None,
) -> None:
    """Start the lab (building it first if needed); prints the path of a matching aiivr config."""
    try:
        config = lab.up(port=port, root=root, sip_port=sip_port)
    except lab.LabError as error:
        _fail(error)
    done(f"Asterisk lab up: AMI on 127.0.0.1:{port}; its aiivr config (AMI secret inside):")
    print(config)


@app.command()
def down(root: RootOpt = None) -> None:
    """Stop the lab (the rootfs stays for the next `up`)."""
    try:
        stopped = lab.down(root)
    except lab.LabError as error:
        _fail(error)
    done("Asterisk lab stopped" if stopped else "the Asterisk lab was not running")


@app.command()
def status(root: RootOpt = None, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Whether the lab is built and running, its AMI address and config path."""
    try:
        current = lab.status(root)
    except lab.LabError as error:
        _fail(error)
    emit_object(current.to_dict(), fmt=choose(fmt, as_json), title="Asterisk lab")
