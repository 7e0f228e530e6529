"""Graders' own inputs: the cat image and the models, built independently of
the student's namespace, exactly as the notebooks' given cells build theirs."""
import functools
from pathlib import Path

import numpy as np


#: Where the course data is: the course root the judge runs in, else beside graders (a checkout's data/).
#: graders installed as a package (a shared environment) carry no data: the course folder does.
DATA_FOLDERS = (Path.cwd() / "data", Path(__file__).resolve().parents[1] / "data")
IMAGE_SIZE = 256
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
#: The seed the lab sets right before building ``vgg`` (random weights when none are cached).
VGG_SEED = 0


def course_data(name):
    """The course's data file ``name`` (the first of DATA_FOLDERS that has it)."""
    found = [folder / name for folder in DATA_FOLDERS if (folder / name).is_file()]
    if not found:
        folders = ", ".join(map(str, DATA_FOLDERS))
        raise FileNotFoundError(f"{name} is in none of the course's data folders ({folders}): run the judge in the "
                                "course root, which holds data/")
    return found[0]


@functools.lru_cache(maxsize=1)
def cat_image():
    """``img`` of the lab, as a float32 array (1, 3, 256, 256) in [0, 1]."""
    from PIL import Image

    with Image.open(course_data("cat.jpg")) as photo:
        resized = photo.convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC)
    pixels = np.asarray(resized, dtype=np.float32) / np.float32(255)
    pixels = pixels.transpose(2, 0, 1)[None]
    pixels.setflags(write=False)
    return pixels


def cat_image_normalized():
    """``img_norm`` of the lab: the ImageNet normalisation of :func:`cat_image`."""
    return (cat_image() - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]


def load_model(builder, weights):
    """The lab's rule: pretrained weights when the torch cache has them, random ones otherwise."""
    import torch

    checkpoint = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    return builder(weights=weights if checkpoint.exists() else None)


@functools.lru_cache(maxsize=1)
def vgg16():
    """An eval-mode VGG16 with the same weights as the lab's ``vgg``."""
    import torch
    from torchvision import models

    torch.manual_seed(VGG_SEED)
    return load_model(models.vgg16, models.VGG16_Weights.IMAGENET1K_V1).eval()


def on_meta(builder):
    """A model built on the meta device: its shapes, without memory or time for weights."""
    import torch

    with torch.device("meta"):
        return builder()
