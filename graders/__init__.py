"""Checks called by the hidden test cells of the course's notebooks.

One module per assignment, one public function per hidden test cell. The
package lives in the course directory only: it is never shipped to students.
"""
