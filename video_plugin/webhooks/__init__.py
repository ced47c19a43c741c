"""Webhooks: organizations' URLs told, with a signed POST, when their videos succeed or fail."""
