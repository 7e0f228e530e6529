"""Display-only cells are tagged ``skip-execution``: autograding does not run them.

nbgrader's Execute (nbclient) skips a cell tagged ``skip-execution``, so a figure or
a printed table that nothing depends on costs nothing per submission; students in
JupyterLab still run it. A tag is only safe on a cell that nbgrader does not grade
and whose effects no executed cell after it relies on. The end-to-end tests
(tests/test_autograde.py) grade the reference through nbgrader, tags honoured; the
checks here are static, and fail as soon as a tagged cell is needed later:

- a name the tagged cell binds (assignment, loop variable, import, def, class)
  is read by a later executed cell before that cell binds it itself;
- the tagged cell changes in place an object that a later executed cell reads
  (``model.eval()``, ``x.add_(…)``, ``obj.attr = …``, ``lst.append(…)``…);
- the tagged cell changes global state (threads, default dtype, warnings), or
  seeds a random generator that the next executed cell does not seed again first.

Not caught statically: random numbers drawn without seeding (a layer built, a
dropout applied) and changes made inside a called function (``accuracy(model, …)``
sets ``model.eval()``); check those by reasoning before tagging such a cell.
"""
import ast
import shutil
import symtable

import nbformat
import pytest

import course_config
from course import assignments, notebooks

SKIP = "skip-execution"
#: Methods that change their object in place (plus torch's ``*_`` convention).
IN_PLACE_METHODS = {
    "eval", "train", "apply", "to", "cpu", "cuda", "half", "float", "double", "load_state_dict",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook", "zero_grad",
    "step", "backward", "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
    "add", "discard", "sort", "reverse", "fill", "resize", "setflags", "put", "itemset",
}
#: Calls that change the whole kernel's state.
GLOBAL_STATE_CALLS = {"set_num_threads", "set_num_interop_threads", "set_default_dtype", "set_default_device",
                      "use_deterministic_algorithms", "filterwarnings", "simplefilter", "set_grad_enabled"}
#: Calls that seed a random generator: allowed if the next executed cell seeds it again first.
SEED_CALLS = {"manual_seed", "seed"}


def source_notebook(assignment):
    return nbformat.read(notebooks.paths(assignment)[1], as_version=4)


