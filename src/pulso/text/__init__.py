"""Text analytics: language, sentiment, topics and key phrases of customer comments.

`pulso.text.analysis` is the offline library (usable on its own from Python, no database);
the rest of this domain stores its results, runs it through the job queue and shows it.
"""
