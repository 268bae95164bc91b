"""The analytic store: facts copied incrementally from the operational store into a column store."""
