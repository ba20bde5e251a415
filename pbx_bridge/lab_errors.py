"""Errors of the lab manager. Each carries one sentence a person can act on."""


class LabError(Exception):
    """The lab cannot do what was asked (no mmdebstrap, port taken, not running, ...)."""


class LabPermissionError(LabError):
    """The lab needs root (mmdebstrap, chroot, other users' /proc entries)."""


class LabStartError(LabError):
    """Asterisk was started but did not come up (no AMI banner, died, not fully booted)."""
