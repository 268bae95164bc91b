"""Demo data: a fictional Spanish-speaking retailer with a year of customer feedback."""
