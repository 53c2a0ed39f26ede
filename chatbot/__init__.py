"""消保智答 XiaoBao — consumer-protection Q&A assistant.

Importing the package changes nothing in the environment: the entry points (app.py, ingest.py,
`python -m chatbot`, eval) call `config.offline_environment()` before anything is loaded.
"""

__version__ = "0.1.0"
