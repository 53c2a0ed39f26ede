"""The web front: the JSON API, the customer chat (Gradio), the staff API and console, and `create_app`
that mounts them on one FastAPI app."""
