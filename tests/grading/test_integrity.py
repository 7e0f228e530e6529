"""The integrity report: hostile code is flagged with its evidence, ordinary code is not, grades are untouched."""
import copy
import csv
import json
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import samples
from course.grading import incidents
from course.grading.integrity import flags
from course.grading.integrity.collect import CollectIntegrityEvidence
from course.grading.integrity.evidence import findings_of, record, scan_notebook, was_scanned
from course.grading.integrity.files import scan_folder
from course.grading.integrity.finding import EVIDENCE_MAX, Finding
from course.grading.integrity.report import findings_from_autograded, write_report
from course.grading.integrity import collect as collect_module
from course.grading.integrity.static import (LONG_NOTE, REGEX_NOTE, _regex_scan, _Sink, notebook_context,
                                             scan_code)

from .conftest import cell_with

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("tp_convolution", "cnn_bases")

(PATCHED_LIBRARY, PATCHED_GRADERS, SYS_MODULES, SYS_PATH, SILENCED_ERRORS, ALWAYS_EQUAL, SHADOWING_FILES,
 READS_GRADING_FILES, DETECTS_GRADING, DYNAMIC_CODE, KILLS_KERNEL, FORGED_HANDOVER, KERNEL_HOOKS, SPECIAL_FILES,
 HANDIN_BOUNDS) = flags.FLAGS

