"""The atlas on the web: a REST API over a built warehouse (``talentatlas serve``).

- :mod:`talentatlas.web.service`: the warehouse behind the server (connections, the
  build's id, answers kept per build, reopened after a rebuild);
- :mod:`talentatlas.web.tables`: an answer as JSON or CSV, a page at a time;
- :mod:`talentatlas.web.app`: the FastAPI application and its routes.
"""
