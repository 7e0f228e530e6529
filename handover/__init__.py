"""The kernel's side of grading: hand the student's values over, never judge them.

The hidden part of a test cell calls one function of ``handover.<assignment>``
with the student's names. It turns what the student's code gives (values, or
what the student's functions return on inputs chosen here) into plain data
(:mod:`handover.plain`) and publishes it as a display output of MIME type
:data:`MIME_TYPE`. The comparison with the references runs afterwards in a
separate clean process (``graders``), which the student's code never touched:
whatever that code did to its own kernel can only change the values handed
over, never a verdict. This package holds no reference and no answer; it is
the only course code the grading kernel can read.
"""
MIME_TYPE = "application/vnd.course.handover+json"


def publish(check, values):
    """Publish the values handed over for ``check``, with what the kernel says about itself."""
    from IPython.display import publish_display_data

    from .evidence import kernel_evidence

    publish_display_data({MIME_TYPE: {"check": check, "values": values, "evidence": kernel_evidence()}})
