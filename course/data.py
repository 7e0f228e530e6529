"""The course data: the canonical files in ``data/`` and their copies in ``source/``.

``data/`` holds the one copy that is made and documented (see data/README.md).
nbgrader releases only what is in ``source/<assignment>/``, so each assignment
gets a copy of the files its declaration names (``data`` in ``source/<a>/assignment.toml``); a test
checks that these copies never drift from ``data/``.
"""
import argparse
import shutil
from pathlib import Path

import course_config

from . import assignments


def make_cat_image(path=course_config.CAT_IMAGE):
    """Write scikit-image's CC0 photo of Chelsea the cat as a JPEG to ``path``."""
    from PIL import Image
    from skimage.data import chelsea

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # PIL writes no EXIF or timestamp unless asked, so the bytes depend only on the pixels.
    Image.fromarray(chelsea()).save(path, format="JPEG", quality=95)
    return path


def _pairs(root):
    """(canonical file, copy in source/) for every file an assignment carries."""
    root = Path(root)
    data_dir = root / course_config.DATA_DIR.relative_to(course_config.ROOT)
    for assignment in assignments.discover(root):
        for name in assignment.data:
            yield data_dir / name, assignment.folder / name


def _same(a, b):
    return b.exists() and a.read_bytes() == b.read_bytes()


def distribute(root=course_config.ROOT):
    """Copy the canonical data into each assignment that differs from it; return the paths written."""
    written = []
    for canonical, copy in _pairs(root):
        if not canonical.exists():
            raise FileNotFoundError(f"{canonical} is missing ({copy.parent / 'assignment.toml'} names it in data): "
                                    "run `python -m course data` to make it, or add it to data/ with its provenance")
        if not _same(canonical, copy):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(canonical, copy)
            written.append(copy)
    return written


def out_of_sync(root=course_config.ROOT):
    """The copies under source/ that are missing or differ from their canonical file."""
    return [copy for canonical, copy in _pairs(root) if not _same(canonical, copy)]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course data",
        description="Make the canonical data (data/) and copy it into each assignment (source/).",
    )
    parser.add_argument("--force", action="store_true", help="remake data/cat.jpg even if it exists")
    parser.add_argument("--check", action="store_true",
                        help="only report copies that differ from data/ (exit 1 if any)")
    parser.add_argument("--root", type=Path, default=course_config.ROOT,
                        help="course repository (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.check:
        stale = out_of_sync(args.root)
        for path in stale:
            print(f"out of sync: {path}")
        print("all copies match data/" if not stale else "run `python -m course data` to fix")
        return 1 if stale else 0

    image = args.root / course_config.CAT_IMAGE.relative_to(course_config.ROOT)
    if args.force or not image.exists():
        make_cat_image(image)
        print(f"made {image}")
    else:
        print(f"kept {image} (use --force to remake it)")
    written = distribute(args.root)
    for path in written:
        print(f"copied to {path}")
    if not written:
        print("all copies already match data/")
    return 0
