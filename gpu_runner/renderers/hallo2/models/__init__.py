"""The Hallo2 networks, one per module; ``net.py`` assembles them."""
