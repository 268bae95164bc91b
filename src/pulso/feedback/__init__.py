"""Every piece of customer voice, and its imports."""
