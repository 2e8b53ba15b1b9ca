"""Helpers shared by the autoencoder course notebooks.

Importing the package does nothing by itself: no seeding, no downloads, no plotting settings.
Import the submodules you need, e.g. ``from course_utils.data import load_mnist``.
"""

__version__ = "0.1.0"
