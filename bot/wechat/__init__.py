"""The WeChat Official Account (公众号) channel: its wire protocol and what a phone can show."""
