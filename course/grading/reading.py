"""Read every submitted notebook, even a damaged or renamed one.

nbgrader drops a student whose notebook it cannot read (invalid JSON, binary
file, empty file, a structure nbformat rejects): no entry in the gradebook,
no feedback. And a notebook the browser renamed on download
(``tp_convolution (1).ipynb``) is skipped as an "unknown notebook", so the
student gets nothing for work they did hand in. Two pieces fix that:

``LenientNotebookExporter`` (``c.Autograde.exporter_class``)
    Reads a notebook as nbconvert's NotebookExporter does, but

    - a notebook that nbformat reads but rejects is rebuilt from the cells
      that can be read (outputs and unusual metadata dropped, incident
      ``unreadable``);
    - a file that cannot be read as a notebook at all becomes a placeholder:
      the course's kernelspec and one markdown cell explaining, in French,
      why it could not be read (incident ``unreadable``). The sanitize step
      then restores the test cells (RestoreTestCells), so the student gets an
      entry with 0 and feedback;
    - when the expected file does not exist but its folder holds exactly one
      other notebook (and it is the only expected notebook missing), that
      notebook is read instead (incident ``renamed``).

``redirect_renamed_notebooks`` (for ``Autograde.pre_convert_hook``)
    nbgrader globs ``submitted/<student>/<assignment>/*.ipynb`` and skips
    the files whose name is not a notebook of the assignment. Called from the
    pre-convert hook, this function replaces, in nbgrader's own list, the path
    of a renamed notebook by the expected path; the exporter above then reads
    the renamed file under the expected name. Nothing is written into
    ``submitted/``.

Hook wiring (course/grading/hooks.py). nbgrader calls the hook as
``hook(assignment=..., student=..., notebooks=...)``, in the course root,
with ``notebooks`` the converter's own list of one submission's notebook
paths; mutate it in place::

    from course.grading.reading import redirect_renamed_notebooks

    def pre_convert(assignment, student, notebooks, **_):
        redirect_renamed_notebooks(notebooks, root=ROOT)  # expected names read from ROOT/gradebook.db
        # or: redirect_renamed_notebooks(notebooks, expected_names={"tp_convolution"})

    redirect_renamed_notebooks(notebooks, expected_names=None, *, db_url=None, root=".", log=None)
        -> list of (renamed_path, expected_path) replaced in ``notebooks``
"""
import datetime
import glob
import json
import logging
import os
import stat
from dataclasses import dataclass

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import from_dict
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from nbgrader.preprocessors import ClearOutput

from .copy_guard import GuardsItsConverter
from .french import NBSP, size
from .handin import bounds_of, kind_of
from .incidents import METADATA_KEY, record

#: The kernelspec of a placeholder when the gradebook knows none.
DEFAULT_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

UNGRADED = (
    "Il n'a donc pas pu être corrigé : les cellules de test ont été exécutées sans votre travail et ne "
    "rapportent aucun point. Vérifiez que vous déposez bien le fichier .ipynb enregistré depuis Jupyter "
    "(Fichier > Enregistrer) et qu'il s'ouvre correctement chez vous."
)


@dataclass
class Reading:
    """What reading a file gave: a notebook (possibly rebuilt), or why there is none."""

    notebook: object = None
    #: When something was wrong: for the instructor (English) and for the student (French).
    detail: str = ""
    message: str = ""


# --- reading one file ------------------------------------------------------------------


