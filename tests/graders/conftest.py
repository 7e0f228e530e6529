"""Shared fixtures of the graders' tests: the lab's answers, built as the notebook builds them.

The expensive objects (VGG16, its forward passes) are session-scoped. There is no
``__init__.py`` in this folder on purpose: with pytest's default import mode it would
make this folder a package named ``graders`` and hide the real one.
"""
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless, like the grading kernel; must precede any pyplot import

import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import models  # noqa: E402
from torchvision.transforms import functional as TF  # noqa: E402

from graders import references  # noqa: E402
from graders import tp_convolution  # noqa: E402


LAB = Path(__file__).resolve().parents[2] / "source" / "tp_convolution"
HOOKED = (0, 10, 17, 28)


@pytest.fixture(scope="session", autouse=True)
def empty_torch_home(tmp_path_factory):
    """A private, empty torch cache for the whole session, and no download.

    Neither the lab's ``vgg`` nor graders' own VGG16 may pick up weights from a real
    cache (~/.cache/torch): both get the random weights of ``torch.manual_seed(0)``.
    """
    home = tmp_path_factory.mktemp("torch_home")

    def refuse(url, *args, **kwargs):
        raise AssertionError(f"tried to download {url}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        patch.setattr(torch.hub, "download_url_to_file", refuse)
        references.vgg16.cache_clear()  # built under this cache, never under an earlier one
        yield home
        references.vgg16.cache_clear()


# --- the given cells --------------------------------------------------------------

@pytest.fixture(scope="session")
def img():
    photo = Image.open(LAB / "cat.jpg").convert("RGB").resize((256, 256), Image.Resampling.BICUBIC)
    return TF.to_tensor(photo).unsqueeze(0)


@pytest.fixture(scope="session")
def img_norm(img):
    return TF.normalize(img, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])


@pytest.fixture(scope="session")
def kernel1():
    return torch.tensor([[-1.0, 0.0, 1.0],
                         [-1.0, 0.0, 1.0],
                         [-1.0, 0.0, 1.0]]).repeat(1, 3, 1, 1)


def is_cached(weights):
    return (Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name).exists()


def load_model(builder, weights):
    return builder(weights=weights if is_cached(weights) else None)


@pytest.fixture(scope="session")
def vgg():
    """The lab's ``vgg``, left in eval mode as the solution of the eval_mode cell leaves it."""
    torch.manual_seed(0)
    model = load_model(models.vgg16, models.VGG16_Weights.IMAGENET1K_V1)
    assert not is_cached(models.VGG16_Weights.IMAGENET1K_V1)
    return model.eval()


@pytest.fixture(scope="session")
def resnet():
    torch.manual_seed(0)
    return load_model(models.resnet50, models.ResNet50_Weights.IMAGENET1K_V1)


# --- the solution cells -----------------------------------------------------------

@pytest.fixture(scope="session")
def prewitt(img, kernel1):
    import torch.nn.functional as F

    kernel2 = kernel1.transpose(2, 3).contiguous()
    output1 = F.conv2d(img, kernel1)
    output2 = F.conv2d(img, kernel2)
    return {"kernel2": kernel2, "output1": output1, "output2": output2,
            "output": torch.sqrt(output1**2 + output2**2)}


@pytest.fixture(scope="session")
def shape_layer30(vgg, img):
    with torch.no_grad():
        return vgg.features[:31](img).shape


@pytest.fixture(scope="session")
def size_ratio(img, shape_layer30):
    return img.numel() / math.prod(shape_layer30)


@pytest.fixture(scope="session")
def conv1_counts(resnet):
    n_neurons = resnet.conv1.out_channels
    n_weights_per_kernel = resnet.conv1.in_channels * math.prod(resnet.conv1.kernel_size)
    return {"n_neurons": n_neurons, "n_weights_per_kernel": n_weights_per_kernel,
            "n_weights_conv1": n_neurons * n_weights_per_kernel}


def capture(vgg, x, hooks):
    """One forward pass of ``x`` through ``vgg`` with students' hooks attached.

    ``hooks`` maps a name to (layers, keep), ``keep`` turning a hook's output into
    what the student stores. Returns the logits and, per name, the stored list.
    """
    stored = {name: [] for name in hooks}
    handles = []
    for name, (layers, keep) in hooks.items():
        for i in layers:
            handles.append(vgg.features[i].register_forward_hook(
                lambda module, inputs, output, into=stored[name], keep=keep: into.append(keep(output))))
    try:
        with torch.no_grad():
            logits = vgg(x)
    finally:
        for handle in handles:
            handle.remove()
    return logits, stored


@pytest.fixture(scope="session")
def forward_pass(vgg, img_norm):
    """The hooks cell of the lab and the students' usual variants, in a single pass of img_norm."""
    clone = lambda output: output.detach().clone()  # noqa: E731
    return capture(vgg, img_norm, {
        "reference": (HOOKED, clone),
        "clone_only": (HOOKED, lambda output: output.clone()),
        "no_copy": (HOOKED, lambda output: output.detach()),
        "relus": ((1, 11, 18, 29), clone),
        "neighbour_convs": ((2, 12, 19, 26), clone),
        "pools": ((4, 9, 16, 23), clone),
    })


@pytest.fixture(scope="session")
def logits(forward_pass):
    return forward_pass[0]


@pytest.fixture(scope="session")
def feature_maps(forward_pass):
    return forward_pass[1]["reference"]


@pytest.fixture(scope="session")
def hooked(forward_pass):
    """The lists stored by each variant of the hooks (see forward_pass)."""
    return forward_pass[1]


@pytest.fixture(scope="session")
def hooked_on_img(vgg, img):
    """The hooks of the lab run on ``img`` instead of ``img_norm``."""
    return capture(vgg, img, {"maps": (HOOKED, lambda output: output.detach().clone())})[1]["maps"]


@pytest.fixture(scope="session")
def probs(logits):
    return logits.softmax(dim=1)


@pytest.fixture(scope="session")
def predicted_class(probs):
    return int(probs.argmax(dim=1))


@pytest.fixture
def vgg_in_train_mode(vgg):
    """The lab's ``vgg`` as built (training mode), put back in eval mode afterwards."""
    vgg.train()
    try:
        yield vgg
    finally:
        vgg.eval()


@pytest.fixture(autouse=True)
def no_open_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