#: (what the code tries, the code, the flags it must raise: exactly these).
HOSTILE = [
    # --- a fake graders / handover module -----------------------------------------------------
    ("fake graders module put in sys.modules",
     "import sys, types\nfake = types.ModuleType('graders')\nfake.check = lambda *a: None\nsys.modules['graders'] = fake",
     {SYS_MODULES, PATCHED_GRADERS}),
    ("sys.modules reached through an alias",
     "from sys import modules as table\ntable['graders.checks'] = object()", {SYS_MODULES, PATCHED_GRADERS}),
    ("graders removed from sys.modules inside %%capture",
     "%%capture\nimport sys\nsys.modules.pop('graders', None)", {SYS_MODULES, PATCHED_GRADERS}),
    ("graders.checks.fail patched", "import graders.checks\ngraders.checks.fail = lambda message: None",
     {PATCHED_GRADERS}),
    ("graders.checks.fail patched with setattr through an alias",
     "from graders import checks as c\nsetattr(c, 'fail', print)", {PATCHED_GRADERS}),
    ("graders imported under a name built at run time", "import importlib\nimportlib.import_module('gra' + 'ders')",
     {DYNAMIC_CODE, PATCHED_GRADERS}),
    # --- import path --------------------------------------------------------------------------
    ("sys.path.insert", "import sys\nsys.path.insert(0, '/tmp/mine')", {SYS_PATH}),
    ("sys.path through an alias, towards the parent folders", "import sys as s\ns.path.append('../..')",
     {SYS_PATH, READS_GRADING_FILES}),
    ("PYTHONPATH set", "import os\nos.environ['PYTHONPATH'] = '/tmp/mine'", {SYS_PATH}),
    ("site directory added", "import site\nsite.addsitedir('/tmp/mine')", {SYS_PATH}),
    ("working directory moved up", "import os\nos.chdir('..')", {SYS_PATH, READS_GRADING_FILES}),
    # --- libraries replaced ---------------------------------------------------------------------
    ("torch.allclose replaced", "torch.allclose = lambda *a, **k: True", {PATCHED_LIBRARY}),
    ("torch.allclose replaced through an alias", "import torch as t\nt.allclose = lambda *a, **k: True",
     {PATCHED_LIBRARY}),
    ("nn.Module.__call__ replaced", "from torch import nn\nnn.Module.__call__ = lambda self, *a, **k: 0",
     {PATCHED_LIBRARY}),
    ("numpy patched with setattr", "import numpy\nsetattr(numpy, 'allclose', lambda *a, **k: True)",
     {PATCHED_LIBRARY}),
    ("numpy patched through vars()", "vars(np)['allclose'] = lambda *a, **k: True", {PATCHED_LIBRARY}),
    ("numpy patched through __dict__.update", "np.__dict__.update(allclose=lambda *a, **k: True)",
     {PATCHED_LIBRARY}),
    ("np.ndarray.__eq__ monkeypatched", "np.ndarray.__eq__ = lambda self, other: np.ones_like(self, dtype=bool)",
     {PATCHED_LIBRARY}),
    ("torch.Tensor.__eq__ made always true", "torch.Tensor.__eq__ = lambda *a: True", {PATCHED_LIBRARY, ALWAYS_EQUAL}),
    ("a class alias of a library patched", "T = torch.Tensor\nT.numpy = lambda self: self", {PATCHED_LIBRARY}),
    ("a builtin replaced", "import builtins\nbuiltins.isinstance = lambda *a: True", {PATCHED_LIBRARY}),
    ("numpy patched with mock.patch", "from unittest import mock\nmock.patch('numpy.allclose', return_value=True).start()",
     {PATCHED_LIBRARY}),
    # --- always-equal objects -----------------------------------------------------------------
    ("always-equal class",
     "class Anything:\n    def __eq__(self, other):\n        return True\n\n    def __ne__(self, other):\n"
     "        return False\n\n\nshape_layer30 = Anything()", {ALWAYS_EQUAL}),
    ("always-equal lambda in a class body", "class Yes:\n    __eq__ = lambda *a: True", {ALWAYS_EQUAL}),
    ("int subclass overriding __eq__",
     "class Four(int):\n    def __eq__(self, other):\n        return int(self) == 4 or other == other\n\n\n"
     "n_neurons = Four(64)", {ALWAYS_EQUAL}),
    ("float subclass made with type()", "Cheat = type('Cheat', (float,), {'__eq__': lambda s, o: True})",
     {ALWAYS_EQUAL}),
    ("Tensor subclass overriding __torch_function__",
     "class Fake(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
     "        return True", {ALWAYS_EQUAL}),
    ("isinstance forged with __instancecheck__",
     "class Meta(type):\n    def __instancecheck__(cls, obj):\n        return True", {ALWAYS_EQUAL}),
    # --- errors silenced ----------------------------------------------------------------------
    ("IPython showtraceback replaced (nbgrader #1324)", "get_ipython().showtraceback = lambda *a, **k: None",
     {SILENCED_ERRORS, PATCHED_LIBRARY}),
    ("_showtraceback replaced through an alias", "ip = get_ipython()\nip._showtraceback = lambda *a, **k: None",
     {SILENCED_ERRORS, PATCHED_LIBRARY}),
    ("custom exception handler", "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
     {SILENCED_ERRORS}),
    ("sys.excepthook", "import sys\nsys.excepthook = lambda *a: None", {SILENCED_ERRORS}),
    ("sys.stderr replaced", "import sys, io\nsys.stderr = io.StringIO()", {SILENCED_ERRORS}),
    ("warnings display replaced", "import warnings\nwarnings.showwarning = lambda *a, **k: None", {SILENCED_ERRORS}),
    ("%xmode", "%xmode Minimal\nx = 1", {SILENCED_ERRORS}),
    # --- grading files read -------------------------------------------------------------------
    ("graders' source read through __file__", "import graders.tp_convolution\n"
     "print(open(graders.tp_convolution.__file__).read())", {PATCHED_GRADERS, READS_GRADING_FILES}),
    ("graders' source read with inspect",
     "import inspect\nfrom graders import tp_convolution as g\nprint(inspect.getsource(g))",
     {PATCHED_GRADERS, READS_GRADING_FILES}),
    ("the instructor's notebook read",
     "print(open('../../../source/tp_convolution/tp_convolution.ipynb').read())", {READS_GRADING_FILES}),
    ("root folder listed", "import os\nprint(os.listdir('/..'))", {READS_GRADING_FILES}),
    ("course folder globbed", "import glob\nglob.glob('/opt/course/**', recursive=True)", {READS_GRADING_FILES}),
    ("the checker's frame read", "import sys\nprint(sys._getframe(1).f_locals)", {READS_GRADING_FILES}),
    ("shell escape towards the source", "!cat ../../source/tp_convolution/tp_convolution.ipynb",
     {READS_GRADING_FILES}),
    # --- grading run detected -----------------------------------------------------------------
    ("NBGRADER_EXECUTION read", "import os\nif os.environ.get('NBGRADER_EXECUTION'):\n    output = None",
     {DETECTS_GRADING}),
    ("working directory compared", "import os\nif 'autograded' in os.getcwd():\n    n_neurons = 64",
     {DETECTS_GRADING}),
    ("working directory kept then compared",
     "import os\nhere = os.getcwd()\ngrading = here.startswith('/srv')", {DETECTS_GRADING}),
    ("user name", "import getpass\nuser = getpass.getuser()", {DETECTS_GRADING}),
    ("host name", "import socket\nif socket.gethostname() != 'laptop':\n    x = 1", {DETECTS_GRADING}),
    ("environment listed in a shell", "!env | grep -i grader", {DETECTS_GRADING}),
    ("HOME read through an alias", "from os import environ as e\nprint(e['HOME'])", {DETECTS_GRADING}),
    # --- dynamic code -------------------------------------------------------------------------
    ("exec of a base64 payload that kills the kernel",
     "import base64\nexec(base64.b64decode('aW1wb3J0IG9zOyBvcy5fZXhpdCgwKQ=='))", {DYNAMIC_CODE, KILLS_KERNEL}),
    ("exec fetched with getattr and a split name", "getattr(__builtins__, 'ex' + 'ec')('print(1)')", {DYNAMIC_CODE}),
    ("exec name reversed", "f = getattr(__builtins__, 'cexe'[::-1])\nf('x = 1')", {DYNAMIC_CODE}),
    ("rot13 payload", "import codecs\nexec(codecs.decode('vzcbeg flf; flf.zbqhyrf', 'rot13'))",
     {DYNAMIC_CODE, SYS_MODULES}),
    ("__import__ then os._exit", "__import__('os')._exit(0)", {DYNAMIC_CODE, KILLS_KERNEL}),
    ("pickle payload", "import pickle\nanswer = pickle.loads(payload)", {DYNAMIC_CODE}),
    ("ctypes", "import ctypes\nctypes.string_at(0)", {DYNAMIC_CODE}),
    ("IPython input transformer", "get_ipython().input_transformers_post.append(lambda lines: [])", {DYNAMIC_CODE}),
    # --- kernel killed ------------------------------------------------------------------------
    ("os._exit", "import os\nos._exit(0)", {KILLS_KERNEL}),
    ("os._exit fetched with getattr", "import os\ngetattr(os, '_ex' + 'it')(0)", {KILLS_KERNEL}),
    ("sys.exit", "import sys\nsys.exit()", {KILLS_KERNEL}),
    ("raise SystemExit", "raise SystemExit(0)", {KILLS_KERNEL}),
    ("os.kill with a signal", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", {KILLS_KERNEL}),
    # --- forged handover ----------------------------------------------------------------------
    ("forged handover display",
     "from IPython.display import display\ndisplay({'application/vnd.course.handover+json': {'points': 2}}, raw=True)",
     {FORGED_HANDOVER}),
    ("forged handover MIME type built from pieces", "mime = 'application/vnd.course.' + 'handover+json'",
     {FORGED_HANDOVER}),
    ("kernel channel written directly", "get_ipython().kernel.iopub_socket.send_multipart([b''])",
     {FORGED_HANDOVER}),
    # --- shadowing files written at run time --------------------------------------------------
    ("graders.py written by %%writefile", "%%writefile graders.py\ndef check_n_neurons(value):\n    pass",
     {SHADOWING_FILES}),
    ("numpy.py written with open", "open('numpy.py', 'w').write('allclose = lambda *a, **k: True')",
     {SHADOWING_FILES}),
]

#: Ordinary code a student may well write: no flag.
ORDINARY = [
    'warnings.filterwarnings("ignore")',
    "import warnings\nwarnings.simplefilter('ignore', UserWarning)",
    "plt.rcParams['figure.figsize'] = (8, 4)",
    "torch.backends.cudnn.deterministic = True",
    "print(np.allclose(conv1d(x, f), np.correlate(x, f, mode='same')))",
    'img = Image.open("cat.jpg").convert("RGB")',
    "import os\nos.environ['OMP_NUM_THREADS'] = '1'\nprint(os.environ.get('CUDA_VISIBLE_DEVICES'))",
    "class Point:\n    def __eq__(self, other):\n        return (self.x, self.y) == (other.x, other.y)",
    "%matplotlib inline\n%timeit conv1d(series, gaussian_filter(5))",
    "%%time\nmodel.eval()\nwith torch.no_grad():\n    probs = model(x)",
    "import re\npattern = re.compile(r'\\d+')",
    "torch.save(model.state_dict(), '/tmp/lenet.pt')",
    "def eval_model(model):\n    model.eval()\n    return model",
    "!pip install tqdm\n!ls",
    "import os\nprint(os.getcwd(), os.listdir())",
    "import io\nfrom contextlib import redirect_stdout\nwith redirect_stdout(io.StringIO()):\n    print('noisy')",
    "try:\n    risky()\nexcept Exception as error:\n    print('erreur :', error)",
    "np.random.seed(0)\ntorch.manual_seed(0)",
    "signal = np.sin(np.linspace(0, 6, 50))\nprint(signal.shape)",
    "x = img.clone()\nx.requires_grad = True",
    "class LeNet(nn.Module):\n    def forward(self, x):\n        return self.features(x)",
    "from pathlib import Path\nprint(Path('cat.jpg').exists())",
    "print('Attendez.. puis relancez...')",
]


def flags_of(findings):
    return {finding.flag for finding in findings}


@pytest.mark.parametrize("source, expected", [(code, wanted) for _, code, wanted in HOSTILE],
                         ids=[name for name, _, _ in HOSTILE])
def test_is_each_hostile_snippet_given_exactly_its_flags(source, expected):
    findings = scan_code(source, "cell 3")
    assert flags_of(findings) == expected, findings
    for finding in findings:
        assert finding.where.startswith("cell 3, line ")
        assert 0 < len(finding.evidence) <= EVIDENCE_MAX


def test_does_the_catalogue_cover_every_flag():
    covered = set().union(*(wanted for _, _, wanted in HOSTILE)) | {SHADOWING_FILES}
    # the kernel's own report names KERNEL_HOOKS; the hand-in's copy step the last two (test_handin.py)
    assert covered == set(flags.FLAGS) - {KERNEL_HOOKS, SPECIAL_FILES, HANDIN_BOUNDS}
    assert len(HOSTILE) >= 25
    assert all(flags.describe(flag) != flag for flag in flags.FLAGS)


@pytest.mark.parametrize("source", ORDINARY)
def test_is_ordinary_student_code_left_unflagged(source):
    assert scan_code(source, "cell 1") == []


def test_does_the_evidence_name_the_offending_line():
    source = "x = 1\ny = 2\nimport os\nos._exit(0)  # " + "a very long comment " * 20
    (finding,) = scan_code(source, "cell 12 (eval_mode)")
    assert finding == Finding(KILLS_KERNEL, "cell 12 (eval_mode), line 4", finding.evidence)
    assert finding.evidence.startswith("os._exit(0)") and len(finding.evidence) <= EVIDENCE_MAX


def test_does_code_hidden_in_a_string_show_its_decoded_line():
    (dynamic, kill) = scan_code("import base64\nexec(base64.b64decode('aW1wb3J0IG9zOyBvcy5fZXhpdCgwKQ=='))", "c")
    assert kill.where == "c, line 2" and "os._exit(0)" in kill.evidence


def test_does_a_cell_magic_body_keep_its_line_numbers():
    (finding,) = scan_code("%%capture\nx = 1\nimport os\nos._exit(0)", "c")
    assert finding.where == "c, line 4" and finding.evidence == "os._exit(0)"


def test_is_a_cell_that_does_not_parse_scanned_with_regexes_and_marked_so():
    findings = scan_code("torch.allclose = lambda *a: True\ndef broken(:\n    pass", "cell 4")
    assert flags_of(findings) == {PATCHED_LIBRARY}
    assert all(REGEX_NOTE in finding.where for finding in findings)
    assert scan_code("def broken(:\n    return np.allclose(a, b)", "cell 4") == []


@pytest.mark.parametrize("source, note", [
    ("x = " + "not " * 3000 + "True\nimport os\nos._exit(0)", REGEX_NOTE),
    ("x = 1\n" * 100_000 + "import os\nos._exit(0)", LONG_NOTE),
], ids=["nested too deep to parse", "padded past the analysis limit"])
def test_can_an_absurd_cell_hide_its_code_from_the_scan(source, note):
    (finding,) = scan_code(source, "c")
    assert finding.flag == KILLS_KERNEL and note in finding.where and finding.evidence == "os._exit(0)"


def test_does_the_setup_cell_tell_what_the_student_cells_names_are():
    context = notebook_context(["import numpy as numerical\nimport torch.nn.functional as func", "x = 1"])
    assert flags_of(scan_code("numerical.allclose = None\nfunc.conv2d = None", "c", context)) == {PATCHED_LIBRARY}
    # a student who calls a function of their own `eval` is not running eval()
    context = notebook_context(["def eval(model):\n    return model.eval()"])
    assert scan_code("eval(net)", "c", context) == []
    assert flags_of(scan_code("eval('1 + 1')", "c")) == {DYNAMIC_CODE}


# --- the real notebooks: no false positive ---------------------------------------------------


def _source_notebook(assignment):
    return nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def _is_test_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade") and not meta.get("solution")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_are_the_solutions_and_given_cells_free_of_findings(assignment):
    nb = _source_notebook(assignment)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    context = notebook_context(code)
    checked = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _is_test_cell(cell):
            continue  # test cells import graders: they are the instructor's, never scanned
        checked += 1
        assert scan_code(cell.source, f"cell {index}", context) == [], cell.source
        assert scan_code(cell.source, f"cell {index}") == [], cell.source
        sink = _Sink("regex", cell.source.splitlines())
        _regex_scan(cell.source, sink)
        assert sink.findings() == [], cell.source
    assert checked >= 10
    assert scan_notebook(nb, ROOT / "source" / assignment, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_are_the_solution_blocks_of_the_markdown_source_free_of_findings(assignment):
    text = (ROOT / "source" / assignment / f"{assignment}.md").read_text(encoding="utf-8")
    blocks = [textwrap.dedent(block) for block in
              re.findall(r"### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION", text, re.S)]
    assert len(blocks) >= 6
    for block in blocks:
        assert scan_code(block, "solution") == [], block
        sink = _Sink("regex", block.splitlines())
        _regex_scan(block, sink)
        assert sink.findings() == [], block


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_is_only_the_hostile_sample_flagged(assignment):
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = _source_notebook(assignment)
    for sample in samples.SAMPLES[assignment]:
        found = scan_notebook(samples.build_submission(sample, release, source), None, assignment)
        if sample.student == "hostile":
            assert flags_of(found) == {READS_GRADING_FILES, DETECTS_GRADING, KILLS_KERNEL}
            assert any("gradebook.db" in finding.evidence for finding in found)
        else:
            assert found == [], sample.student


# --- the folder ------------------------------------------------------------------------------


def _folder(tmp_path, names):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "lab.ipynb").write_text("{}")
    for name in names:
        path = folder / name
        if name.endswith("/"):
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
    return folder


def test_are_ordinary_files_beside_the_notebook_left_unflagged(tmp_path):
    folder = _folder(tmp_path, ["cat.jpg", "helpers.py", "notes.txt", "data/", "data/digits.npy", "images/x.png",
                                ".ipynb_checkpoints/lab-checkpoint.ipynb", "mes_fonctions/__init__.py",
                                "numpy.png", "torch_model.pt"])
    assert scan_folder(folder, "lab") == []


@pytest.mark.parametrize("names, shadowed", [
    (["graders/"], "graders"),
    (["graders/__init__.py", "graders/checks.py"], "graders"),
    (["graders.py"], "graders.py"),
    (["handover.py"], "handover.py"),
    (["sitecustomize.py"], "sitecustomize.py"),
    (["numpy/__init__.py"], "numpy"),
    (["random.py"], "random.py"),
    (["torch.cpython-311-x86_64-linux-gnu.so"], "torch.cpython-311-x86_64-linux-gnu.so"),
    (["hook.pth"], "hook.pth"),
    (["sub/deeper/graders.py"], "sub/deeper/graders.py"),
], ids=lambda value: str(value))
def test_is_each_shadowing_file_flagged(tmp_path, names, shadowed):
    findings = scan_folder(_folder(tmp_path, names), "lab.ipynb")
    assert flags_of(findings) == {SHADOWING_FILES}
    assert any(finding.where == f"file {shadowed}" for finding in findings), findings


def test_are_symbolic_links_reported_and_never_followed(tmp_path):
    outside = tmp_path / "course"
    (outside / "graders").mkdir(parents=True)
    (outside / "graders" / "checks.py").write_text("SECRET = 42\n")
    folder = _folder(tmp_path, [])
    os.symlink(outside / "graders", folder / "graders")
    os.symlink(outside / "graders" / "checks.py", folder / "notes.txt")
    os.symlink("cat.jpg", folder / "image.jpg")  # inside, harmless
    findings = scan_folder(folder, "lab")
    by_where = {(f.flag, f.where) for f in findings}
    assert (SHADOWING_FILES, "file graders") in by_where
    assert (READS_GRADING_FILES, "file graders") in by_where
    assert (READS_GRADING_FILES, "file notes.txt") in by_where
    assert not any(f.where == "file image.jpg" for f in findings)
    assert not any("checks.py" in f.where for f in findings)  # never looked inside the link


# --- the notebook and its metadata -----------------------------------------------------------


def test_are_locked_cells_skipped_and_student_cells_scanned(course, tmp_path):
    nb = course.submission()
    cell_with(nb, "double").source = "def double(x):\n    import os\n    os._exit(0)"
    cell_with(nb, "setup").source += "\nimport sys\nsys.modules['graders'] = None"  # locked: never runs
    nb.cells.append(new_code_cell("print(open('/opt/course/gradebook.db').read())"))
    found = scan_notebook(nb, None, "lab")
    assert {(f.flag, f.where.split(",")[0]) for f in found} == {
        (KILLS_KERNEL, "cell 3 (double)"), (READS_GRADING_FILES, f"cell {len(nb.cells) - 1}")}


def test_is_a_cell_with_forged_lock_metadata_scanned_against_the_gradebook(course, tmp_path):
    nb = course.submission()
    forged = new_code_cell("import os\nos._exit(0)")
    forged.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "task": False,
                                   "grade_id": "not_in_the_gradebook", "schema_version": 3}
    nb.cells.append(forged)
    folder = _folder(tmp_path, ["graders.py"])
    resources = course.resources()
    resources["metadata"]["path"] = str(folder)
    nb, _ = CollectIntegrityEvidence()(nb, resources)
    recorded = findings_of(nb)
    assert {f.flag for f in recorded} == {KILLS_KERNEL, SHADOWING_FILES}
    assert scan_notebook(nb, None, "lab") == []  # trusting the lock alone would miss it


