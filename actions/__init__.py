"""Custom Rasa actions (rasa_sdk). Each action is a thin class calling the ``bot`` package."""
