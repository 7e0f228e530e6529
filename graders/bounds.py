"""How much the judge reads of one request: bounds on hand-overs, checked before anything is decoded.

A hand-over comes from the student's kernel, so any of it may be forged: any JSON at all. Each bound
is well above what ``handover.plain`` ever writes (its own limit is named beside each) and low enough
that the worst request within all of them is read and judged in well under a second and a few
hundred megabytes at most. Beyond a bound the cell's answer is malformed: it fails, the judge goes on.
"""
#: Characters of one request line; a longer line is skipped unread. The largest hand-over
#: (``training``: a whole LeNet-5, ``plain.WHOLE_LIMIT`` values per array at most) is under 2 MB.
MAX_LINE_CHARS = 2**23
#: JSON values (containers, strings, numbers) in one hand-over. ``plain`` cuts lists to
#: ``plain.ITEMS_LIMIT`` items and nests them 4 deep; the evidence holds 50 entries.
MAX_NODES = 100_000
#: Nesting of containers in one request; ``plain`` writes at most a dozen levels.
MAX_DEPTH = 32
#: Characters of one string: the base64 text of ``plain.WHOLE_LIMIT`` float64 values is 1.4 Mi long
#: (``plain.TEXT_LIMIT`` for any other text).
MAX_STRING_CHARS = 2**21
#: Decimal digits of an integer (a count, a length, a dimension, a student's number).
MAX_INT_DIGITS = 100
MAX_INT = 10**MAX_INT_DIGITS
#: Elements an array may claim (a digest only carries ``plain.SAMPLES`` of them), and dimensions.
MAX_ARRAY_ELEMENTS = 2**40
MAX_DIMENSIONS = 8
#: Characters of a handed-over text quoted in a message (an exception's message, a type name).
QUOTED_CHARS = 300
