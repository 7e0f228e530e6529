"""deploy/install.sh: one environment every user runs, that tells students nothing they must not know."""
import shutil
from pathlib import Path

from unix_users import run_as, user_environment

REPOSITORY = Path(__file__).resolve().parents[2]


def test_can_a_student_run_the_course_environment_but_not_read_graders(deployment, unix_users):
    student = unix_users.create("stu")
    env = user_environment(student, [deployment.bin])
    run_as(student, ["python", "-c", "import torch, torchvision, nbgrader, handover, course"], env=env)
    imported = run_as(student, ["python", "-c", "import graders.tp_convolution"], env=env, check=False)
    assert imported.returncode != 0
    read = ("import sysconfig; open(sysconfig.get_paths()['purelib'] + '/graders/tp_convolution.py')")
    denied = run_as(student, ["python", "-c", read], env=env, check=False)
    assert "PermissionError" in denied.stderr


def test_can_an_instructor_read_graders_through_the_instructors_group(deployment, unix_users):
    instructor = unix_users.create("ins", groups=[deployment.instructors_group])
    env = user_environment(instructor, [deployment.bin])
    run_as(instructor, ["python", "-c", "import graders.tp_convolution"], env=env)


def test_does_every_user_get_the_exchange_and_course_id_of_the_deployment(deployment, unix_users):
    student = unix_users.create("stu2")
    env = user_environment(student, [deployment.bin])
    probe = ("from nbgrader.apps import NbGrader\napp = NbGrader()\napp.load_config_file()\n"
             "print(app.config.Exchange.root, app.config.CourseDirectory.course_id)")
    shown = run_as(student, ["python", "-c", probe], env=env).stdout.split()
    import course_config

    assert shown == [str(deployment.exchange), course_config.COURSE_ID]
    assert deployment.exchange.stat().st_mode & 0o7777 == 0o1777


def test_does_the_course_command_read_the_course_folders_configuration(deployment, unix_users, tmp_path):
    """The environment holds a copy of course_config.py; the instructor edits the one in the course folder."""
    instructor = unix_users.create("ins2", groups=[deployment.instructors_group])
    folder = instructor.home / "cours"
    folder.mkdir()
    config = (REPOSITORY / "course_config.py").read_text()
    edited = config.replace('PRETRAINED_WEIGHTS = ("VGG16_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V1")',
                            'PRETRAINED_WEIGHTS = ("VGG16_Weights.IMAGENET1K_V1",)')
    assert edited != config
    (folder / "course_config.py").write_text(edited)
    shutil.chown(folder, instructor.name)
    env = user_environment(instructor, [deployment.bin])
    shown = run_as(instructor, ["course", "weights", "status"], env=env, cwd=folder).stdout
    assert "vgg16" in shown and "resnet50" not in shown


def test_does_the_environment_hold_every_file_of_the_course_package(deployment):
    """A non-editable install carries only what pyproject.toml declares: templates too, or feedback breaks."""
    import sysconfig

    site = deployment.env / Path(sysconfig.get_paths()["purelib"]).relative_to(sysconfig.get_paths()["data"])
    for package in ("course", "handover", "graders"):
        shipped = {p.relative_to(REPOSITORY) for p in (REPOSITORY / package).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
        installed = {p.relative_to(site) for p in (site / package).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts}
        assert shipped == installed, package
