"""The HTTP edge: what the Chalice app and the local server share — JSON bodies in, domain
outcomes and errors out as status codes (``edge``), admin authentication and the local rate
limit (``admin``), and the local server that serves pages, API and images from one origin
(``local_server``). Only this package and ``app.py`` know about HTTP."""
