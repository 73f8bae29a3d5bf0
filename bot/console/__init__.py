"""The web console: the knowledge-base editor, handoff review, dashboard and chat page.

Start it with ``python -m bot console`` (``make run`` starts it beside Rasa).
"""
