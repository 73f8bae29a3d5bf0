"""The WeChat Official Account channel."""
