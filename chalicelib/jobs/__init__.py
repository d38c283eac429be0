"""The generation job — the heart of the garden's back office.

- ``record``: statuses, the first document, the view clients see, settling;
- ``lifecycle``: launch a job's workflow, notice a dead run, wait; outcomes for the edges;
- ``plan``: split a job's images over the endpoints (shared by both kinds of job);
- ``text2image`` and ``bulk``: each kind's request, record and Plan step;
- ``steps``: the workflow's other steps (generate, record_error, finish).

Ports (JobStore, ObjectStore, generators, the workflow engine) come in as arguments; the
composition root (``chalicelib.bootstrap``) binds them.
"""
