"""The canonical data (data/) and its copies in the assignments (source/)."""
import shutil

import numpy as np
import pytest
from PIL import Image
from skimage.data import chelsea

import course_config
from course import assignments, data


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255**2 / mse)


def assert_is_chelsea(path):
    with Image.open(path) as image:
        assert image.format == "JPEG"
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape == chelsea().shape == (300, 451, 3)
    assert psnr(pixels, chelsea()) > 35


def declare_assignments(root):
    """The course's assignment declarations (which name the data they carry), without their notebooks."""
    for assignment in assignments.discover():
        (root / "source" / assignment.name).mkdir(parents=True)
        shutil.copy(assignment.declaration, root / "source" / assignment.name)


def copies(root):
    return [root / "source" / a.name / name for a in assignments.discover(root) for name in a.data]


@pytest.fixture
def repo(tmp_path):
    """A repository with only the canonical data and the assignments' declarations in it."""
    data.make_cat_image(tmp_path / "data" / "cat.jpg")
    declare_assignments(tmp_path)
    return tmp_path


def test_is_the_cat_image_chelsea(tmp_path):
    assert_is_chelsea(data.make_cat_image(tmp_path / "cat.jpg"))


def test_is_the_cat_image_deterministic(tmp_path):
    first = data.make_cat_image(tmp_path / "a.jpg").read_bytes()
    assert data.make_cat_image(tmp_path / "b.jpg").read_bytes() == first


def test_is_the_cat_image_free_of_exif(tmp_path):
    with Image.open(data.make_cat_image(tmp_path / "cat.jpg")) as image:
        assert not image.getexif()


def test_is_the_committed_cat_image_chelsea():
    assert_is_chelsea(course_config.CAT_IMAGE)


def test_does_distribute_copy_the_data_into_each_assignment(repo):
    written = data.distribute(repo)
    expected = copies(repo)
    assert expected and written == expected
    for copy in expected:
        assert copy.read_bytes() == (repo / "data" / copy.name).read_bytes()


def test_does_distribute_leave_matching_copies_alone(repo):
    data.distribute(repo)
    assert data.distribute(repo) == []


def test_does_out_of_sync_detect_a_drifted_copy(repo):
    data.distribute(repo)
    assert data.out_of_sync(repo) == []
    copy = repo / "source" / "tp_convolution" / "cat.jpg"
    copy.write_bytes(copy.read_bytes()[:-10])
    assert data.out_of_sync(repo) == [copy]
    assert data.distribute(repo) == [copy]
    assert data.out_of_sync(repo) == []


def test_does_out_of_sync_detect_a_missing_copy(repo):
    assert sorted(data.out_of_sync(repo)) == sorted(copies(repo))


def test_does_distribute_name_the_missing_canonical_file(tmp_path):
    declare_assignments(tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m course data"):
        data.distribute(tmp_path)


def test_are_the_committed_copies_in_sync_with_data():
    assert data.out_of_sync() == [], "run `python -m course data`"


def test_does_the_cli_make_the_image_only_when_missing(tmp_path, capsys):
    assert data.main(["--root", str(tmp_path)]) == 0
    image = tmp_path / "data" / "cat.jpg"
    assert_is_chelsea(image)
    assert data.out_of_sync(tmp_path) == []
    image.write_bytes(b"not a cat")
    assert data.main(["--root", str(tmp_path)]) == 0
    assert image.read_bytes() == b"not a cat"
    assert data.main(["--root", str(tmp_path), "--force"]) == 0
    assert_is_chelsea(image)
    assert "made" in capsys.readouterr().out


def test_does_the_cli_check_fail_on_drift(repo, capsys):
    assert data.main(["--root", str(repo), "--check"]) == 1
    assert "out of sync" in capsys.readouterr().out
    data.distribute(repo)
    assert data.main(["--root", str(repo), "--check"]) == 0
