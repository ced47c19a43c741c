"""Presenters: the faces an organization may animate, their consent records, and what is kept about them."""