def release_notebook(assignment):
    return nbformat.read(course_config.ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def is_skipped(cell):
    return SKIP in cell.metadata.get("tags", [])


def is_nbgrader_graded_or_answer(cell):
    nbgrader = cell.metadata.get("nbgrader", {})
    return bool(nbgrader.get("grade") or nbgrader.get("solution") or nbgrader.get("task"))


def parse(cell):
    """The cell's code as a module; IPython magics and shell lines count as nothing."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()]
    return ast.parse("\n".join(lines))


# --- what a cell reads and binds, in evaluation order ----------------------------------

NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                 ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _scope_names(node):
    """(module names that the nested scope ``node`` reads, those it rebinds through ``global``)."""
    is_statement = isinstance(node, ast.stmt)
    table = symtable.symtable(ast.unparse(node), "<cell>", "exec" if is_statement else "eval")
    binds_here = {node.name} if is_statement else set()
    reads = {s.get_name() for s in table.get_symbols() if s.is_referenced()} - binds_here
    rebinds = set()
    pending = list(table.get_children())
    while pending:
        child = pending.pop()
        pending.extend(child.get_children())
        for symbol in child.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                reads.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                rebinds.add(symbol.get_name())
    return reads, rebinds


class Flow(ast.NodeVisitor):
    """The module-level names a cell reads before binding them (``free``) and those it binds."""

    def __init__(self):
        self.free, self.bound = set(), set()

    def read(self, name):
        if name not in self.bound:
            self.free.add(name)

    def bind(self, name):
        self.bound.add(name)

    def visit_Name(self, node):
        self.read(node.id) if isinstance(node.ctx, ast.Load) else self.bind(node.id)

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self.read(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_Import(self, node):
        for alias in node.names:
            self.bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name != "*":
                self.bind(alias.asname or alias.name)

    def generic_visit(self, node):
        if isinstance(node, NESTED_SCOPES):
            reads, rebinds = _scope_names(node)
            for name in sorted(reads):
                self.read(name)
            for name in sorted(rebinds):
                self.bind(name)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bind(node.name)
            return
        super().generic_visit(node)


def flow(cell):
    visitor = Flow()
    visitor.visit(parse(cell))
    return visitor


def _outside_nested_scopes(tree):
    """The nodes of ``tree`` that run when the cell runs (not the bodies of functions and classes)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def mutated_names(cell):
    """Names read from before the cell whose object the cell changes in place."""
    tree = parse(cell)
    free = flow(cell).free
    changed = set()
    for node in _outside_nested_scopes(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        changed.update(_root_name(t) for t in targets if isinstance(t, (ast.Attribute, ast.Subscript)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in IN_PLACE_METHODS or (method.endswith("_") and not method.startswith("_")):
                changed.add(_root_name(node.func.value))
    return (changed - {None}) & free


def state_calls(cell):
    """(dotted name, last part) of each call of the cell that seeds a generator or sets global state."""
    calls = []
    for node in _outside_nested_scopes(parse(cell)):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            last = name.rsplit(".", 1)[-1]
            if last in SEED_CALLS | GLOBAL_STATE_CALLS:
                calls.append((name, last))
    return calls


def reseeds_first(cell, seed_call):
    """Does ``cell`` call ``seed_call`` before anything else but definitions and imports?"""
    for statement in parse(cell).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                  ast.ImportFrom)):
            continue
        return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
                and ast.unparse(statement.value.func) == seed_call)
    return False


def needed_later(notebook):
    """For each tagged cell, what an executed cell after it would miss: [(cell index, reason)]."""
    code = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    problems = []
    for position, (index, cell) in enumerate(code):
        if not is_skipped(cell):
            continue
        executed_after = [(i, c) for i, c in code[position + 1:] if not is_skipped(c)]
        reads_after = {i: flow(c).free for i, c in executed_after}
        for name in sorted(flow(cell).bound):
            users = [i for i, free in reads_after.items() if name in free]
            if users:
                problems.append((index, f"binds `{name}`, read by cell {users[0]}"))
        for name in sorted(mutated_names(cell)):
            users = [i for i, free in reads_after.items() if name in free]
            if users:
                problems.append((index, f"changes `{name}` in place, read by cell {users[0]}"))
        for call, last in state_calls(cell):
            if last in SEED_CALLS and executed_after and reseeds_first(executed_after[0][1], call):
                continue
            problems.append((index, f"calls `{call}` (global state that later cells may rely on)"))
    return problems


# --- the tests ----------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["source", "release"])
@pytest.mark.parametrize("assignment", assignments.names())
def test_is_no_graded_or_answer_cell_tagged_skip_execution(assignment, where):
    notebook = source_notebook(assignment) if where == "source" else release_notebook(assignment)
    tagged = [cell.metadata["nbgrader"].get("grade_id") for cell in notebook.cells
              if is_skipped(cell) and is_nbgrader_graded_or_answer(cell)]
    assert tagged == [], f"tests and answers must run when grading: remove `{SKIP}` from {tagged}"


@pytest.mark.parametrize("assignment", assignments.names())
def test_does_no_executed_cell_need_a_cell_tagged_skip_execution(assignment):
    assert needed_later(source_notebook(assignment)) == []


@pytest.mark.parametrize("assignment", assignments.names())
def test_are_the_tags_in_the_release_those_of_the_source(assignment):
    def tagged(notebook):
        return [cell.source.splitlines()[0] for cell in notebook.cells if is_skipped(cell)]

    assert tagged(release_notebook(assignment)) == tagged(source_notebook(assignment))


# --- the analysis itself catches what it should --------------------------------------------

def _notebook(*cells):
    """A notebook of code cells; a cell given as ("skip", source) is tagged."""
    built = []
    for cell in cells:
        tagged = isinstance(cell, tuple)
        built.append(nbformat.v4.new_code_cell(cell[1] if tagged else cell,
                                               metadata={"tags": [SKIP]} if tagged else {}))
    return nbformat.v4.new_notebook(cells=built)


def _reasons(*cells):
    return [reason for _, reason in needed_later(_notebook(*cells))]


@pytest.mark.parametrize("cells, reason", [
    ((("skip", "x = 1"), "print(x)"), "binds `x`, read by cell 1"),
    (("x = 0", ("skip", "x = 1"), "print(x)"), "binds `x`, read by cell 2"),
    ((("skip", "import math"), "def f():\n    return math.pi"), "binds `math`, read by cell 1"),
    ((("skip", "def f():\n    return 1"), "y = [f() for _ in range(2)]"), "binds `f`, read by cell 1"),
    ((("skip", "for k in range(3):\n    pass"), "print(k)"), "binds `k`, read by cell 1"),
    ((("skip", "def g():\n    global z\n    z = 1\ng()"), "print(z)"), "binds `z`, read by cell 1"),
    (("m = M()", ("skip", "m.eval()"), "print(m(1))"), "changes `m` in place, read by cell 2"),
    (("w = W()", ("skip", "w.weight.add_(1)"), "print(w)"), "changes `w` in place, read by cell 2"),
    (("d = {}", ("skip", "d['a'] = 1"), "print(d)"), "changes `d` in place, read by cell 2"),
    ((("skip", "torch.manual_seed(1)"), "x = torch.rand(2)"),
     "calls `torch.manual_seed` (global state that later cells may rely on)"),
    ((("skip", "torch.set_num_threads(2)"), "y = 1"),
     "calls `torch.set_num_threads` (global state that later cells may rely on)"),
])
def test_does_the_analysis_catch_a_tagged_cell_that_is_needed(cells, reason):
    assert reason in _reasons(*cells)


@pytest.mark.parametrize("cells", [
    (("skip", "fig, ax = plt.subplots()\nax.plot([1])"), "fig, ax = plt.subplots()\nprint(fig, ax)"),
    (("skip", "for k in range(3):\n    print(k)"), "k = 5\nprint(k)"),
    (("skip", "x = [k for k in range(3)]"), "print([k for k in 'ab'])"),
    (("skip", "maps = f()"), ("skip", "print(maps)"), "print(1)"),
    (("skip", "torch.manual_seed(1)\nx = torch.rand(2)"), "def f():\n    pass\n\n\ntorch.manual_seed(0)\nm = M()"),
    ("m = M()", ("skip", "m.eval()\nprint(m(1))")),
    ("def show(v):\n    print(v)", ("skip", "show(1)"), "show(2)"),
])
def test_does_the_analysis_accept_a_tagged_cell_that_nothing_needs(cells):
    assert _reasons(*cells) == []


# --- a student's own tags ----------------------------------------------------------------

@pytest.mark.slow
def test_does_a_student_who_tags_the_test_cells_still_get_zero_without_answers(tmp_path):
    from course import pipeline

    assignment = "cnn_bases"
    root = pipeline.copy_course(tmp_path / "course")
    release = pipeline.generate_release(root, assignment)
    notebook = nbformat.read(release / f"{assignment}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata.setdefault("tags", []).append(SKIP)
    folder = root / "submitted" / "tagger" / assignment
    shutil.copytree(release, folder)
    nbformat.write(notebook, folder / f"{assignment}.ipynb")
    pipeline.autograde(root, assignment)
    assert sum(pipeline.scores(root, assignment)["tagger"].values()) == 0
