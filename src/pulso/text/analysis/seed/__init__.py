"""Data files shipped with the text-analysis library (taxonomies, word lists, models)."""
