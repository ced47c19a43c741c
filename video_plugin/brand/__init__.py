"""The brand kit's admin screens (Settings → Brand kits): one kit per organization, edited by its managers."""
