"""The generation job — the heart of the garden's back office.

- ``record``: statuses, the first document, the view clients see, settling;
- ``lifecycle``: launch a job's workflow, notice a dead run, wait; outcomes for the edges;
- ``plan``: a job's images as units of work that the endpoints' workers pull (shared by
  both kinds of job);
- ``text2image`` and ``bulk``: each kind's request, record and Plan step;
- ``steps``: the workflow's other steps (a worker's turn: claim, make, record; a crashed
  worker's release; finish);
- ``lifecycle`` also lists jobs, cancels one and resumes the ones a stopped server left.

Ports (JobStore, ObjectStore, generators, the workflow engine) come in as arguments; the
composition root (``chalicelib.bootstrap``) binds them.
"""
