"""The standalone GPU runner: renders talking-head videos for ``render_video`` messages.

It imports no Django and loads its models once, at boot. ``protocol`` is the only module the Wagtail side
imports.
"""
