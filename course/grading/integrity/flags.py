"""The vocabulary of the integrity report: one stable name per line of attack.

A flag says that a submission's code (or a file handed in with it) *tried*
something a grading run has no use for. It is evidence for a human to
review, never a verdict: flags never change a grade (the verdicts are
computed in a clean process, out of the student's kernel).
"""

PATCHED_LIBRARY = "patched_library"
PATCHED_GRADERS = "patched_graders"
SYS_MODULES = "sys_modules"
SYS_PATH = "sys_path"
SILENCED_ERRORS = "silenced_errors"
ALWAYS_EQUAL = "always_equal"
SHADOWING_FILES = "shadowing_files"
READS_GRADING_FILES = "reads_grading_files"
DETECTS_GRADING = "detects_grading"
DYNAMIC_CODE = "dynamic_code"
KILLS_KERNEL = "kills_kernel"
FORGED_HANDOVER = "forged_handover"
KERNEL_HOOKS = "kernel_hooks"
SPECIAL_FILES = "special_files"
HANDIN_BOUNDS = "handin_bounds"

#: flag -> one line of English for the instructor, in report order.
DESCRIPTIONS = {
    PATCHED_LIBRARY: "Replaces or deletes a function or class attribute of a library the grading relies on "
                     "(torch, numpy, scipy, matplotlib, IPython, builtins...).",
    PATCHED_GRADERS: "Touches the course's graders or handover modules (imports them, fakes them, assigns into them).",
    SYS_MODULES: "Reads or changes sys.modules, the table of imported modules.",
    SYS_PATH: "Changes where Python imports from (sys.path, PYTHONPATH, import hooks, site, the working directory).",
    SILENCED_ERRORS: "Hides or rewrites error reports (IPython traceback display, sys.excepthook, sys.stderr, "
                     "warnings display, %xmode).",
    ALWAYS_EQUAL: "Defines objects that compare equal to anything (constant __eq__/__ne__, "
                  "a number/array/tensor subclass overriding comparisons or conversions, a forged isinstance).",
    SHADOWING_FILES: "Hands in or writes files that would be imported instead of a real module "
                     "(graders, handover, sitecustomize, a standard or installed module; .py, package, .pth, .so).",
    READS_GRADING_FILES: "Reads or lists files outside its own folder, or the graders' code and data "
                         "(source files, stack frames, the gradebook).",
    DETECTS_GRADING: "Inspects its environment to tell a grading run from a student's run "
                     "(environment variables, user or host name, working directory, 'nbgrader').",
    DYNAMIC_CODE: "Runs code built or decoded at run time (exec, eval, compile, __import__, importlib, base64, "
                  "codecs, marshal, pickle, ctypes, subprocesses, IPython code transformers).",
    KILLS_KERNEL: "Stops or kills its own kernel or process (os._exit, sys.exit, SystemExit, os.kill, signal).",
    FORGED_HANDOVER: "Publishes or mentions the grading channel's MIME type "
                     "(application/vnd.course.handover+json), or writes to the kernel's message channel directly.",
    KERNEL_HOOKS: "Leaves code that IPython runs around every later cell, the test cells included "
                  "(events such as post_run_cell, input transformers, a replaced display hook), "
                  "as the kernel itself reported when it handed values over.",
    SPECIAL_FILES: "Hands in entries that are not regular files (symbolic links, named pipes, sockets, devices): "
                   "never followed, opened or copied; dropped before grading.",
    HANDIN_BOUNDS: "Hands in more files, or larger ones, than the hand-in bounds allow (course_config.HANDIN_*): "
                   "the excess was dropped before grading.",
}

FLAGS = tuple(DESCRIPTIONS)


def describe(flag):
    """The English line for ``flag`` (the flag itself when it is unknown)."""
    return DESCRIPTIONS.get(flag, flag)