def read_notebook(path, max_bytes=None):
    """Read ``path`` as a version 4 notebook, leniently (never raises for a bad file)."""
    name = os.path.basename(path)
    try:
        status = os.lstat(path)  # never follows a link: a link to the solution is not the student's notebook
    except FileNotFoundError:
        return Reading(None, "file not found", f"Le fichier « {name} » est introuvable dans votre rendu.")
    except OSError as error:
        return Reading(None, f"cannot stat the file ({type(error).__name__})",
                       f"Le fichier « {name} » n'a pas pu être ouvert.")
    if stat.S_ISLNK(status.st_mode):
        return Reading(None, "a symbolic link (never followed: graded as not handed in)",
                       f"«{NBSP}{name}{NBSP}» n'est pas un fichier mais un lien symbolique vers un autre "
                       f"fichier{NBSP}: seuls les fichiers ordinaires sont corrigés, il n'a pas été suivi et votre "
                       "notebook est considéré comme non rendu.")
    if not stat.S_ISREG(status.st_mode):
        return Reading(None, f"not a regular file ({kind_of(status.st_mode)})",
                       f"« {name} » n'est pas un fichier.")
    if max_bytes and status.st_size > max_bytes:
        return Reading(None, f"file too large ({status.st_size} bytes, limit {max_bytes})",
                       f"Le fichier « {name} » est beaucoup trop volumineux ({size(status.st_size)}) "
                       "pour être un notebook rendu normalement (des sorties énormes y sont sans doute enregistrées).")
    try:
        # O_NOFOLLOW | O_NONBLOCK: swapped for a link or a FIFO since the look above, it is refused, not waited on
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise OSError("not a regular file")
            raw = stream.read(max_bytes + 1) if max_bytes else stream.read()
    except OSError as error:
        return Reading(None, f"cannot read the file ({type(error).__name__})",
                       f"Le fichier « {name} » n'a pas pu être lu.")
    if max_bytes and len(raw) > max_bytes:
        return Reading(None, f"file too large (more than {max_bytes} bytes)", f"Le fichier « {name} » est "
                       "beaucoup trop volumineux pour être un notebook rendu normalement.")
    if not raw.strip():
        return Reading(None, "empty file",
                       f"Le fichier « {name} » est vide : le notebook n'a sans doute pas été enregistré avant "
                       "le dépôt, ou l'envoi a été interrompu.")
    try:
        text = raw.decode("utf-8-sig")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
    except UnicodeDecodeError:
        return Reading(None, "not UTF-8 text (binary file?)",
                       f"Le fichier « {name} » ne contient pas du texte : ce n'est pas un notebook Jupyter "
                       "(peut-être un autre type de fichier renommé en .ipynb, une archive, ou un fichier "
                       "abîmé pendant l'envoi).")
    try:
        data = json.loads(text)
    except ValueError as error:
        where = (f" à la ligne {error.lineno}" if isinstance(error, json.JSONDecodeError) else "")
        return Reading(None, f"invalid JSON: {error}",
                       f"Le fichier « {name} » est abîmé : son contenu n'est pas au format d'un notebook "
                       f"(JSON invalide{where}). Cela arrive quand le fichier est tronqué pendant "
                       "l'enregistrement ou l'envoi, ou modifié avec un éditeur de texte.")
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return Reading(None, "valid JSON but not a notebook (no cells)",
                       f"Le fichier « {name} » est lisible mais ce n'est pas un notebook Jupyter : il ne "
                       "contient pas de cellules.")
    try:
        notebook = nbformat.reads(text, as_version=4, capture_validation_error={})
        nbformat.validate(notebook, relax_add_props=True)
        return Reading(notebook)
    except Exception as error:  # nbformat raises many kinds of errors on odd structures
        problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        cells = data.get("cells")
        if not isinstance(cells, list):
            try:
                cells = nbformat.reads(text, as_version=4, capture_validation_error={}).get("cells")
            except Exception:
                cells = None
        if not isinstance(cells, list):
            return Reading(None, f"not a readable notebook ({problem})",
                           f"Le fichier « {name} » n'a pas la structure d'un notebook Jupyter lisible.")
        return _salvage(cells, problem)


def _salvage(raw_cells, problem):
    """A valid notebook rebuilt from the readable cells (source, nbgrader metadata and tags only)."""
    cells = [cell for cell in map(_salvage_cell, raw_cells) if cell is not None]
    notebook = new_notebook(cells=cells)
    try:
        nbformat.validate(notebook, relax_add_props=True)
    except Exception as error:
        return Reading(None, f"not a readable notebook ({problem}; rebuilt: {type(error).__name__})",
                       "Le fichier n'a pas la structure d'un notebook Jupyter lisible.")
    lost = len(raw_cells) - len(cells)
    damage = (f"{lost} cellule{'s' if lost > 1 else ''} illisible{'s' if lost > 1 else ''} "
              f"{'ont' if lost > 1 else 'a'} été ignorée{'s' if lost > 1 else ''} et " if lost else "")
    return Reading(notebook, f"invalid notebook structure ({problem}); rebuilt from {len(cells)} of "
                             f"{len(raw_cells)} cells, outputs and other metadata dropped",
                   f"Votre notebook était en partie abîmé (structure du fichier non conforme) : {damage}les "
                   "sorties et réglages enregistrés ont été effacés ; le reste a été corrigé normalement.")


