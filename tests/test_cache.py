"""The study's cache folder (suffice.study.cache): one that cannot hold entries is refused up front."""
from __future__ import annotations

import os

import pytest

from suffice import OptionError
from suffice.study import clips_from_arrays, run

import _hostile_models as hm


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_cache_is_refused_up_front(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="not writable"):
        run("deepfake", hm.models()[:1], clips, cache_dir=ro, progress=False)


def test_cache_folder_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="exists and is not a folder"):
        run("deepfake", hm.models()[:1], clips, cache_dir=f, progress=False)


def test_a_dangling_cache_link_says_so(tmp_path):
    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="broken symbolic link"):
        run("deepfake", hm.models()[:1], clips, cache_dir=link, progress=False)
