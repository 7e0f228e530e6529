"""The class report's figures, drawn with matplotlib's Agg canvas (no display, no pyplot state) as PNG bytes."""
import io
import statistics

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

AUTOGRADED_COLOUR = "#3b6ea5"
BY_HAND_COLOUR = "#d08c2e"
#: Beyond this many points, the totals are binned in this many bins (else one bin per point).
MAX_BINS = 25


def png_bytes(figure):
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})  # same figure, same bytes
    return buffer.getvalue()


def total_bins(max_score):
    """Bin edges from 0 to the maximum: one bin per point when that is few enough, else MAX_BINS bins."""
    top = max(float(max_score), 1.0)
    count = int(top) if top <= MAX_BINS and float(top).is_integer() else MAX_BINS
    return [top * index / count for index in range(count + 1)]


def totals_histogram(numbers):
    """How many students got each total, out of the assignment's points; the mean and median marked."""
    figure = Figure(figsize=(7, 3.6), layout="constrained")
    axes = figure.add_subplot()
    totals = sorted(numbers.totals.values())
    axes.hist(totals, bins=total_bins(numbers.max_score), color=AUTOGRADED_COLOUR, edgecolor="white")
    if totals:
        mean, median = statistics.mean(totals), statistics.median(totals)
        axes.axvline(mean, color="black", linestyle="--", label=f"mean {mean:.1f}")
        axes.axvline(median, color="grey", linestyle=":", label=f"median {median:.1f}")
        axes.legend(loc="upper left")
    axes.set_xlim(0, max(numbers.max_score, 1))
    axes.set_xlabel(f"total points (out of {numbers.max_score:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(f"{numbers.assignment}: totals of {numbers.submissions} submissions")
    return png_bytes(figure)


def success_rates(numbers):
    """One bar per question: the share of its points the class got (autograded and graded by hand apart)."""
    questions = numbers.questions
    figure = Figure(figsize=(7, 1.2 + 0.32 * max(len(questions), 1)), layout="constrained")
    axes = figure.add_subplot()
    rows = list(range(len(questions)))[::-1]  # the first question on top
    rates = [100 * (q.success_rate or 0) for q in questions]
    colours = [AUTOGRADED_COLOUR if q.autograded else BY_HAND_COLOUR for q in questions]
    axes.barh(rows, rates, color=colours)
    axes.set_yticks(rows, [q.name for q in questions])
    for row, question in zip(rows, questions):
        label = "not graded yet" if question.success_rate is None else f"{100 * question.success_rate:.0f} %"
        axes.text(101, row, label, va="center", fontsize=8)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel("share of the points the class got (%)")
    axes.legend(handles=[Patch(color=AUTOGRADED_COLOUR, label="autograded"),
                         Patch(color=BY_HAND_COLOUR, label="graded by hand")],
                loc="lower right", fontsize=8)
    axes.set_title(f"{numbers.assignment}: success per question")
    return png_bytes(figure)


#: name -> how it is drawn; each is written as reports/<a>-class-<name>.png and shown in the page.
FIGURES = {"totals": totals_histogram, "questions": success_rates}