def _salvage_cell(raw):
    if not isinstance(raw, dict):
        return None
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    make = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}.get(raw.get("cell_type"))
    if make is None or not isinstance(source, str):
        return None
    cell = make(source)
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        if isinstance(metadata.get("nbgrader"), dict):
            cell.metadata["nbgrader"] = from_dict(json.loads(json.dumps(metadata["nbgrader"])))
        tags = metadata.get("tags")
        if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
            cell.metadata["tags"] = list(tags)
    return cell


# --- renamed notebooks -------------------------------------------------------------------


def _is_notebook_file(folder, name):
    return name.endswith(".ipynb") and not name.startswith(".") and os.path.isfile(os.path.join(folder, name))


def find_renamed(folder, expected_names):
    """{expected name: path of the file that stands for it} for a folder where a notebook was renamed.

    Only when the pairing is certain: exactly one expected notebook is
    missing and the folder holds exactly one notebook that is not expected.
    """
    expected_names = set(expected_names)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    present = {name[:-len(".ipynb")] for name in names if _is_notebook_file(folder, name)}
    missing = expected_names - present
    strangers = sorted(present - expected_names)
    if len(missing) == 1 and len(strangers) == 1:
        return {missing.pop(): os.path.join(folder, strangers[0] + ".ipynb")}
    return {}


def expected_notebook_names(assignment, db_url=None, root="."):
    """The notebook names of ``assignment``: from the gradebook, else from ``source/<assignment>/*.ipynb``."""
    if db_url is None:
        database = os.path.join(root, "gradebook.db")
        db_url = f"sqlite:///{os.path.abspath(database)}" if os.path.exists(database) else None
    if db_url is not None:
        try:
            from nbgrader.api import Gradebook

            with Gradebook(db_url) as gradebook:
                names = {notebook.name for notebook in gradebook.find_assignment(assignment).notebooks}
            if names:
                return names
        except Exception:
            logging.getLogger(__name__).debug("No notebooks of %r in %s", assignment, db_url, exc_info=True)
    pattern = os.path.join(root, "source", glob.escape(assignment), "*.ipynb")
    return {os.path.splitext(os.path.basename(path))[0] for path in glob.glob(pattern)}


def redirect_renamed_notebooks(notebooks, expected_names=None, *, db_url=None, root=".", log=None):
    """Replace in ``notebooks`` (in place) each renamed notebook's path by its expected path.

    ``notebooks`` is nbgrader's list of one or more submissions' notebook
    paths. ``expected_names`` are the assignment's notebook names; when None
    they are looked up per submission folder (its name is the assignment id)
    in the gradebook (``db_url``, default ``gradebook.db`` in ``root``) or in
    ``root``/source/<assignment>/. Returns the (renamed, expected) path pairs.
    """
    log = log or logging.getLogger(__name__)
    replaced = []
    folders = list(dict.fromkeys(os.path.dirname(path) for path in notebooks))
    for folder in folders:
        names = expected_names if expected_names is not None else expected_notebook_names(
            os.path.basename(os.path.normpath(folder)), db_url=db_url, root=root)
        for expected, renamed in find_renamed(folder, names).items():
            target = os.path.join(folder, expected + ".ipynb")
            for index, path in enumerate(notebooks):
                if os.path.abspath(path) == os.path.abspath(renamed):
                    notebooks[index] = target
                    replaced.append((path, target))
                    log.warning("Notebook %s is graded as %s (renamed?)", path, os.path.basename(target))
    return replaced


# --- the exporter ---------------------------------------------------------------------------


def forget_grading_notes(notebook):
    """Remove the engine's metadata key from a submitted notebook and its cells: notes (incidents,
    verdicts, evidence) found there were written by the student, never by the engine."""
    notebook.metadata.pop(METADATA_KEY, None)
    for cell in notebook.cells:
        cell.metadata.pop(METADATA_KEY, None)


