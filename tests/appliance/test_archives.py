"""appliance.system.archives.extract_all: the data filter where tarfile has it, and the same
refusals on Python 3.11 before 3.11.4 (Debian 12's 3.11.2 on the box), where it has not."""
import io
import tarfile

import pytest

from appliance.system.archives import extract_all


def archive(path, *members):
    with tarfile.open(path, "w") as tar:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size, info.mode = 5, 0o4777
                tar.addfile(info, io.BytesIO(b"hello"))
    return tarfile.open(path)


@pytest.fixture(params=["filter", "before 3.11.4"])
def python(request, monkeypatch):
    if request.param == "before 3.11.4":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def test_plain_files_are_extracted_without_set_id_or_others_write(tmp_path, python):
    with archive(tmp_path / "a.tar", ("wheels/a.whl", "file")) as tar:
        extract_all(tar, tmp_path / "out")
    extracted = tmp_path / "out" / "wheels" / "a.whl"
    assert extracted.read_bytes() == b"hello"
    assert extracted.stat().st_mode & 0o7022 == 0


@pytest.mark.parametrize("member", [("../escaped", "file"), ("wheels/link", "link")])
def test_members_outside_the_folder_or_links_are_refused(tmp_path, python, member):
    with archive(tmp_path / "a.tar", member) as tar, pytest.raises(tarfile.TarError):
        extract_all(tar, tmp_path / "out")
    assert not (tmp_path / "escaped").exists()


def test_an_absolute_name_never_lands_outside(tmp_path, python):
    name = f"{tmp_path}/outside/escaped"  # the filter strips the slash, the fallback refuses
    with archive(tmp_path / "a.tar", (name, "file")) as tar:
        try:
            extract_all(tar, tmp_path / "out")
        except tarfile.TarError:
            pass
    assert not (tmp_path / "outside").exists()
