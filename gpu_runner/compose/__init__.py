"""Finished videos: every requested format composed from one rendered talking head, and their sound.

- :mod:`.finish`: a job's finished videos, one rendition per format, sharing one sound and one set of cues;
- :mod:`.rendition`: one format composed frame by frame and encoded (intro card, presenter, outro card);
- :mod:`.planes`: yuv420p pictures as numpy planes, pasting and premultiplied alpha blending;
- :mod:`.head`: the rendered head read back from the main video and scaled into its box by swscale;
- :mod:`.assets`: the product pictures, logo and music read from storage, with notes on what was left out;
- :mod:`.sound`: the finished sound (loudness, music, ducking), a whole number of frames long;
- :mod:`.bench`: ``python -m gpu_runner bench compose``.
"""