class LenientNotebookExporter(GuardsItsConverter, NotebookExporter):
    """nbconvert's NotebookExporter that turns an unreadable or renamed submission into a gradable notebook.

    Its converter copies the files handed in as regular files only (see course/grading/copy_guard.py). A
    notebook larger than the hand-in bound ``HandinBounds.max_notebook_bytes`` is not read (it is graded as
    unreadable), the bound its converter copies it by.
    """

    def from_filename(self, filename, resources=None, **kw):
        if resources is None:
            resources = ResourcesDict()
        if "metadata" not in resources or resources["metadata"] == "":
            resources["metadata"] = ResourcesDict()
        folder, basename = os.path.split(filename)
        resources["metadata"]["name"] = os.path.splitext(basename)[0]
        resources["metadata"]["path"] = folder

        actual = filename
        if not os.path.exists(filename):
            found = find_renamed(folder, self._expected_names(resources, basename)).get(
                os.path.splitext(basename)[0])
            if found:
                actual = found
        try:
            modified = datetime.datetime.fromtimestamp(os.path.getmtime(actual), tz=datetime.timezone.utc)
        except OSError:
            modified = datetime.datetime.now(tz=datetime.timezone.utc)
        resources["metadata"]["modified_date"] = modified.strftime("%B %-d, %Y")

        reading = read_notebook(actual, bounds_of(self.config).max_notebook_bytes)
        notebook = reading.notebook
        if notebook is not None and self._reads_a_submission():
            forget_grading_notes(notebook)
        if notebook is None:
            self.log.error("Cannot read %s (%s): graded as an empty notebook", actual, reading.detail)
            notebook = self._placeholder(resources, reading.message)
            record(notebook, "unreadable", f"{os.path.basename(actual)}: {reading.detail}",
                   f"{reading.message} {UNGRADED}")
        elif reading.detail:
            self.log.warning("%s was damaged (%s): graded from what could be read", actual, reading.detail)
            record(notebook, "unreadable", f"{os.path.basename(actual)}: {reading.detail}", reading.message)
        if actual != filename:
            renamed = os.path.basename(actual)
            self.log.warning("%s is missing: graded %s instead", filename, renamed)
            record(notebook, "renamed", f"{basename!r} was missing; graded {renamed!r} from the same folder instead",
                   f"Votre notebook s'appelait « {renamed} » au lieu de « {basename} » (le navigateur l'a sans "
                   "doute renommé au téléchargement). Il a été corrigé quand même ; la prochaine fois, gardez "
                   f"le nom « {basename} ».")
        return self.from_notebook_node(notebook, resources, **kw)

    def _reads_a_submission(self):
        """nbgrader's Autograde reads each notebook twice: the submission (the sanitize pass, which clears
        outputs first), then its own autograded copy, which carries the engine's notes of the first pass."""
        return any(isinstance(p, ClearOutput) for p in self._preprocessors)

    @staticmethod
    def _expected_names(resources, basename):
        info = resources.get("nbgrader") or {}
        if info.get("db_url") and info.get("assignment"):
            try:
                from nbgrader.api import Gradebook

                with Gradebook(info["db_url"]) as gradebook:
                    return {notebook.name for notebook in gradebook.find_assignment(info["assignment"]).notebooks}
            except Exception:
                pass
        return {os.path.splitext(basename)[0]}

    def _placeholder(self, resources, message):
        kernelspec = DEFAULT_KERNELSPEC
        info = resources.get("nbgrader") or {}
        if info.get("db_url"):
            try:
                from nbgrader.api import Gradebook

                with Gradebook(info["db_url"]) as gradebook:
                    stored = gradebook.find_notebook(info["notebook"], info["assignment"]).kernelspec
                kernelspec = (json.loads(stored) if stored else None) or kernelspec
            except Exception:
                self.log.debug("No kernelspec in the gradebook", exc_info=True)
        return new_notebook(
            metadata={"kernelspec": dict(kernelspec)},
            cells=[new_markdown_cell(f"## Notebook illisible\n\n{message}\n\n{UNGRADED}")],
        )
