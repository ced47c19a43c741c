"""Finished videos: every requested format composed from one rendered talking head, and their sound."""
