"""After grading: the class at a glance (``course report``) and grades into the LMS (``course export``).

Everything here reads nbgrader's gradebook through nbgrader's API, with the course's configuration as nbgrader
loads it (:mod:`.course_directory`), and the autograded notebooks for what the gradebook does not hold (the
judge's messages, the incidents). It never writes a grade, so it works after ``course grade`` and after plain
``nbgrader autograde`` alike.

- :mod:`.gather`: the class's numbers (totals, each question's success, wrong answers, incidents, flags,
  manual grading left);
- :mod:`.figures`: the figures as PNG (matplotlib, Agg);
- :mod:`.page`: the HTML page (a Jinja template, autoescaped);
- :mod:`.report`: ``course report`` (writes the page and the PNGs);
- :mod:`.roster`, :mod:`.exports`: the instructor's roster and nbgrader export plugins (Moodle's grade import,
  one column per question); :mod:`.export_command`: ``course export``.
"""
