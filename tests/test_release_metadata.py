"""Releases carry no authoring metadata: saving a student's notebook in Jupyter writes nothing beside it."""
import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

import course_config
from course import assignments

ASSIGNMENTS = assignments.names()


def release_notebook(assignment):
    return nbformat.read(course_config.ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_no_release_notebook_carry_jupytext_metadata(assignment):
    assert "jupytext" not in release_notebook(assignment).metadata
    # The source keeps its pairing: only the release drops it.
    source = nbformat.read(course_config.ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert source.metadata["jupytext"]["formats"] == "ipynb,md:myst"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A real Jupyter server of the course's Python (jupytext's contents manager included), with a token."""
    root = tmp_path_factory.mktemp("student")
    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            assert server.poll() is None and time.monotonic() < deadline, "the Jupyter server did not start"
            time.sleep(0.3)
    yield root, url, token
    server.terminate()
    server.wait(timeout=30)


def save(url, token, name, notebook):
    """What JupyterLab does when the student saves: PUT the notebook through the contents API."""
    body = json.dumps({"type": "notebook", "format": "json", "content": notebook}).encode()
    request = urllib.request.Request(f"{url}/api/contents/{name}", data=body, method="PUT",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201)


def visible_files(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_saving_a_release_notebook_write_no_file_beside_it(jupyter_server, assignment):
    root, url, token = jupyter_server
    folder = root / assignment
    shutil.copytree(course_config.ROOT / "release" / assignment, folder)
    before = visible_files(folder)
    save(url, token, f"{assignment}/{assignment}.ipynb", release_notebook(assignment))
    assert visible_files(folder) == before  # (Jupyter's own .ipynb_checkpoints aside)


def test_does_a_paired_notebook_write_its_twin_on_save(jupyter_server):
    """Control: with jupytext's pairing, the same save writes the .md (so the test above can see one)."""
    root, url, token = jupyter_server
    (root / "paired").mkdir()
    notebook = release_notebook(ASSIGNMENTS[0])
    notebook.metadata["jupytext"] = {"formats": "ipynb,md:myst"}
    save(url, token, "paired/paired.ipynb", notebook)
    assert (root / "paired" / "paired.md").exists()
