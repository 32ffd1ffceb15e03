"""Medly's date and time formats, one module per language (FORMAT_MODULE_PATH); Django's own fill the rest."""
