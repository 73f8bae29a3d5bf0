"""Rasa input channels of PolicyGuard."""
