"""[recordings] path_map both ways: PBX names -> files here, vault files -> PBX names."""

from aiivr.path_map import to_local, to_pbx

CHROOT = {"/var/spool/asterisk/recordings": "/var/lib/aiivr/lab/var/spool/asterisk/recordings",
          "/var/lib/aiivr-vault": "/var/lib/aiivr/lab/var/lib/aiivr-vault"}


def test_a_pbx_path_under_a_prefix_maps_to_the_folder_seen_here():
    assert to_local("/var/spool/asterisk/recordings/support-1.wav", CHROOT) == \
        "/var/lib/aiivr/lab/var/spool/asterisk/recordings/support-1.wav"
    assert to_local("/var/spool/asterisk/recordings/2026/11/x.wav", CHROOT).endswith("recordings/2026/11/x.wav")


def test_unmapped_paths_are_the_same_on_both_sides_and_prefixes_match_whole_components():
    assert to_local("/tmp/x.wav", CHROOT) == "/tmp/x.wav"
    # "/var/spool/asterisk/recordings-old" is not under "/var/spool/asterisk/recordings"
    assert to_local("/var/spool/asterisk/recordings-old/x.wav", CHROOT) == "/var/spool/asterisk/recordings-old/x.wav"
    assert to_local("/var/spool/asterisk/recordings/x.wav", {}) == "/var/spool/asterisk/recordings/x.wav"


def test_the_vault_maps_back_for_playback_on_the_phone():
    assert to_pbx("/var/lib/aiivr/lab/var/lib/aiivr-vault/ab/abcd.wav", CHROOT) == "/var/lib/aiivr-vault/ab/abcd.wav"
    assert to_pbx("/srv/vault/ab/abcd.wav", CHROOT) == "/srv/vault/ab/abcd.wav"  # same host: same path


def test_the_longest_prefix_wins():
    nested = {"/pbx": "/mnt/pbx", "/pbx/spool": "/mnt/fast-spool"}
    assert to_local("/pbx/spool/a.wav", nested) == "/mnt/fast-spool/a.wav"
    assert to_local("/pbx/other/a.wav", nested) == "/mnt/pbx/other/a.wav"
    assert to_pbx("/mnt/fast-spool/a.wav", nested) == "/pbx/spool/a.wav"
