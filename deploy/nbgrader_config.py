# nbgrader's settings for every user of the course environment (installed by deploy/install.sh as
# <environment>/etc/jupyter/nbgrader_config.py). The instructor's course folder adds its own
# nbgrader_config.py on top (sandbox, judge, feedback).
c = get_config()  # noqa: F821 (traitlets)
c.Exchange.root = "@EXCHANGE_ROOT@"
c.CourseDirectory.course_id = "@COURSE_ID@"