def test_does_the_preprocessor_record_without_touching_cells_or_grades(course, tmp_path):
    nb = course.submission()
    cell_with(nb, "total").source = "total = sum(values)\nimport sys\nsys.excepthook = print"
    incidents.record(nb, "renamed", "detail", "message")
    before = copy.deepcopy(nb.cells)
    resources = course.resources()
    resources["metadata"]["path"] = str(_folder(tmp_path, []))
    nb, _ = CollectIntegrityEvidence()(nb, resources)
    assert nb.cells == before
    assert [f.flag for f in findings_of(nb)] == [SILENCED_ERRORS]
    assert [i.kind for i in incidents.of(nb)] == ["renamed"]
    nbformat.validate(nb)
    grades = course.save_grades(course.sanitize(copy.deepcopy(nb)))
    clean = course.save_grades(course.sanitize(course.submission()))
    assert grades.keys() == clean.keys()


def test_does_a_failing_scan_leave_the_submission_alone(course, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("scanner bug")

    monkeypatch.setattr(collect_module, "scan_notebook", broken)
    nb = course.submission()
    before = copy.deepcopy(nb)
    nb, _ = CollectIntegrityEvidence()(nb, course.resources())
    assert nb == before and not was_scanned(nb)


def test_does_recording_twice_replace_the_findings(course):
    nb = course.submission()
    record(nb, [Finding(KILLS_KERNEL, "cell 1, line 1", "os._exit(0)")])
    assert was_scanned(nb)
    record(nb, [])
    assert findings_of(nb) == [] and was_scanned(nb)
    stored = nb.metadata["course_grading"]["integrity"]
    assert stored == [] and json.loads(json.dumps(nb.metadata)) == nb.metadata


# --- the report ------------------------------------------------------------------------------


def _findings():
    return {
        "alice": [Finding(SILENCED_ERRORS, "cell 4 (prewitt), line 2",
                          "get_ipython().showtraceback = lambda *a: None  # <script>alert(1)</script>"),
                  Finding(KILLS_KERNEL, "cell 9, line 1", "=os._exit(0)")],
        "bob": [],
        "carol & dan": [{"flag": PATCHED_LIBRARY, "where": "cell 2, line 1", "evidence": "torch.allclose = f"}],
    }


def test_does_the_csv_parse_with_one_row_per_finding(tmp_path):
    csv_path, _ = write_report(_findings(), "tp_convolution", tmp_path / "reports")
    assert csv_path == tmp_path / "reports" / "tp_convolution-integrity.csv"
    with open(csv_path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["student", "flag", "where", "evidence", "description"]
    assert [(row["student"], row["flag"]) for row in rows] == [
        ("alice", SILENCED_ERRORS), ("alice", KILLS_KERNEL), ("carol & dan", PATCHED_LIBRARY)]
    assert rows[1]["evidence"] == "'=os._exit(0)"  # a spreadsheet must not run it as a formula
    assert rows[0]["description"] == flags.describe(SILENCED_ERRORS)


def test_does_the_html_escape_the_evidence_and_say_grades_are_unchanged(tmp_path):
    _, html_path = write_report(_findings(), "tp_convolution", tmp_path / "reports")
    page = html_path.read_text(encoding="utf-8")
    assert html_path.name == "tp_convolution-integrity.html"
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "carol &amp; dan" in page
    assert "Flags never change a grade" in page
    assert "3 submissions scanned, 2 with at least one flag" in page
    assert page.count('<td class="count hit">') == 3
    assert "<link" not in page and "src=" not in page  # self-contained


def test_does_the_report_read_the_autograded_notebooks(tmp_path, course):
    for student, source in (("alice", "import os\nos._exit(0)"), ("bob", "total = sum(values)")):
        folder = tmp_path / "autograded" / student / "lab"
        folder.mkdir(parents=True)
        nb = course.submission()
        cell_with(nb, "total").source = source
        record(nb, scan_notebook(nb, folder, "lab"))
        nbformat.write(nb, folder / "lab.ipynb")
    unscanned = tmp_path / "autograded" / "carol" / "lab"
    unscanned.mkdir(parents=True)
    nb = course.submission()
    cell_with(nb, "total").source = "import sys\nsys.path.insert(0, '/tmp')"
    nbformat.write(nb, unscanned / "lab.ipynb")
    (unscanned / "graders.py").write_text("")

    found = findings_from_autograded(tmp_path, "lab")
    assert {student: sorted(flags_of(items)) for student, items in found.items()} == {
        "alice": [KILLS_KERNEL], "bob": [], "carol": [SHADOWING_FILES, SYS_PATH]}
    csv_path, html_path = write_report(found, "lab", tmp_path / "reports")
    assert csv_path.exists() and html_path.exists()


def test_is_a_notebook_without_a_solution_cell_scanned_as_student_code():
    nb = new_notebook(cells=[new_code_cell("import numpy as np"), new_code_cell("np.allclose = print")])
    assert [(f.flag, f.where) for f in scan_notebook(nb, None, "lab")] == [(PATCHED_LIBRARY, "cell 1, line 1")]
