"""A reusable Wagtail app that asks a GPU runner for talking-head videos of pages and attaches the results.

The app only sends ``render_video`` messages and applies ``video_event`` messages; it never renders anything
itself. A host project adds :class:`video_plugin.mixins.VideoPageMixin` and
:class:`video_plugin.editor.panels.VideoPanel` to its page model; a site with organizations of its own names
a :class:`video_plugin.tenancy.Tenancy` in ``WAGTAIL_VIDEO["TENANCY"]``.
"""
